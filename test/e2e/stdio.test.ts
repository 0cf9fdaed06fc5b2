import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../src/catalog/resources.js';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { BUNDLE } from '../helpers/bundle.js';
import { call, connectStdio, type Connected, replicaEnv, replicaOverStdio } from '../helpers/mcp.js';

/** The server under test talks to a replica this test owns, so it can count and inspect. */
let replica: Replica;
let mcp: Connected;

const envFor = replicaEnv;

let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ replica, mcp, close } = await replicaOverStdio()));
afterAll(() => close?.());

const EXPECTED = [
  ...RESOURCES.flatMap((r) => [
    `classic_models_list_${r.name}`,
    `classic_models_get_${r.singular}`,
    `classic_models_create_${r.singular}`,
    `classic_models_update_${r.singular}`,
    `classic_models_delete_${r.singular}`,
  ]),
  'classic_models_whoami',
];

describe('serve-stdio tool surface', () => {
  it('lists exactly the 42 tools (41 from the catalog and the SQL query tool), each with input and output schemas and annotations', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...EXPECTED, 'classic_models_query'].sort());
    expect(tools).toHaveLength(42);
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      expect(t.annotations?.openWorldHint).toBe(false);
    }
  });

  it('costs the model at most 30 KB per turn (name, description and inputSchema of all tools)', async () => {
    const { tools } = await mcp.client.listTools();
    const modelFacing = JSON.stringify(tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })));
    expect(Buffer.byteLength(modelFacing)).toBeLessThanOrEqual(30 * 1024);
  });

  it('matches the tools/list snapshot, so no schema changes unnoticed', async () => {
    const { tools } = await mcp.client.listTools();
    await expect(JSON.stringify(tools, null, 1) + '\n').toMatchFileSnapshot('./__snapshots__/tools-list.json');
  });

  it('answers initialize and tools/list without contacting the API', async () => {
    const quiet = await startReplica();
    const other = await connectStdio(['serve-stdio'], envFor(quiet));
    await other.client.listTools();
    expect(quiet.stats.total).toBe(0);
    await call(other.client, 'classic_models_whoami');
    expect(quiet.stats.logins).toBe(1);
    await other.close();
    await quiet.stop();
  });

  it('--read-only leaves the 18 tools that read; --toolsets keeps those resources plus whoami', async () => {
    const ro = await connectStdio(['serve-stdio', '--read-only'], envFor(replica));
    const names = (await ro.client.listTools()).tools.map((t) => t.name);
    expect(names).toHaveLength(18);
    expect(names.every((n) => /_(list|get)_|whoami|_query$/.test(n))).toBe(true);
    const refused = await call(ro.client, 'classic_models_delete_office', { officecode: '7' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toBe('Unknown tool "classic_models_delete_office" (it may be disabled here by --read-only or --toolsets); tools/list shows the 18 available.');
    await ro.close();

    const some = await connectStdio(['serve-stdio'], envFor(replica, { TOOLSETS: 'products,customers', READ_ONLY: 'true' }));
    const listed = (await some.client.listTools()).tools.map((t) => t.name).sort();
    expect(listed).toEqual(['classic_models_get_customer', 'classic_models_get_product', 'classic_models_list_customers', 'classic_models_list_products', 'classic_models_whoami']);
    await some.close();

    const query = await connectStdio(['serve-stdio', '--toolsets', 'query'], envFor(replica));
    expect((await query.client.listTools()).tools.map((t) => t.name)).toEqual(['classic_models_whoami', 'classic_models_query']);
    await query.close();
  });
});

