import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, type ApiClientOptions } from '../../src/api/client.js';
import { ApiError } from '../../src/api/errors.js';
import { failure } from '../helpers/failure.js';
import { createLogger } from '../../src/log/logger.js';
import { fakeJwt } from '../helpers/jwt.js';

const BASE = 'http://api.test';
const ROOT = '/classic-models/api';


/** A clock the tests move by hand, so expiry is exact and no test sleeps. */
function clock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), seconds: () => Math.floor(t / 1000) };
}

function client(extra: Partial<ApiClientOptions> = {}, logLines: string[] = []) {
  return new ApiClient({
    baseUrl: BASE,
    username: 'demo',
    password: 'demo123-secret',
    timeoutMs: 2_000,
    sslVerify: true,
    logger: createLogger('debug', ['demo123-secret'], (l) => logLines.push(l)),
    sleep: async () => {},
    ...extra,
  });
}

function loginReply(c: ReturnType<typeof clock>, accessLife = 3600) {
  return { access: fakeJwt('access', c.seconds() + accessLife), refresh: fakeJwt('refresh', c.seconds() + 7 * 86400), user: { id: 1, username: 'demo' } };
}

beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('ApiClient URLs', () => {
  it('always sends the trailing slash and encodes path segments', async () => {
    const c = clock();
    nock(BASE).post(`${ROOT}/auth/login/`).reply(200, loginReply(c));
    const scope = nock(BASE).get(`${ROOT}/v1/productlines/Classic%20Cars/`).reply(200, { productline: 'Classic Cars' });
    const api = client({ now: c.now });
    expect(await api.request('GET', ['v1', 'productlines', 'Classic Cars'])).toEqual({ productline: 'Classic Cars' });
    expect(scope.isDone()).toBe(true);
    expect(api.url(['v1', 'payments', 103, 'A/B']).pathname).toBe(`${ROOT}/v1/payments/103/A%2FB/`);
  });

  it('accepts a base URL that already ends in the API root', () => {
    const api = client({ baseUrl: 'https://h.example/prefix/classic-models/api/' });
    expect(api.url(['auth', 'me']).href).toBe('https://h.example/prefix/classic-models/api/auth/me/');
  });
});

