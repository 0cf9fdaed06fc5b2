import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { QUESTIONS, sameRows } from '../contract/questions.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connectHttp, connectStdio, startHttpServer, type Connected, type HttpServerProcess } from '../helpers/mcp.js';
import { direct, envFor, KIT_PRESENT, sql, startRealApi, type RealApi } from './kit.js';

/**
 * Every tool of every resource through the built bundle and the SDK client, against the real
 * API on runserver (no proxy): create → get → update → list → delete for each of the eight
 * resources with their key types (text office codes, composite payment and order-line keys),
 * the API's refusals flattened to one line, and one login for the whole session.
 */
const sfx = randomBytes(2).toString('hex').toUpperCase();
const n = 90_000 + (parseInt(sfx, 16) % 9_000);
const K = {
  productline: `RT Line ${sfx}`,
  productcode: `RT_${sfx}`,
  officecode: `R${sfx}`,
  employeenumber: n,
  customernumber: n,
  ordernumber: n,
  checknumber: `RTCHK${sfx}`,
};

/** In the order they can be created (parents first); deleted in reverse. */
const STEPS: { singular: string; plural: string; create: Record<string, unknown>; change: Record<string, unknown>; key: Record<string, unknown>; path: string }[] = [
  { singular: 'productline', plural: 'productlines', create: { productline: K.productline, textdescription: 'made by the real-API suite' }, change: { textdescription: 'patched' }, key: { productline: K.productline }, path: `v1/productlines/${encodeURIComponent(K.productline)}/` },
  {
    singular: 'product',
    plural: 'products',
    create: { productcode: K.productcode, productname: 'Test car', productscale: '1:10', productvendor: 'RT Vendor', productdescription: 'd', quantityinstock: 5, buyprice: '10.00', msrp: '20.50', productline: K.productline },
    change: { msrp: '21.99', quantityinstock: 7 },
    key: { productcode: K.productcode },
    path: `v1/products/${K.productcode}/`,
  },
  { singular: 'office', plural: 'offices', create: { officecode: K.officecode, city: 'Lyon', phone: '+33 1', addressline1: '1 rue', country: 'France', postalcode: '69000', territory: 'EMEA' }, change: { city: 'Lille', state: null }, key: { officecode: K.officecode }, path: `v1/offices/${K.officecode}/` },
  {
    singular: 'employee',
    plural: 'employees',
    create: { employeenumber: K.employeenumber, lastname: 'Test', firstname: 'Real', extension: 'x1', email: 'rt@example.com', jobtitle: 'Rep', officecode: K.officecode, reportsto: 1002 },
    change: { jobtitle: 'Sales Rep' },
    key: { employeenumber: K.employeenumber },
    path: `v1/employees/${K.employeenumber}/`,
  },
  {
    singular: 'customer',
    plural: 'customers',
    create: { customernumber: K.customernumber, customername: 'RT Co', contactlastname: 'Doe', contactfirstname: 'J', phone: '1', addressline1: 'a', city: 'c', country: 'Realland', creditlimit: '100.00', salesrepemployeenumber: K.employeenumber },
    change: { creditlimit: null },
    key: { customernumber: K.customernumber },
    path: `v1/customers/${K.customernumber}/`,
  },
  {
    singular: 'order',
    plural: 'orders',
    create: { ordernumber: K.ordernumber, orderdate: '2024-01-01', requireddate: '2024-01-10', status: 'In Process', customernumber: K.customernumber },
    change: { status: 'Shipped', shippeddate: '2024-01-05' },
    key: { ordernumber: K.ordernumber },
    path: `v1/orders/${K.ordernumber}/`,
  },
  {
    singular: 'payment',
    plural: 'payments',
    create: { customernumber: K.customernumber, checknumber: K.checknumber, paymentdate: '2024-01-02', amount: '123.45' },
    change: { amount: '200.10' },
    key: { customernumber: K.customernumber, checknumber: K.checknumber },
    path: `v1/payments/${K.customernumber}/${K.checknumber}/`,
  },
  {
    singular: 'orderdetail',
    plural: 'orderdetails',
    create: { ordernumber: K.ordernumber, productcode: K.productcode, quantityordered: 5, priceeach: '50.00', orderlinenumber: 1 },
    change: { quantityordered: 6 },
    key: { ordernumber: K.ordernumber, productcode: K.productcode },
    path: `v1/orderdetails/${K.ordernumber}/${K.productcode}/`,
  },
];