describe('every tool end to end against the replica', () => {
  it('list tools report the whole table as total, 50 rows by default', async () => {
    for (const r of RESOURCES) {
      const res = await call(mcp.client, `classic_models_list_${r.name}`);
      expect(res.isError, res.text).toBe(false);
      expect(res.data.total).toBe(replica.store.count(r.name));
      expect(res.data.returned).toBe(Math.min(50, replica.store.count(r.name)));
      expect(JSON.parse(res.text)).toEqual(res.data);
    }
  });

  it('get tools return the record the API holds', async () => {
    const keys: Record<string, Record<string, unknown>> = {
      productlines: { productline: 'Classic Cars' },
      products: { productcode: 'S10_1678' },
      offices: { officecode: '1' },
      employees: { employeenumber: 1002 },
      customers: { customernumber: 103 },
      orders: { ordernumber: 10100 },
      payments: { customernumber: 103, checknumber: 'HQ336336' },
      orderdetails: { ordernumber: 10100, productcode: 'S18_1749' },
    };
    for (const r of RESOURCES) {
      const res = await call(mcp.client, `classic_models_get_${r.singular}`, keys[r.name]);
      expect(res.isError, res.text).toBe(false);
      const expected = replica.store.list(r.name).find((row) => Object.entries(keys[r.name]).every(([k, v]) => row[k] === v));
      expect(res.data).toEqual(expected);
    }
  });

  it('create, update and delete each resource, checked at the API', async () => {
    const steps: [string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>][] = [
      ['productline', { productline: 'E2E Line', textdescription: 'made by a test' }, { textdescription: 'patched' }, { productline: 'E2E Line' }],
      [
        'product',
        { productcode: 'E2E_1', productname: 'Test car', productscale: '1:10', productvendor: 'V', productdescription: 'd', quantityinstock: 5, buyprice: '10.00', msrp: '20.50', productline: 'Classic Cars' },
        { msrp: '21.99' },
        { productcode: 'E2E_1' },
      ],
      ['office', { officecode: '88', city: 'Lyon', phone: '+33 1', addressline1: '1 rue', country: 'France', postalcode: '69000', territory: 'EMEA' }, { city: 'Lille' }, { officecode: '88' }],
      [
        'employee',
        { employeenumber: 8888, lastname: 'Test', firstname: 'E2E', extension: 'x1', email: 'e2e@example.com', jobtitle: 'Rep', officecode: '1', reportsto: 1002 },
        { jobtitle: 'Sales Rep' },
        { employeenumber: 8888 },
      ],
      [
        'customer',
        { customernumber: 8888, customername: 'E2E Co', contactlastname: 'Doe', contactfirstname: 'J', phone: '1', addressline1: 'a', city: 'c', country: 'USA', creditlimit: '100.00' },
        { creditlimit: null },
        { customernumber: 8888 },
      ],
      ['order', { ordernumber: 88888, orderdate: '2024-01-01', requireddate: '2024-01-10', status: 'In Process', customernumber: 103 }, { status: 'Shipped', shippeddate: '2024-01-05' }, { ordernumber: 88888 }],
      ['payment', { customernumber: 103, checknumber: 'E2E0001', paymentdate: '2024-01-01', amount: '123.45' }, { amount: '200.00' }, { customernumber: 103, checknumber: 'E2E0001' }],
      ['orderdetail', { ordernumber: 10100, productcode: 'S10_1678', quantityordered: 5, priceeach: '50.00', orderlinenumber: 99 }, { quantityordered: 6 }, { ordernumber: 10100, productcode: 'S10_1678' }],
    ];
    for (const [singular, create, change, key] of steps) {
      const made = await call(mcp.client, `classic_models_create_${singular}`, create);
      expect(made.isError, made.text).toBe(false);
      expect(made.data).toMatchObject(key);
      const changed = await call(mcp.client, `classic_models_update_${singular}`, { ...key, ...change });
      expect(changed.isError, changed.text).toBe(false);
      expect(changed.data).toMatchObject(change);
      const got = await call(mcp.client, `classic_models_get_${singular}`, key);
      expect(got.data).toMatchObject({ ...key, ...change });
      const gone = await call(mcp.client, `classic_models_delete_${singular}`, key);
      expect(gone.isError, gone.text).toBe(false);
      expect(gone.data).toEqual({ deleted: key });
      const again = await call(mcp.client, `classic_models_get_${singular}`, key);
      expect(again.isError).toBe(true);
      expect(again.text).toMatch(/^Not found: no /);
    }
  });

  it('whoami names the API user', async () => {
    const me = await call(mcp.client, 'classic_models_whoami');
    expect(me.data).toMatchObject({ id: 1, username: 'demo' });
  });
});

