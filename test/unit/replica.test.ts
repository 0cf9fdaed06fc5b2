import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startReplica, type Replica, type ReplicaOptions } from '../../src/demo/server.js';
// @ts-expect-error: a plain .mjs tool without type declarations
import { convert } from '../tools/seed-from-sql.mjs';
import seed from '../../src/demo/seed.json' with { type: 'json' };

const ROOT = '/classic-models/api/';
let replica: Replica;

async function start(opts: ReplicaOptions = {}) {
  replica = await startReplica({ apiKey: 'k-test', ...opts });
}
afterEach(async () => {
  await replica?.stop();
});

type Res = { status: number; headers: Headers; body: any; text: string };
async function call(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; auth?: boolean } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...(opts.auth === false ? {} : { 'X-API-Key': 'k-test' }), ...opts.headers };
  if (opts.body !== undefined) headers['Content-Type'] ??= 'application/json';
  const res = await fetch(replica.url + ROOT + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), redirect: 'manual' });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body, text };
}
const login = async (username = 'demo', password = 'demo123') => (await call('POST', 'auth/login/', { body: { username, password }, auth: false })).body;

describe('replica data', () => {
  beforeEach(() => start());

  it('starts from the sample data', async () => {
    const counts: Record<string, number> = {};
    for (const r of ['productlines', 'products', 'offices', 'employees', 'customers', 'orders', 'payments', 'orderdetails']) counts[r] = (await call('GET', `v1/${r}/`)).body.length;
    expect(counts).toEqual({ productlines: 7, products: 110, offices: 7, employees: 23, customers: 122, orders: 326, payments: 273, orderdetails: 2996 });
  });

  it.runIf(existsSync(new URL('../../../shared/classicmodels/mysqlsampledatabase.sql', import.meta.url)))('its committed seed is the conversion of the sample SQL', () => {
    const sql = readFileSync(new URL('../../../shared/classicmodels/mysqlsampledatabase.sql', import.meta.url), 'utf8');
    expect(convert(sql)).toEqual(seed);
  });

  it('refuses a delete that a foreign key forbids with an HTML 500, and deletes nothing', async () => {
    const r = await call('DELETE', 'v1/offices/1/');
    expect(r.status).toBe(500);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.text).toContain('<title>IntegrityError at /classic-models/api/v1/offices/1/</title>');
    expect(r.text).toContain('1451');
    expect((await call('GET', 'v1/offices/1/')).status).toBe(200);
    expect((await call('DELETE', 'v1/customers/103/')).status).toBe(500);
    expect((await call('DELETE', 'v1/productlines/Classic%20Cars/')).status).toBe(500);
  });

  it('validates like DRF: lengths, ranges, dates, decimals, foreign keys, types', async () => {
    const r = await call('POST', 'v1/products/', {
      body: { productcode: 'X'.repeat(16), productname: 'n', productscale: '1:10', productvendor: 'v', productdescription: ' ', quantityinstock: 40000, buyprice: '123456789.00', msrp: 'abc', productline: 'Nope' },
    });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      productcode: ['Ensure this field has no more than 15 characters.'],
      productdescription: ['This field may not be blank.'],
      quantityinstock: ['Ensure this value is less than or equal to 32767.'],
      buyprice: ['Ensure that there are no more than 10 digits in total.'],
      msrp: ['A valid number is required.'],
      productline: ['Invalid pk "Nope" - object does not exist.'],
    });
    const o = await call('POST', 'v1/orders/', { body: { ordernumber: 'x', orderdate: '2024-02-30', requireddate: '01/02/2024', status: 'Shipped', customernumber: 'abc' } });
    expect(o.body).toEqual({
      ordernumber: ['A valid integer is required.'],
      orderdate: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'],
      requireddate: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'],
      customernumber: ['Incorrect type. Expected pk value, received str.'],
    });
  });

  it('PUT needs every required field; PATCH changes only what it sends', async () => {
    const put = await call('PUT', 'v1/offices/1/', { body: { city: 'X' } });
    expect(put.status).toBe(400);
    expect(Object.keys(put.body)).toEqual(['officecode', 'phone', 'addressline1', 'country', 'postalcode', 'territory']);
    const patch = await call('PATCH', 'v1/customers/103/', { body: { creditlimit: 5 } });
    expect(patch.status).toBe(200);
    expect(patch.body.creditlimit).toBe('5.00');
    expect(patch.body.customername).toBe('Atelier graphique');
  });

  it('answers relationship endpoints, and 404 when the parent is missing', async () => {
    expect((await call('GET', 'v1/offices/4/employees/')).body.map((e: any) => e.employeenumber)).toEqual([1102, 1337, 1370, 1401, 1702]);
    expect((await call('GET', 'v1/customers/103/payments/')).body).toHaveLength(3);
    expect((await call('GET', 'v1/orders/10100/order-details/')).body).toHaveLength(4);
    expect((await call('GET', 'v1/employees/1/reports/')).body).toEqual({ detail: 'Not found.' });
  });

  it('has no route by surrogate id, and no GET for one order line', async () => {
    const byId = await call('GET', 'v1/payments/5/');
    expect(byId.status).toBe(404);
    expect(byId.text).toContain('<title>Page not found at /classic-models/api/v1/payments/5/</title>');
    const line = await call('GET', 'v1/orderdetails/10100/S18_1749/');
    expect(line.status).toBe(405);
    expect(line.body).toEqual({ detail: 'Method "GET" not allowed.' });
    expect(line.headers.get('allow')).toBe('PUT, PATCH, DELETE, OPTIONS');
  });

  it('answers unknown routes with an HTML 404', async () => {
    const r = await call('GET', 'v1/widgets/');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toContain('text/html');
  });

  it('stop and start keep the port and the data', async () => {
    await call('PATCH', 'v1/offices/1/', { body: { city: 'Oakland' } });
    const url = replica.url;
    await replica.stop();
    await expect(fetch(url + ROOT + 'v1/offices/')).rejects.toThrow();
    await replica.start();
    expect(replica.url).toBe(url);
    expect((await call('GET', 'v1/offices/1/')).body.city).toBe('Oakland');
  });
});