// Before any test here writes: MariaDB answers over the sample data as it stands.
describe.skipIf(!KIT_PRESENT)('real API: classicmodels questions in one classic_models_query call each, as MariaDB answers them', () => {
  let api: RealApi;
  let stdio: Connected;
  let http: HttpServerProcess;
  const answers: Record<string, string[][]> = {};
  beforeAll(async () => {
    api = await startRealApi();
    stdio = await connectStdio(['serve-stdio'], envFor(api));
    http = await startHttpServer(['--audit-log', 'off'], { ...envFor(api), LOG_LEVEL: 'info', SSE_BEARER_TOKEN: 'rt-token' });
  });
  afterAll(async () => {
    if (process.env.CM_RECORD === '1') writeFileSync(new URL('../contract/query-answers.json', import.meta.url), JSON.stringify({ source: 'MariaDB 10.11 over the sample data, via test/real-api', answers }, null, 1) + '\n');
    await stdio?.close();
    await http?.stop();
    await api?.stop();
  });

  it(`has at least 20 questions (${QUESTIONS.length})`, () => expect(QUESTIONS.length).toBeGreaterThanOrEqual(20));

  it('each question: the same rows over stdio and /mcp as MariaDB gives for the same SQL', async () => {
    const mcp = await connectHttp(http.url, 'mcp', 'rt-token');
    const wrong: string[] = [];
    for (const question of QUESTIONS) {
      const expected = (await sql(question.sql)).split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
      answers[question.q] = expected;
      for (const [transport, client] of [['stdio', stdio.client], ['/mcp', mcp]] as const) {
        const r = await call(client, 'classic_models_query', { sql: question.sql });
        const problem = r.isError ? r.text : sameRows(r.data.rows, expected, question.unordered);
        if (problem) wrong.push(`${question.q} (${transport}): ${problem}`);
      }
    }
    await mcp.close();
    expect(wrong).toEqual([]);
  });
});