describe('list shaping', () => {
  it('top 5 products by total quantity ordered: one grouped call under 2 KB', async () => {
    const res = await call(mcp.client, 'classic_models_list_orderdetails', {
      group_by: ['productcode'],
      metrics: [{ op: 'sum', field: 'quantityordered' }],
      sort: ['-sum_quantityordered'],
      limit: 5,
    });
    expect(res.bytes).toBeLessThan(2048);
    const totals = new Map<string, number>();
    for (const l of replica.store.list('orderdetails')) totals.set(l.productcode as string, (totals.get(l.productcode as string) ?? 0) + (l.quantityordered as number));
    const top = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    expect(res.data.rows).toEqual(top.map(([productcode, sum]) => ({ productcode, sum_quantityordered: sum })));
    expect(res.data.total).toBe(totals.size);
  });

  it('where with typed comparison, fields, sort, limit and offset', async () => {
    const args = { where: [{ field: 'creditlimit', op: 'gte', value: '100000' }, { field: 'country', op: 'in', value: ['usa', 'France'] }], fields: ['customernumber', 'creditlimit'], sort: ['-creditlimit'] };
    const expected = replica.store
      .list('customers')
      .filter((c) => Number(c.creditlimit) >= 100000 && ['USA', 'France'].includes(c.country as string))
      .sort((a, b) => Number(b.creditlimit) - Number(a.creditlimit))
      .map((c) => ({ customernumber: c.customernumber, creditlimit: c.creditlimit }));
    const page1 = await call(mcp.client, 'classic_models_list_customers', { ...args, limit: 3 });
    expect(page1.data.total).toBe(expected.length);
    expect(page1.data.rows).toEqual(expected.slice(0, 3));
    expect(page1.data.next_offset).toBe(3);
    const page2 = await call(mcp.client, 'classic_models_list_customers', { ...args, limit: 3, offset: 3 });
    expect(page2.data.rows).toEqual(expected.slice(3, 6));
  });

  it('dates compare as dates; metrics alone give one total row', async () => {
    const res = await call(mcp.client, 'classic_models_list_payments', {
      where: [
        { field: 'paymentdate', op: 'gte', value: '2004-01-01' },
        { field: 'paymentdate', op: 'lt', value: '2005-01-01' },
      ],
      metrics: [{ op: 'sum', field: 'amount' }, { op: 'count' }],
    });
    const in2004 = replica.store.list('payments').filter((p) => String(p.paymentdate).startsWith('2004'));
    expect(res.data.rows).toEqual([{ sum_amount: Math.round(in2004.reduce((s, p) => s + Number(p.amount), 0) * 100) / 100, count: in2004.length }]);
  });

  it('eq null finds empty fields; derived linetotal sorts and sums', async () => {
    const noRep = await call(mcp.client, 'classic_models_list_customers', { where: [{ field: 'salesrepemployeenumber', op: 'eq', value: null }], fields: ['customernumber'], limit: 500 });
    expect(noRep.data.total).toBe(replica.store.list('customers').filter((c) => c.salesrepemployeenumber === null).length);
    const biggest = await call(mcp.client, 'classic_models_list_orderdetails', { ordernumber: 10100, sort: ['-linetotal'], fields: ['productcode', 'linetotal'], limit: 1 });
    const lines = replica.store.where('orderdetails', 'ordernumber', 10100).map((l) => Number(l.quantityordered) * Number(l.priceeach));
    expect(biggest.data.rows[0].linetotal).toBeCloseTo(Math.max(...lines), 2);
  });

  it('parent filters read the relationship endpoint, not the whole table', async () => {
    const before = replica.routeCount('GET v1/offices/{key}/employees/');
    const wholeBefore = replica.routeCount('GET v1/employees/');
    const res = await call(mcp.client, 'classic_models_list_employees', { officecode: '4', fields: ['employeenumber'] });
    expect(res.data.rows.map((r: any) => r.employeenumber)).toEqual([1102, 1337, 1370, 1401, 1702]);
    expect(replica.routeCount('GET v1/offices/{key}/employees/')).toBe(before + 1);
    expect(replica.routeCount('GET v1/employees/')).toBe(wholeBefore);
    const missing = await call(mcp.client, 'classic_models_list_orders', { customernumber: 1 });
    expect(missing.text).toBe('Not found: no customer 1');
  });

  it('rejects unknown fields and ops with the valid ones', async () => {
    const bad = await call(mcp.client, 'classic_models_list_offices', { where: [{ field: 'town', op: 'eq', value: 'Paris' }] });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('unknown field "town"; valid fields: officecode, city');
    const op = await call(mcp.client, 'classic_models_list_offices', { where: [{ field: 'city', op: 'like', value: 'Paris' }] });
    expect(op.text).toContain('where[0].op: expected one of eq, ne, lt, lte, gt, gte, contains, in');
  });
});