describe('ApiClient JWT session', () => {
  it('50 concurrent requests right after the access token expired cause exactly one refresh and no login', async () => {
    const c = clock();
    const login = nock(BASE).post(`${ROOT}/auth/login/`).once().reply(200, loginReply(c, 600));
    const api = client({ now: c.now });
    nock(BASE).get(`${ROOT}/v1/offices/`).reply(200, []);
    await api.request('GET', ['v1', 'offices']);
    expect(login.isDone()).toBe(true);

    c.advance(601_000);
    const fresh = fakeJwt('access', c.seconds() + 600);
    let refreshes = 0;
    nock(BASE)
      .post(`${ROOT}/auth/refresh/`)
      .times(5)
      .reply(() => {
        refreshes++;
        return [200, { access: fresh, refresh: fakeJwt('refresh', c.seconds() + 86400) }];
      });
    const seen = new Set<string>();
    nock(BASE)
      .get(`${ROOT}/v1/customers/`)
      .times(50)
      .reply(function () {
        seen.add(String(this.req.headers.authorization));
        return [200, [{ customernumber: 103 }]];
      });
    const results = await Promise.all(Array.from({ length: 50 }, () => api.request('GET', ['v1', 'customers'])));
    expect(results).toHaveLength(50);
    expect(refreshes).toBe(1);
    expect(api.session.stats).toEqual({ logins: 1, refreshes: 1 });
    expect([...seen]).toEqual([`Bearer ${fresh}`]);
  });

  it('refreshes before expiry: a token with 20 s left is renewed before the request leaves', async () => {
    const c = clock();
    nock(BASE).post(`${ROOT}/auth/login/`).reply(200, loginReply(c, 20));
    const fresh = fakeJwt('access', c.seconds() + 3600);
    const refresh = nock(BASE).post(`${ROOT}/auth/refresh/`).reply(200, { access: fresh, refresh: fakeJwt('refresh', c.seconds() + 86400) });
    const get = nock(BASE).get(`${ROOT}/auth/me/`).matchHeader('authorization', `Bearer ${fresh}`).reply(200, { username: 'demo' });
    const api = client({ now: c.now });
    await api.login();
    await api.request('GET', ['auth', 'me']);
    expect(refresh.isDone()).toBe(true);
    expect(get.isDone()).toBe(true);
  });

  it('a refresh answered "Token is blacklisted" leads to exactly one login, and every request succeeds', async () => {
    const c = clock();
    nock(BASE).post(`${ROOT}/auth/login/`).reply(200, loginReply(c, 60));
    const api = client({ now: c.now });
    await api.login();
    c.advance(61_000);

    nock(BASE).post(`${ROOT}/auth/refresh/`).reply(401, { detail: 'Token is blacklisted', code: 'token_not_valid' }, { 'WWW-Authenticate': 'Bearer realm="api"' });
    let logins = 0;
    const second = loginReply(c);
    nock(BASE)
      .post(`${ROOT}/auth/login/`)
      .times(3)
      .reply(() => {
        logins++;
        return [200, second];
      });
    nock(BASE).get(`${ROOT}/v1/orders/`).times(10).matchHeader('authorization', `Bearer ${second.access}`).reply(200, []);
    const results = await Promise.all(Array.from({ length: 10 }, () => api.request('GET', ['v1', 'orders'])));
    expect(results).toEqual(Array(10).fill([]));
    expect(logins).toBe(1);
  });

  it('a 401 on a request refreshes once and retries that request once', async () => {
    const c = clock();
    const first = loginReply(c);
    nock(BASE).post(`${ROOT}/auth/login/`).reply(200, first);
    const renewed = fakeJwt('access', c.seconds() + 3600);
    nock(BASE).post(`${ROOT}/auth/refresh/`).reply(200, { access: renewed, refresh: fakeJwt('refresh', c.seconds() + 86400) });
    nock(BASE).get(`${ROOT}/v1/products/`).matchHeader('authorization', `Bearer ${first.access}`).reply(401, { detail: 'Given token not valid for any token type' });
    nock(BASE).get(`${ROOT}/v1/products/`).matchHeader('authorization', `Bearer ${renewed}`).reply(200, [{ productcode: 'S10_1678' }]);
    const api = client({ now: c.now });
    expect(await api.request('GET', ['v1', 'products'])).toEqual([{ productcode: 'S10_1678' }]);
  });

  it('a 429 on login is honoured: a short Retry-After is waited out, then the login goes through', async () => {
    const c = clock();
    const waits: number[] = [];
    nock(BASE).post(`${ROOT}/auth/login/`).reply(429, { detail: 'Request was throttled. Expected available in 2 seconds.' }, { 'Retry-After': '2' });
    nock(BASE).post(`${ROOT}/auth/login/`).reply(200, loginReply(c));
    nock(BASE).get(`${ROOT}/auth/me/`).reply(200, { username: 'demo' });
    const api = client({ now: c.now, sleep: async (ms) => void waits.push(ms) });
    expect(await api.request('GET', ['auth', 'me'])).toEqual({ username: 'demo' });
    expect(waits).toEqual([2000]);
  });

  it('a long login throttle fails the call with when to retry, and later calls do not hammer the login', async () => {
    const c = clock();
    const login = nock(BASE).post(`${ROOT}/auth/login/`).once().reply(429, { detail: 'Request was throttled. Expected available in 3500 seconds.' }, { 'Retry-After': '3500' });
    const api = client({ now: c.now });
    const err = await failure(api.request('GET', ['v1', 'offices']));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toMatch(/throttled.*retry in 3500 s/);
    expect(login.isDone()).toBe(true);
    c.advance(60_000);
    const again = await failure(api.request('GET', ['v1', 'offices']));
    expect(again.message).toMatch(/retry in 3440 s/);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('refused credentials: calls get the answer at once, the next login waits 30 s, doubling, and new credentials end the wait', async () => {
    const c = clock();
    let logins = 0;
    nock(BASE)
      .post(`${ROOT}/auth/login/`)
      .times(3)
      .reply(() => {
        logins++;
        return [400, { non_field_errors: ['Invalid credentials'] }];
      });
    const api = client({ now: c.now });
    const e1 = await failure(api.request('GET', ['v1', 'offices']));
    expect(e1.message).toBe('login as "demo" failed: Invalid credentials (check API_USERNAME and API_PASSWORD)');
    const concurrent = await Promise.all(Array.from({ length: 30 }, () => failure(api.request('GET', ['v1', 'offices']))));
    expect(logins).toBe(1);
    expect(concurrent[0].message).toBe('login as "demo" failed: Invalid credentials (check API_USERNAME and API_PASSWORD); next login attempt in 30 s, or at once after SIGHUP with new credentials');
    expect(concurrent[0].kind).toBe('auth');
    c.advance(30_001);
    await failure(api.request('GET', ['v1', 'offices']));
    expect(logins).toBe(2);
    c.advance(59_000);
    expect((await failure(api.request('GET', ['v1', 'offices']))).message).toMatch(/next login attempt in 1 s/);
    expect(logins).toBe(2);
    api.updateCredentials({ password: 'fixed' });
    await failure(api.request('GET', ['v1', 'offices']));
    expect(logins).toBe(3);
  });

  it('sends every body with Content-Length and never chunked; bodiless requests carry neither', async () => {
    const seen: Record<string, string | undefined>[] = [];
    const note = function (this: { req: { headers: Record<string, string> } }) {
      seen.push({ length: this.req.headers['content-length'], te: this.req.headers['transfer-encoding'] });
      return [200, {}] as [number, object];
    };
    nock(BASE).post(`${ROOT}/v1/offices/`).reply(note).patch(`${ROOT}/v1/offices/1/`).reply(note).get(`${ROOT}/v1/offices/`).reply(note).delete(`${ROOT}/v1/offices/9/`).reply(note);
    const api = client({ apiKey: 'k-123456' });
    await api.request('POST', ['v1', 'offices'], { body: { city: 'Zürich' } });
    await api.request('PATCH', ['v1', 'offices', '1'], { body: { city: 'x' } });
    await api.request('GET', ['v1', 'offices']);
    await api.request('DELETE', ['v1', 'offices', '9']);
    expect(seen).toEqual([
      { length: String(Buffer.byteLength('{"city":"Zürich"}')), te: undefined },
      { length: '12', te: undefined },
      { length: undefined, te: undefined },
      { length: undefined, te: undefined },
    ]);
  });

  it('API key mode sends X-API-Key on every request and never logs in', async () => {
    const scope = nock(BASE).get(`${ROOT}/v1/offices/`).times(3).matchHeader('x-api-key', 'k-123456').reply(200, []);
    const api = client({ apiKey: 'k-123456' });
    for (let i = 0; i < 3; i++) await api.request('GET', ['v1', 'offices']);
    expect(scope.isDone()).toBe(true);
    expect(api.session.stats.logins).toBe(0);
    nock(BASE).get(`${ROOT}/v1/offices/`).reply(401, { detail: 'Invalid API key' });
    const err = await failure(api.request('GET', ['v1', 'offices']));
    expect(err.message).toBe('Invalid API key (the API rejected API_KEY)');
  });
});

describe('ApiClient writes and retries', () => {
  const apiKeyClient = (extra: Partial<ApiClientOptions> = {}) => client({ apiKey: 'key-abc', ...extra });

  it('a POST answered 500 is sent exactly once', async () => {
    let posts = 0;
    nock(BASE)
      .post(`${ROOT}/v1/payments/`)
      .times(3)
      .reply(() => {
        posts++;
        return [500, '<html><title>OperationalError at /classic-models/api/v1/payments/</title></html>', { 'Content-Type': 'text/html' }];
      });
    const err = await failure(apiKeyClient().request('POST', ['v1', 'payments'], { body: { amount: '1.00' } }));
    expect(posts).toBe(1);
    expect(err.status).toBe(500);
  });

  it('a POST that times out is sent exactly once and says it timed out', async () => {
    let posts = 0;
    nock(BASE)
      .post(`${ROOT}/v1/orders/`)
      .times(3)
      .delay(400)
      .reply(() => {
        posts++;
        return [201, {}];
      });
    const err = await failure(apiKeyClient({ timeoutMs: 100 }).request('POST', ['v1', 'orders'], { body: {} }));
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe('the Classic Models API did not answer POST v1/orders/ within 100 ms (API_TIMEOUT_MS)');
    await new Promise((r) => setTimeout(r, 450));
    expect(posts).toBe(1);
  });

  it('a GET retries 503 and 429 up to three attempts in all, honouring Retry-After', async () => {
    const waits: number[] = [];
    nock(BASE).get(`${ROOT}/v1/offices/`).reply(503, 'busy');
    nock(BASE).get(`${ROOT}/v1/offices/`).reply(429, { detail: 'Request was throttled. Expected available in 1 seconds.' }, { 'Retry-After': '1' });
    nock(BASE).get(`${ROOT}/v1/offices/`).reply(200, [{ officecode: '1' }]);
    const api = apiKeyClient({ sleep: async (ms) => void waits.push(ms) });
    expect(await api.request('GET', ['v1', 'offices'])).toEqual([{ officecode: '1' }]);
    expect(waits).toHaveLength(2);
    expect(waits[1]).toBe(1000);
  });

  it('a GET gives up after three attempts with the last error', async () => {
    nock(BASE).get(`${ROOT}/v1/offices/`).times(3).reply(502, 'bad gateway');
    const err = await failure(apiKeyClient().request('GET', ['v1', 'offices']));
    expect(err.status).toBe(502);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a DELETE answered 503 is not retried', async () => {
    let deletes = 0;
    nock(BASE)
      .delete(`${ROOT}/v1/offices/7/`)
      .times(2)
      .reply(() => {
        deletes++;
        return [503, ''];
      });
    await failure(apiKeyClient().request('DELETE', ['v1', 'offices', '7']));
    expect(deletes).toBe(1);
  });

  it('turns a Django debug page into one line naming the exception', async () => {
    const page = `<!DOCTYPE html><html lang="en"><head><title>IntegrityError at /classic-models/api/v1/offices/7/</title></head><body>${'x'.repeat(50_000)}<pre class="exception_value">(1451, &#x27;Cannot delete or update a parent row: a foreign key constraint fails&#x27;)</pre></body></html>`;
    nock(BASE).delete(`${ROOT}/v1/offices/7/`).reply(500, page, { 'Content-Type': 'text/html; charset=utf-8' });
    const err = await failure(apiKeyClient().request('DELETE', ['v1', 'offices', '7']));
    expect(err.message).toBe(
      "HTTP 500 from DELETE v1/offices/7/: IntegrityError at /classic-models/api/v1/offices/7/: (1451, 'Cannot delete or update a parent row: a foreign key constraint fails')",
    );
    expect(err.info.exception).toBe('IntegrityError');
    expect(err.message).not.toContain('<');
  });

  it('flattens DRF validation errors into one line', async () => {
    nock(BASE)
      .post(`${ROOT}/v1/products/`)
      .reply(400, { buyprice: ['A valid number is required.'], msrp: ['Ensure that there are no more than 2 decimal places.'] });
    const err = await failure(apiKeyClient().request('POST', ['v1', 'products'], { body: {} }));
    expect(err.message).toBe('buyprice: A valid number is required.; msrp: Ensure that there are no more than 2 decimal places.');
  });

  it('says what it could not reach, and where', async () => {
    nock.enableNetConnect('127.0.0.1');
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    const api = client({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'k-xyz' });
    const err = await failure(api.request('GET', ['v1', 'offices']));
    expect(err.message).toBe(`cannot reach the Classic Models API at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('a request cancelled by its caller is aborted', async () => {
    nock(BASE).get(`${ROOT}/v1/orders/`).delay(1000).reply(200, []);
    const ac = new AbortController();
    const p = apiKeyClient().request('GET', ['v1', 'orders'], { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const err = await failure(p);
    expect(err.kind).toBe('aborted');
  });

  it('debug logs carry method, path, status and time, never the password or a token', async () => {
    const c = clock();
    const lines: string[] = [];
    const reply = loginReply(c);
    nock(BASE).post(`${ROOT}/auth/login/`).reply(200, reply);
    nock(BASE).get(`${ROOT}/v1/offices/`).reply(200, []);
    await client({ now: c.now }, lines).request('GET', ['v1', 'offices']);
    const all = lines.join('');
    expect(all).toMatch(/GET v1\/offices\/ 200 \d+ ms/);
    expect(all).not.toContain('demo123-secret');
    expect(all).not.toContain(reply.access);
    expect(all).not.toContain(reply.refresh);
  });
});