describe('replica trailing slashes', () => {
  beforeEach(() => start());

  it.each(['auth/me', 'v1/payments', 'v1/orderdetails', 'v1/orderdetails/10100', 'v1/payments/103/HQ336336'])('GET and DELETE %s without the slash get a 301 to the slashed URL', async (path) => {
    for (const method of ['GET', 'DELETE']) {
      const r = await call(method, path);
      expect(r.status).toBe(301);
      expect(r.headers.get('location')).toBe(`${ROOT}${path}/`);
    }
  });

  it.each([
    ['POST', 'auth/login'],
    ['POST', 'v1/payments'],
    ['PATCH', 'v1/payments/103/HQ336336'],
    ['POST', 'v1/orderdetails'],
    ['PATCH', 'v1/orderdetails/10100/S18_1749'],
  ])('%s %s without the slash gets an HTML 500 and changes nothing', async (method, path) => {
    const r = await call(method, path, { body: { amount: '1.00', quantityordered: 1 } });
    expect(r.status).toBe(500);
    expect(r.text).toContain('RuntimeError');
    expect(r.text).toContain('APPEND_SLASH');
    expect((await call('GET', 'v1/payments/103/HQ336336/')).body.amount).toBe('6066.78');
  });

  it('the six router resources accept both forms', async () => {
    expect((await call('GET', 'v1/offices')).status).toBe(200);
    expect((await call('PATCH', 'v1/offices/1', { body: { city: 'SF' } })).status).toBe(200);
  });
});