describe('bad input and failures', () => {
  it('bad arguments give isError results and send nothing to the API', async () => {
    const before = replica.stats.total;
    const cases: [string, Record<string, unknown>, string][] = [
      ['classic_models_get_customer', { customernumber: 'abc' }, 'customernumber: expected an integer'],
      ['classic_models_get_customer', { customernumber: 103, extra: 1 }, 'unknown parameter extra'],
      ['classic_models_create_office', { officecode: '9', cty: 'Paris' }, 'Invalid arguments: unknown parameter cty; valid: city, officecode,'],
      ['classic_models_create_order', { ordernumber: 1, orderdate: '2024-02-30', requireddate: '2024-01-10', status: 'x', customernumber: 103 }, 'orderdate: expected a real date as YYYY-MM-DD'],
      ['classic_models_create_payment', { customernumber: 103, checknumber: 'A', paymentdate: '2024-01-01', amount: '1.234' }, 'amount: expected a decimal string with at most 2 decimal places'],
      ['classic_models_update_product', { productcode: 'S10_1678', quantityinstock: 40000 }, 'quantityinstock: must be from -32768 to 32767'],
      ['classic_models_update_office', { officecode: '1', city: 'x'.repeat(51) }, 'city: at most 50 characters'],
      ['classic_models_update_office', { officecode: '1' }, 'nothing to change'],
      ['classic_models_list_payments', { where: [{ field: 'paymentdate', op: 'gt', value: 'last year' }] }, 'is a date; use YYYY-MM-DD'],
      ['classic_models_list_products', { limit: 10_000 }, 'limit'],
    ];
    for (const [tool, args, message] of cases) {
      const res = await call(mcp.client, tool, args);
      expect(res.isError, tool).toBe(true);
      expect(res.text).toContain(message);
    }
    expect(replica.stats.total).toBe(before);
  });

  it('API errors come back as one line: validation, not found, still referenced', async () => {
    const fk = await call(mcp.client, 'classic_models_create_product', {
      productcode: 'E2E_9',
      productname: 'x',
      productscale: '1:10',
      productvendor: 'v',
      productdescription: 'd',
      quantityinstock: 1,
      buyprice: '1.00',
      msrp: '2.00',
      productline: 'Nope',
    });
    expect(fk.text).toBe('The API rejected the request: productline: Invalid pk "Nope" - object does not exist.');
    const ref = await call(mcp.client, 'classic_models_delete_office', { officecode: '1' });
    expect(ref.text).toBe('Cannot delete office 1: other records still reference it (employees.officecode). Delete or reassign those first; nothing was deleted.');
    expect(ref.text).not.toContain('<');
    expect((await call(mcp.client, 'classic_models_get_office', { officecode: '1' })).isError).toBe(false);
  });

  it('cuts a list at a row boundary to stay within the result budget, and says how to go on', async () => {
    const small = await connectStdio(['serve-stdio', '--max-result-bytes', '20000'], envFor(replica));
    const res = await call(small.client, 'classic_models_list_orderdetails', { limit: 500 });
    expect(res.bytes).toBeLessThanOrEqual(20000);
    expect(res.data.truncated).toBe(true);
    expect(res.data.next_offset).toBe(res.data.returned);
    expect(res.data.note).toMatch(/Continue with offset \d+/);
    await small.close();
  });

  it('a session whose access token expires mid-way keeps working, with one login', async () => {
    const short = await startReplica({ accessLifetimeSeconds: 2 });
    const s = await connectStdio(['serve-stdio'], envFor(short));
    expect((await call(s.client, 'classic_models_get_office', { officecode: '1' })).isError).toBe(false);
    await new Promise((r) => setTimeout(r, 2500));
    const later = await call(s.client, 'classic_models_get_office', { officecode: '2' });
    expect(later.isError, later.text).toBe(false);
    expect(short.stats.logins).toBe(1);
    expect(short.stats.refreshes).toBeGreaterThanOrEqual(1);
    await s.close();
    await short.stop();
  });

  it('a refused login makes calls an isError with the reason, and no call tries again within the back-off', async () => {
    const s = await connectStdio(['serve-stdio'], envFor(replica, { API_PASSWORD: 'wrong-password' }));
    const logins = replica.routeCount('POST auth/login/');
    const first = await call(s.client, 'classic_models_list_offices');
    expect(first.text).toBe('Cannot sign in to the Classic Models API: login as "demo" failed: Invalid credentials (check API_USERNAME and API_PASSWORD)');
    const again = await Promise.all(Array.from({ length: 10 }, () => call(s.client, 'classic_models_list_offices')));
    expect(again.every((r) => r.isError && /next login attempt in \d+ s/.test(r.text))).toBe(true);
    expect(replica.routeCount('POST auth/login/')).toBe(logins + 1);
    expect(s.stderr()).not.toContain('wrong-password');
    await s.close();
  });
});

describe('serve-stdio process', () => {
  const raw = (args: string[], env: Record<string, string>) => spawn(process.execPath, [BUNDLE, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

  it('writes only protocol messages to stdout (even at debug level) and exits 0 when stdin closes', async () => {
    const child = raw(['serve-stdio', '--demo', '--log-level', 'debug'], {});
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.write(init + '\n');
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'classic_models_whoami', arguments: {} } }) + '\n');
    await new Promise<void>((resolve) => {
      const check = () => (out.includes('"id":2') ? resolve() : setTimeout(check, 20));
      check();
    });
    child.stdin.end();
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    for (const l of lines) expect(l.jsonrpc).toBe('2.0');
    // Two answers and the sign-in notice (MCP logging), nothing else.
    expect(lines.map((l) => l.id ?? l.method)).toEqual([1, 'notifications/message', 2]);
    expect(err).toContain('debug:');
    expect(err).not.toContain('demo123');
  });

  it('exits 0 on SIGTERM', async () => {
    const child = raw(['serve-stdio', '--demo'], {});
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdin.write(init + '\n');
    await new Promise<void>((resolve) => {
      const check = () => (out.includes('"id":1') ? resolve() : setTimeout(check, 20));
      check();
    });
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
  });
});
