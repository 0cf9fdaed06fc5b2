import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { runCliAsync } from '../helpers/bundle.js';
import { call, connectHttp, startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';

const TOKEN = 'e2e-token-0123456789abcdef';
let replica: Replica;
let srv: HttpServerProcess;

const envFor = (r: Replica, extra: Record<string, string> = {}) => ({ CLASSIC_MODELS_API_URL: r.url, SSE_BEARER_TOKEN: TOKEN, ...extra });

/** A raw request, for headers fetch will not let us set (Host) and bodies a client would not send. */
function raw(url: string, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

beforeAll(async () => {
  replica = await startReplica({ throttles: { read: null, write: null } });
  srv = await startHttpServer([], envFor(replica));
});
afterAll(async () => {
  await srv?.stop();
  await replica?.stop();
});

describe('serve-sse with the right token', () => {
  it('lists and calls tools over Streamable HTTP (/mcp)', async () => {
    const client = await connectHttp(srv.url, 'mcp', TOKEN);
    expect((await client.listTools()).tools).toHaveLength(42);
    const res = await call(client, 'classic_models_get_customer', { customernumber: 103 });
    expect(res.data.customername).toBe('Atelier graphique');
    await client.close();
  });

  it('lists and calls tools over HTTP+SSE (/sse + /messages)', async () => {
    const client = await connectHttp(srv.url, 'sse', TOKEN);
    expect((await client.listTools()).tools).toHaveLength(42);
    const res = await call(client, 'classic_models_list_offices', { fields: ['city'], limit: 2 });
    expect(res.data.rows).toEqual([{ city: 'San Francisco' }, { city: 'Boston' }]);
    await client.close();
  });

  it('20 concurrent sessions share one API login', async () => {
    const logins = replica.stats.logins;
    const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => connectHttp(srv.url, i % 2 ? 'sse' : 'mcp', TOKEN)));
    const results = await Promise.all(clients.map((c, i) => call(c, 'classic_models_get_order', { ordernumber: 10100 + i })));
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(replica.stats.logins - logins).toBeLessThanOrEqual(1);
    expect(replica.stats.logins).toBe(1);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('never logs the token', () => {
    expect(srv.stderr()).not.toContain(TOKEN);
  });
});

describe('serve-sse refusals', () => {
  it('401 with WWW-Authenticate before any MCP processing, without or with a wrong token', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong-token' }, { Authorization: `Basic ${TOKEN}` }] as Record<string, string>[]) {
      for (const path of ['/mcp', '/sse', '/messages?sessionId=x']) {
        const r = await raw(srv.url, { method: path === '/sse' ? 'GET' : 'POST', path, headers: { 'Content-Type': 'application/json', ...headers }, body: path === '/sse' ? undefined : '{}' });
        expect(r.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(JSON.parse(r.body).error).toBe('unauthorized');
      }
    }
    await expect(connectHttp(srv.url, 'mcp', 'wrong-token')).rejects.toThrow();
    await expect(connectHttp(srv.url, 'sse')).rejects.toThrow();
  });

  it('/healthz answers without auth and without logging in; .well-known is a quick 404', async () => {
    const logins = replica.routeCount('POST auth/login/');
    const h = await raw(srv.url, { path: '/healthz' });
    expect(h.status).toBe(200);
    const body = JSON.parse(h.body);
    expect(body).toMatchObject({ status: 'ok', api: { url: replica.url, reachable: true, status: 401 } });
    expect(replica.routeCount('POST auth/login/')).toBe(logins);
    const wk = await raw(srv.url, { path: '/.well-known/oauth-authorization-server' });
    expect(wk.status).toBe(404);
    expect(JSON.parse(wk.body).error).toBe('not_found');
  });

  it('unknown paths are 404 JSON; wrong methods 405 with Allow', async () => {
    const nf = await raw(srv.url, { path: '/nope' });
    expect(nf.status).toBe(404);
    expect(nf.headers['content-type']).toBe('application/json');
    const na = await raw(srv.url, { method: 'PUT', path: '/mcp', headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(na.status).toBe(405);
    expect(na.headers.allow).toBe('GET, POST, DELETE');
  });

  it('bodies over 1 MB get 413', async () => {
    const r = await raw(srv.url, { method: 'POST', path: '/mcp', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) });
    expect(r.status).toBe(413);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin with 403', async () => {
    const host = await raw(srv.url, { path: '/mcp', method: 'POST', headers: { Host: 'evil.example:3000', Authorization: `Bearer ${TOKEN}` }, body: '{}' });
    expect(host.status).toBe(403);
    const origin = await raw(srv.url, { path: '/mcp', method: 'POST', headers: { Origin: 'https://evil.example', Authorization: `Bearer ${TOKEN}` }, body: '{}' });
    expect(origin.status).toBe(403);
    const inspector = await raw(srv.url, { path: '/healthz', headers: { Origin: 'http://localhost:6274' } });
    expect(inspector.status).toBe(200);
  });
});

describe('serve-sse modes and lifecycle', () => {
  it('--stateless serves each request with a fresh server and no session id', async () => {
    const s = await startHttpServer(['--stateless'], envFor(replica));
    const client = await connectHttp(s.url, 'mcp', TOKEN);
    expect((await call(client, 'classic_models_whoami')).data.username).toBe('demo');
    expect((await call(client, 'classic_models_get_office', { officecode: '1' })).isError).toBe(false);
    const init = await raw(s.url, {
      method: 'POST',
      path: '/mcp',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    expect(init.status).toBe(200);
    expect(init.headers['mcp-session-id']).toBeUndefined();
    await client.close();
    expect(await s.stop()).toBe(0);
  });

  it('--max-sessions: one more session gets 503; a dropped SSE stream frees its session at once', async () => {
    const s = await startHttpServer(['--max-sessions', '2'], envFor(replica));
    const a = await connectHttp(s.url, 'sse', TOKEN);
    const b = await connectHttp(s.url, 'mcp', TOKEN);
    await expect(connectHttp(s.url, 'mcp', TOKEN)).rejects.toThrow(/503|too_many_sessions|sessions are in use/);
    await a.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(JSON.parse((await raw(s.url, { path: '/healthz' })).body).sessions).toBe(1);
    const c = await connectHttp(s.url, 'mcp', TOKEN);
    await Promise.all([b.close(), c.close()]);
    await s.stop();
  });

  it('closes a session left idle past --session-idle-timeout', async () => {
    const s = await startHttpServer(['--session-idle-timeout', '1s'], envFor(replica));
    const client = await connectHttp(s.url, 'mcp', TOKEN);
    await call(client, 'classic_models_whoami');
    expect(JSON.parse((await raw(s.url, { path: '/healthz' })).body).sessions).toBe(1);
    await new Promise((r) => setTimeout(r, 2500));
    expect(JSON.parse((await raw(s.url, { path: '/healthz' })).body).sessions).toBe(0);
    await client.close().catch(() => {});
    await s.stop();
  });

  it('refuses to start on 0.0.0.0 with the default token (exit 2)', async () => {
    const r = await runCliAsync(['serve-sse', '--host', '0.0.0.0', '--port', '0'], { env: { CLASSIC_MODELS_API_URL: replica.url } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('set SSE_BEARER_TOKEN');
  });

  it('SIGTERM during a call lets it finish, then exits 0', async () => {
    const slow = await startReplica();
    slow.inject({ path: /^v1\/customers\/103\/$/, delayMs: 1500 });
    const s = await startHttpServer([], envFor(slow));
    const client = await connectHttp(s.url, 'mcp', TOKEN);
    const pending = call(client, 'classic_models_get_customer', { customernumber: 103 });
    await new Promise((r) => setTimeout(r, 400));
    const exit = s.stop('SIGTERM');
    const res = await pending;
    expect(res.isError, res.text).toBe(false);
    expect(res.data.customernumber).toBe(103);
    expect(await exit).toBe(0);
    await client.close().catch(() => {});
    await slow.stop();
  });
});