describe('replica auth', () => {
  it('an access token dies at its lifetime and the refresh token still works once', async () => {
    await start({ accessLifetimeSeconds: 1 });
    const t = await login();
    expect((await call('GET', 'auth/me/', { auth: false, headers: { Authorization: `Bearer ${t.access}` } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await call('GET', 'v1/offices/', { auth: false, headers: { Authorization: `Bearer ${t.access}` } });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
    });
    expect(expired.headers.get('www-authenticate')).toBe('X-API-Key');
    const first = await call('POST', 'auth/refresh/', { body: { refresh: t.refresh }, auth: false });
    expect(first.status).toBe(200);
    const again = await call('POST', 'auth/refresh/', { body: { refresh: t.refresh }, auth: false });
    expect(again.status).toBe(401);
    expect(again.body).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
    expect(replica.stats.refreshes).toBe(1);
  });

  it('two racing refreshes with one token: one 200, one "Token is blacklisted"', async () => {
    await start();
    const t = await login();
    const results = await Promise.all([1, 2].map(() => call('POST', 'auth/refresh/', { body: { refresh: t.refresh }, auth: false })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('throttles logins per IP with 429 and Retry-After (configurable rate)', async () => {
    await start({ throttles: { login: { requests: 3, periodSeconds: 3600 } } });
    for (let i = 0; i < 3; i++) expect((await call('POST', 'auth/login/', { body: { username: 'demo', password: 'x' }, auth: false })).status).toBe(400);
    const r = await call('POST', 'auth/login/', { body: { username: 'demo', password: 'demo123' }, auth: false });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect(r.body.detail).toMatch(/^Request was throttled\. Expected available in \d+ seconds\.$/);
    expect(replica.routeCount('POST auth/login/')).toBe(4);
  });

  it("knows a second user, and answers a disabled account like a wrong password (Django's ModelBackend refuses inactive users first)", async () => {
    await start({
      users: [
        { id: 1, username: 'demo', password: 'demo123', email: '', first_name: '', last_name: '', is_active: true, date_joined: '' },
        { id: 3, username: 'gone', password: 'gone123', email: '', first_name: '', last_name: '', is_active: false, date_joined: '' },
      ],
    });
    expect((await login('gone', 'gone123')).non_field_errors).toEqual(['Invalid credentials']);
    await replica.stop();
    await start();
    expect((await login('analyst', 'analyst123')).user.username).toBe('analyst');
  });

  it('rejects text/plain and broken JSON the way DRF does', async () => {
    await start();
    const plain = await fetch(replica.url + ROOT + 'auth/login/', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hi' });
    expect(plain.status).toBe(415);
    const broken = await fetch(replica.url + ROOT + 'auth/login/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' });
    expect(broken.status).toBe(400);
    expect((await broken.json()).detail).toMatch(/^JSON parse error - /);
  });
});

describe('replica test controls', () => {
  beforeEach(() => start());

  it('forces a status for a route, a number of times', async () => {
    replica.inject({ method: 'GET', path: /^v1\/customers\/$/, status: 503, times: 2 });
    expect((await call('GET', 'v1/customers/')).status).toBe(503);
    expect((await call('GET', 'v1/customers/')).status).toBe(503);
    expect((await call('GET', 'v1/customers/')).status).toBe(200);
  });

  it('drops connections and delays answers', async () => {
    const undo = replica.inject({ path: /^v1\/offices\//, drop: true });
    await expect(call('GET', 'v1/offices/')).rejects.toThrow();
    undo();
    replica.inject({ path: /^v1\/orders\//, delayMs: 300 });
    const t0 = Date.now();
    await call('GET', 'v1/orders/10100/');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('honours the Sleep header', async () => {
    const t0 = Date.now();
    await call('GET', 'v1/offices/1/', { headers: { Sleep: '1' } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(990);
  });

  it('counts requests per route', async () => {
    await login();
    await call('GET', 'v1/customers/103/');
    await call('GET', 'v1/customers/112/');
    expect(replica.stats.logins).toBe(1);
    expect(replica.routeCount('GET v1/customers/{key}/')).toBe(2);
  });
});