describe.skipIf(!KIT_PRESENT)('real API: every tool over stdio, one login for the session', () => {
  let api: RealApi;
  let mcp: Connected;

  beforeAll(async () => {
    api = await startRealApi();
    mcp = await connectStdio(['serve-stdio'], envFor(api));
  });
  afterAll(async () => {
    await mcp?.close();
    // Whatever a failed step left behind goes, children first (the database is shared).
    for (const s of [...STEPS].reverse()) if (api) await direct(api, 'DELETE', s.path);
    await api?.stop();
  });

  it('creates one record of each resource, parents first, and reads each back as the API holds it', async () => {
    for (const s of STEPS) {
      const made = await call(mcp.client, `classic_models_create_${s.singular}`, s.create);
      expect(made.isError, `${s.singular}: ${made.text}`).toBe(false);
      expect(made.data).toMatchObject(s.key);
      const got = await call(mcp.client, `classic_models_get_${s.singular}`, s.key);
      expect(got.isError, `${s.singular}: ${got.text}`).toBe(false);
      const held = s.singular === 'orderdetail' ? (await direct(api, 'GET', `v1/orderdetails/${K.ordernumber}/`)).body[0] : (await direct(api, 'GET', s.path)).body;
      expect(got.data).toEqual(held);
    }
  });

  it('updates each record and the API holds the change', async () => {
    for (const s of STEPS) {
      const changed = await call(mcp.client, `classic_models_update_${s.singular}`, { ...s.key, ...s.change });
      expect(changed.isError, `${s.singular}: ${changed.text}`).toBe(false);
      expect(changed.data).toMatchObject(s.change);
      const held = s.singular === 'orderdetail' ? (await direct(api, 'GET', `v1/orderdetails/${K.ordernumber}/`)).body[0] : (await direct(api, 'GET', s.path)).body;
      expect(held).toMatchObject(s.change);
    }
  });

  it('lists find each record by where, project fields, sort, and group', async () => {
    for (const s of STEPS) {
      const [field, value] = Object.entries(s.key)[0];
      const found = await call(mcp.client, `classic_models_list_${s.plural}`, { where: Object.entries(s.key).map(([f, v]) => ({ field: f, op: 'eq', value: v })), fields: Object.keys(s.key) });
      expect(found.isError, `${s.plural}: ${found.text}`).toBe(false);
      expect(found.data.rows, s.plural).toEqual([s.key]);
      const sorted = await call(mcp.client, `classic_models_list_${s.plural}`, { sort: [`-${field}`], fields: [field], limit: 500 });
      const values = sorted.data.rows.map((r: Record<string, unknown>) => r[field]);
      expect(sorted.data.total, s.plural).toBe(((await direct(api, 'GET', `v1/${s.plural}/`)).body as unknown[]).length);
      if (typeof value === 'number') expect(values.slice(0, 20), s.plural).toEqual([...values].sort((a, b) => b - a).slice(0, 20));
      expect(values).toContain(value);
    }
    const grouped = await call(mcp.client, 'classic_models_list_orderdetails', { where: [{ field: 'ordernumber', op: 'eq', value: K.ordernumber }], group_by: ['productcode'], metrics: [{ op: 'sum', field: 'quantityordered' }, { op: 'sum', field: 'linetotal' }] });
    expect(grouped.data.rows).toEqual([{ productcode: K.productcode, sum_quantityordered: 6, sum_linetotal: 300 }]);
  });

  it('a delete that a foreign key forbids (an HTML IntegrityError page upstream) is one line, and nothing is deleted', async () => {
    const refused = await call(mcp.client, 'classic_models_delete_productline', { productline: K.productline });
    expect(refused.isError).toBe(true);
    expect(refused.text).toBe(`Cannot delete product line ${K.productline}: other records still reference it (products.productline). Delete or reassign those first; nothing was deleted.`);
    expect((await direct(api, 'GET', STEPS[0].path)).status).toBe(200);
  });

  it('deletes each record, children first; a second get is not found', async () => {
    for (const s of [...STEPS].reverse()) {
      const gone = await call(mcp.client, `classic_models_delete_${s.singular}`, s.key);
      expect(gone.isError, `${s.singular}: ${gone.text}`).toBe(false);
      expect(gone.data).toEqual({ deleted: s.key });
      const again = await call(mcp.client, `classic_models_get_${s.singular}`, s.key);
      expect(again.text, s.singular).toMatch(/^Not found: no /);
      expect((await call(mcp.client, `classic_models_delete_${s.singular}`, s.key)).text).toMatch(/^Not found: no /);
    }
  });

  it("the API's validation errors and not-found answers come back as one line", async () => {
    const dup = await call(mcp.client, 'classic_models_create_office', { officecode: '1', city: 'x', phone: '1', addressline1: 'a', country: 'c', postalcode: '1', territory: 'NA' });
    expect(dup.text).toBe('The API rejected the request: officecode: office with this officecode already exists.');
    const fk = await call(mcp.client, 'classic_models_create_product', { ...STEPS[1].create, productcode: `RT_X${sfx}`, productline: 'Nope' });
    expect(fk.text).toBe('The API rejected the request: productline: Invalid pk "Nope" - object does not exist.');
    const pay = await call(mcp.client, 'classic_models_create_payment', { customernumber: 103, checknumber: 'HQ336336', paymentdate: '2024-01-01', amount: '1.00' });
    expect(pay.text).toBe('The API rejected the request: The fields customernumber, checknumber must make a unique set.');
    expect((await call(mcp.client, 'classic_models_get_customer', { customernumber: 1 })).text).toBe('Not found: no customer 1');
    expect((await call(mcp.client, 'classic_models_get_payment', { customernumber: 103, checknumber: 'NOPE' })).text).toBe('Not found: no payment (customernumber 103, checknumber NOPE)');
    expect((await call(mcp.client, 'classic_models_get_orderdetail', { ordernumber: 1, productcode: 'S10_1678' })).text).toBe('Not found: no order detail (ordernumber 1, productcode S10_1678)');
    expect((await call(mcp.client, 'classic_models_list_orders', { customernumber: 1 })).text).toBe('Not found: no customer 1');
  });

  it('list answers equal the API data: filters, parents, groups and totals', async () => {
    const all = async (res: string) => (await direct(api, 'GET', `v1/${res}/`)).body as Record<string, any>[];
    const customers = await all('customers');
    const usa = await call(mcp.client, 'classic_models_list_customers', { where: [{ field: 'country', op: 'eq', value: 'USA' }], fields: ['customernumber'], limit: 500 });
    expect(usa.data.rows.map((r: any) => r.customernumber).sort()).toEqual(customers.filter((c) => c.country === 'USA').map((c) => c.customernumber).sort());
    const rich = await call(mcp.client, 'classic_models_list_customers', { where: [{ field: 'creditlimit', op: 'gte', value: '100000' }], sort: ['-creditlimit'], fields: ['customernumber', 'creditlimit'], limit: 3 });
    const richest = customers.filter((c) => Number(c.creditlimit) >= 100000).sort((a, b) => Number(b.creditlimit) - Number(a.creditlimit));
    expect(rich.data.total).toBe(richest.length);
    expect(rich.data.rows).toEqual(richest.slice(0, 3).map((c) => ({ customernumber: c.customernumber, creditlimit: c.creditlimit })));
    const lines = await all('orderdetails');
    const top = await call(mcp.client, 'classic_models_list_orderdetails', { group_by: ['productcode'], metrics: [{ op: 'sum', field: 'quantityordered' }], sort: ['-sum_quantityordered'], limit: 5 });
    const totals = new Map<string, number>();
    for (const l of lines) totals.set(l.productcode, (totals.get(l.productcode) ?? 0) + l.quantityordered);
    expect(top.data.rows).toEqual([...totals].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([productcode, sum]) => ({ productcode, sum_quantityordered: sum })));
    const paid = await call(mcp.client, 'classic_models_list_payments', { customernumber: 103, metrics: [{ op: 'sum', field: 'amount' }, { op: 'count' }] });
    const own = (await direct(api, 'GET', 'v1/customers/103/payments/')).body as { amount: string }[];
    expect(paid.data.rows).toEqual([{ sum_amount: Math.round(own.reduce((s, p) => s + Number(p.amount), 0) * 100) / 100, count: own.length }]);
    const staff = await call(mcp.client, 'classic_models_list_employees', { officecode: '1', fields: ['employeenumber'] });
    expect(staff.data.rows.map((r: any) => r.employeenumber)).toEqual(((await direct(api, 'GET', 'v1/offices/1/employees/')).body as any[]).map((e) => e.employeenumber));
    const me = await call(mcp.client, 'classic_models_whoami');
    expect(me.data).toMatchObject({ username: 'demo' });
  });

  it('the whole session above used exactly one login', () => {
    expect(api.logins()).toBe(1);
    expect(mcp.stderr()).not.toMatch(/demo123|eyJ/);
  });
});

