import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { runCliAsync } from '../helpers/bundle.js';
import { call, connectHttp, startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-fedcba9876543210xx';
const CI = 'ci-token-00112233445566778899';
const SHARED_A = 'shared-token-aaaaaaaaaaaaaaaa';
const SHARED_B = 'shared-token-bbbbbbbbbbbbbbbb';

let replica: Replica;
let srv: HttpServerProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cm-hardening-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(async () => {
  replica = await startReplica({ apiKey: 'replica-key-0123456789', throttles: { read: null, write: null } });
});
afterEach(async () => {
  await srv?.stop();
  srv = undefined;
});
afterAll(async () => {
  await replica.stop();
});

/** Waits until the server's stderr contains `text` (e.g. the SIGHUP report). */
async function stderrShows(s: HttpServerProcess, text: string) {
  for (let i = 0; i < 100 && !s.stderr().includes(text); i++) await new Promise((r) => setTimeout(r, 20));
  expect(s.stderr()).toContain(text);
}

describe('secrets from files', () => {
  it('reads API_PASSWORD_FILE and SSE_BEARER_TOKEN_FILE (several tokens, one per line), trailing newline trimmed', async () => {
    const password = file('password', 'demo123\n');
    const tokens = file('tokens', `${SHARED_A}\n${SHARED_B}\n`);
    srv = await startHttpServer([], { CLASSIC_MODELS_API_URL: replica.url, API_PASSWORD_FILE: password, SSE_BEARER_TOKEN_FILE: tokens });
    for (const t of [SHARED_A, SHARED_B]) {
      const c = await connectHttp(srv.url, 'mcp', t);
      expect((await call(c, 'classic_models_whoami')).data.username).toBe('demo');
      await c.close();
    }
  });

  it('a variable and its _FILE twin together are a configuration error (exit 2)', async () => {
    const r = await runCliAsync(['serve-sse', '--port', '0'], { env: { API_PASSWORD: 'x', API_PASSWORD_FILE: file('pw2', 'y') } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('API_PASSWORD and API_PASSWORD_FILE are both set; keep one of them');
  });

  it('an unreadable or empty secret file is a configuration error naming the variable', async () => {
    const missing = await runCliAsync(['login-check'], { env: { API_KEY_FILE: join(dir, 'nope') } });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`API_KEY_FILE: cannot read ${join(dir, 'nope')} (ENOENT)`);
    const empty = await runCliAsync(['login-check'], { env: { SSE_BEARER_TOKEN_FILE: file('empty', '\n') } });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('SSE_BEARER_TOKEN_FILE:');
  });

  it('login-check shows that the password came from a file, and never the password', async () => {
    const r = await runCliAsync(['login-check'], { env: { CLASSIC_MODELS_API_URL: replica.url, API_PASSWORD_FILE: file('pw3', 'demo123\n') } });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain('API_PASSWORD           ***** (set, 7 chars)  (file API_PASSWORD_FILE)');
    expect(r.stdout).not.toContain('demo123');
  });
});

describe('rotation on SIGHUP', () => {
  it('adds and removes tokens without dropping the sessions of tokens still valid', async () => {
    const tokens = file('rotating', `${SHARED_A}\n`);
    srv = await startHttpServer([], { CLASSIC_MODELS_API_URL: replica.url, SSE_BEARER_TOKEN_FILE: tokens });
    const a = await connectHttp(srv.url, 'mcp', SHARED_A);
    expect((await call(a, 'classic_models_get_office', { officecode: '1' })).isError).toBe(false);
    await expect(connectHttp(srv.url, 'mcp', SHARED_B)).rejects.toThrow();

    writeFileSync(tokens, `${SHARED_A}\n${SHARED_B}\n`);
    srv.child.kill('SIGHUP');
    await stderrShows(srv, 'SIGHUP: re-read SSE_BEARER_TOKEN_FILE; 2 tokens valid; sessions kept');
    const b = await connectHttp(srv.url, 'sse', SHARED_B);
    expect((await call(a, 'classic_models_get_office', { officecode: '2' })).isError).toBe(false);
    expect((await call(b, 'classic_models_get_office', { officecode: '3' })).isError).toBe(false);

    // A removed token stops working at once, even inside its open session.
    writeFileSync(tokens, `${SHARED_B}\n`);
    srv.child.kill('SIGHUP');
    await stderrShows(srv, 'SIGHUP: re-read SSE_BEARER_TOKEN_FILE; 1 tokens valid');
    await expect(call(a, 'classic_models_get_office', { officecode: '4' })).rejects.toThrow(/401|unauthorized/i);
    expect((await call(b, 'classic_models_get_office', { officecode: '4' })).isError).toBe(false);
    expect(srv.stderr()).not.toContain(SHARED_A);
    expect(srv.stderr()).not.toContain(SHARED_B);
    await b.close();
  });

  it('a broken file on SIGHUP keeps the previous secrets and says why', async () => {
    const tokens = file('breaking', `${SHARED_A}\n`);
    srv = await startHttpServer([], { CLASSIC_MODELS_API_URL: replica.url, SSE_BEARER_TOKEN_FILE: tokens });
    writeFileSync(tokens, '\n');
    srv.child.kill('SIGHUP');
    await stderrShows(srv, 'SIGHUP: kept the previous secrets: SSE_BEARER_TOKEN_FILE:');
    const a = await connectHttp(srv.url, 'mcp', SHARED_A);
    expect((await call(a, 'classic_models_whoami')).isError).toBe(false);
    await a.close();
  });
});

describe('per-user API identities (--users)', () => {
  const users = () =>
    file(
      'users.json',
      JSON.stringify({
        users: [
          { label: 'alice', token: ALICE, username: 'demo', password: 'demo123' },
          { label: 'bob', token: BOB, username: 'analyst', password: 'analyst123' },
          { label: 'ci', token: CI, apiKey: 'replica-key-0123456789' },
        ],
      }),
    );

  it('each token acts as its own API user, with its own session', async () => {
    const logins = replica.stats.logins;
    srv = await startHttpServer(['--users', users()], { CLASSIC_MODELS_API_URL: replica.url });
    const alice = await connectHttp(srv.url, 'mcp', ALICE);
    const bob = await connectHttp(srv.url, 'sse', BOB);
    const ci = await connectHttp(srv.url, 'mcp', CI);
    expect((await call(alice, 'classic_models_whoami')).data.username).toBe('demo');
    expect((await call(bob, 'classic_models_whoami')).data.username).toBe('analyst');
    expect((await call(ci, 'classic_models_whoami')).data.username).toBe('system_api_key');
    await Promise.all([call(alice, 'classic_models_get_office', { officecode: '1' }), call(bob, 'classic_models_get_office', { officecode: '1' })]);
    expect(replica.stats.logins - logins).toBe(2);
    // With a users file and no SSE_BEARER_TOKEN set, the default token opens nothing.
    await expect(connectHttp(srv.url, 'mcp', 'demo-token')).rejects.toThrow();
    await Promise.all([alice.close(), bob.close(), ci.close()]);
  });

  it('a session belongs to the token that opened it', async () => {
    srv = await startHttpServer(['--users', users()], { CLASSIC_MODELS_API_URL: replica.url });
    const init = await fetch(`${srv.url}/mcp`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ALICE}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const hijack = await fetch(`${srv.url}/mcp`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${BOB}`, 'Mcp-Session-Id': sid, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(hijack.status).toBe(403);
  });

  it('rejects a bad users file with the entry and field named (exit 2)', async () => {
    const bad = file('bad-users.json', JSON.stringify({ users: [{ label: 'eve', token: 'short', username: 'demo', password: 'x' }] }));
    const r = await runCliAsync(['serve-sse', '--port', '0', '--users', bad], { env: { CLASSIC_MODELS_API_URL: replica.url } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--users: users[0].token: expected a token of at least 16 characters');
  });
});

describe('fair use and audit', () => {
  it('limits tool calls per token per minute, and tells when to retry; other tokens are unaffected', async () => {
    srv = await startHttpServer(['--rate-limit', '3'], { CLASSIC_MODELS_API_URL: replica.url, SSE_BEARER_TOKEN: `${SHARED_A},${SHARED_B}` });
    const a = await connectHttp(srv.url, 'mcp', SHARED_A);
    const b = await connectHttp(srv.url, 'mcp', SHARED_B);
    for (let i = 0; i < 3; i++) expect((await call(a, 'classic_models_get_office', { officecode: '1' })).isError).toBe(false);
    const limited = await call(a, 'classic_models_get_office', { officecode: '1' });
    expect(limited.isError).toBe(true);
    expect(limited.text).toMatch(/^Rate limit: each client may make 3 tool calls a minute here; retry in \d+ s\.$/);
    expect((await call(b, 'classic_models_get_office', { officecode: '1' })).isError).toBe(false);
    await Promise.all([a.close(), b.close()]);
  });

  it('writes one JSON line per call to the audit file (0600), with labels and hashes, never tokens or passwords', async () => {
    const log = join(dir, 'audit.log');
    const usersFile = file('audit-users.json', JSON.stringify({ users: [{ label: 'alice', token: ALICE, username: 'demo', password: 'demo123' }] }));
    srv = await startHttpServer(['--users', usersFile, '--audit-log', log, '--audit-args'], { CLASSIC_MODELS_API_URL: replica.url, SSE_BEARER_TOKEN: SHARED_A, API_PASSWORD: 'demo123' });
    const alice = await connectHttp(srv.url, 'mcp', ALICE);
    const shared = await connectHttp(srv.url, 'sse', SHARED_A);
    await call(alice, 'classic_models_get_customer', { customernumber: 103 });
    await call(alice, 'classic_models_get_customer', { customernumber: 1 });
    await call(shared, 'classic_models_list_offices', { where: [{ field: 'nope', op: 'eq', value: 1 }] });
    await Promise.all([alice.close(), shared.close()]);
    await srv.stop();
    srv = undefined;

    expect(statSync(log).mode & 0o777).toBe(0o600);
    const text = readFileSync(log, 'utf8');
    for (const secret of [ALICE, SHARED_A, 'demo123']) expect(text).not.toContain(secret);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ identity: 'alice', tool: 'classic_models_get_customer', outcome: 'ok', api_status: 200, args: { customernumber: 103 } });
    expect(lines[0].session).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof lines[0].duration_ms).toBe('number');
    expect(Date.parse(lines[0].time)).not.toBeNaN();
    expect(lines[1]).toMatchObject({ identity: 'alice', outcome: 'error', api_status: 404 });
    expect(lines[2]).toMatchObject({ tool: 'classic_models_list_offices', outcome: 'invalid' });
    expect(lines[2].identity).toMatch(/^token-[0-9a-f]{8}$/);
  });
});