describe.skipIf(!KIT_PRESENT)('real API: tools over Streamable HTTP (/mcp) and HTTP+SSE', () => {
  let api: RealApi;
  let server: HttpServerProcess;

  beforeAll(async () => {
    api = await startRealApi();
    server = await startHttpServer(['--audit-log', 'off'], { ...envFor(api), LOG_LEVEL: 'info', SSE_BEARER_TOKEN: 'rt-token' });
  });
  afterAll(async () => {
    await server?.stop();
    if (api) await direct(api, 'DELETE', `v1/offices/H${sfx}/`);
    await api?.stop();
  });

  it('reads and writes over /mcp and /sse, with the same answers as the API', async () => {
    for (const kind of ['mcp', 'sse'] as const) {
      const client = await connectHttp(server.url, kind, 'rt-token');
      const got = await call(client, 'classic_models_get_payment', { customernumber: 103, checknumber: 'HQ336336' });
      expect(got.data).toEqual((await direct(api, 'GET', 'v1/payments/103/HQ336336/')).body);
      const code = `${kind === 'mcp' ? 'H' : 'S'}${sfx}`;
      const made = await call(client, 'classic_models_create_office', { officecode: code, city: 'Graz', phone: '1', addressline1: 'a', country: 'Austria', postalcode: '8010', territory: 'EMEA' });
      expect(made.isError, made.text).toBe(false);
      expect((await call(client, 'classic_models_update_office', { officecode: code, city: 'Linz' })).data.city).toBe('Linz');
      expect((await call(client, 'classic_models_delete_office', { officecode: code })).isError).toBe(false);
      expect((await direct(api, 'GET', `v1/offices/${code}/`)).status).toBe(404);
      await client.close();
    }
  });

  it('20 sessions, half on /mcp and half on /sse, share one login', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => connectHttp(server.url, i % 2 ? 'sse' : 'mcp', 'rt-token')));
    const results = await Promise.all(clients.map((c, i) => call(c, 'classic_models_get_customer', { customernumber: [103, 112, 114, 119][i % 4] })));
    expect(results.filter((r) => r.isError).map((r) => r.text)).toEqual([]);
    await Promise.all(clients.map((c) => c.close()));
    expect(api.logins()).toBe(1);
  });
});
