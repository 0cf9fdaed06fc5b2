import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startReplica, DEMO_USERS, type Replica, type ReplicaOptions } from '../../src/demo/server.js';
import { runCliAsync } from '../helpers/bundle.js';
import { startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';

const PASSWORD = 'S3cret-Pa55word!';
const API_KEY = 'key-abcdef-0123456789';
const SSE_TOKEN = 'sse-token-fedcba9876543210';
const SECRETS = [PASSWORD, API_KEY, SSE_TOKEN];

let replica: Replica | undefined;
let sse: HttpServerProcess | undefined;
afterEach(async () => {
  await sse?.stop();
  sse = undefined;
  await replica?.stop();
  replica = undefined;
});

const users = [{ ...DEMO_USERS[0], password: PASSWORD }, { id: 7, username: 'retired', password: PASSWORD, email: '', first_name: '', last_name: '', is_active: false, date_joined: '' }];
async function api(opts: ReplicaOptions = {}) {
  replica = await startReplica({ users, ...opts });
  return replica;
}

async function check(env: Record<string, string>, args: string[] = []) {
  const r = await runCliAsync(['login-check', ...args], { env: { API_PASSWORD: PASSWORD, LOG_LEVEL: 'debug', ...env } });
  const out = r.stdout + r.stderr;
  for (const s of SECRETS) expect(out, 'a secret was printed').not.toContain(s);
  expect(out).not.toMatch(/eyJ[\w-]{8,}\.[\w-]{8,}\./);
  return r;
}

const failedLine = (stdout: string) => stdout.split('\n').find((l) => l.startsWith('✗')) ?? '';

describe('login-check', () => {
  it('passes every check against a healthy API, shows where settings came from, and logs out', async () => {
    const r = await api();
    const res = await check({ CLASSIC_MODELS_API_URL: r.url });
    expect(res.status, res.stdout).toBe(0);
    for (const name of ['Configuration', 'Reach', 'Login', 'Tokens', 'auth/me/', 'Refresh', 'Data', 'Logout']) expect(res.stdout).toMatch(new RegExp(`✓ ${name.replace('/', '\\/')}`));
    expect(res.stdout).toContain('API_PASSWORD           ***** (set, 16 chars)  (env API_PASSWORD)');
    expect(res.stdout).toContain('access token: lifetime 1 h');
    expect(res.stdout).toContain('orderdetails: 2996 rows');
    expect(r.stats.logins).toBe(1);
    expect(r.stats.refreshes).toBe(1);
    expect(r.routeCount('POST auth/logout/')).toBe(1);
  });

  it('wrong password: says so, hints at the variables, exit 1', async () => {
    const r = await api();
    const res = await check({ CLASSIC_MODELS_API_URL: r.url, API_PASSWORD: 'not-it' });
    expect(res.status).toBe(1);
    expect(failedLine(res.stdout)).toMatch(/^✗ Login \(\d+ ms\): the API rejected the credentials of user "demo" \(Invalid credentials\)$/);
    expect(res.stdout).toContain('hint: check API_USERNAME and API_PASSWORD');
    expect(res.stdout).not.toContain('✓ Tokens');
  });

  it('disabled account: the API answers it like a wrong password, and the hint says so', async () => {
    const r = await api();
    const res = await check({ CLASSIC_MODELS_API_URL: r.url, API_USERNAME: 'retired' });
    expect(res.status).toBe(1);
    expect(failedLine(res.stdout)).toContain('the API rejected the credentials of user "retired" (Invalid credentials)');
    expect(res.stdout).toContain('the API answers a disabled account the same way');
  });

  it('API down: connection refused, with the hint to start it (or use --demo)', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const res = await check({ CLASSIC_MODELS_API_URL: `http://127.0.0.1:${port}` });
    expect(res.status).toBe(1);
    expect(failedLine(res.stdout)).toContain(`cannot connect to 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(res.stdout).toContain('hint: nothing listens there');
  });

  it.runIf(existsSync('/usr/bin/openssl'))('a self-signed certificate: the TLS check fails with the fix, and passes with SSL_VERIFY=false', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const strict = await check({ CLASSIC_MODELS_API_URL: `https://127.0.0.1:${port}` });
      expect(strict.status).toBe(1);
      expect(failedLine(strict.stdout)).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID)\)/);
      expect(strict.stdout).toContain('NODE_EXTRA_CA_CERTS');
      expect(strict.stdout).toContain('SSL_VERIFY=false');
      const lax = await check({ CLASSIC_MODELS_API_URL: `https://127.0.0.1:${port}`, SSL_VERIFY: 'false' });
      expect(lax.stdout).toContain('TLS: certificate for localhost from localhost');
      expect(lax.stdout).toContain('(NOT verified: SSL_VERIFY=false)');
      // Past TLS, this server is not the API, and the next check says so.
      expect(failedLine(lax.stdout)).toContain('not the API');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('wrong base path: an HTML 404 means a wrong base URL or prefix', async () => {
    const r = await api();
    const res = await check({ CLASSIC_MODELS_API_URL: `${r.url}/wrong-prefix` });
    expect(res.status).toBe(1);
    expect(failedLine(res.stdout)).toContain('answered an HTML 404: this is not the Classic Models API');
    expect(res.stdout).toContain('hint: wrong base URL or path prefix');
  });

  it('throttled login: how long to wait', async () => {
    const r = await api({ throttles: { login: { requests: 1, periodSeconds: 3600 } } });
    await fetch(`${r.url}/classic-models/api/auth/login/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'demo', password: 'x' }) });
    const res = await check({ CLASSIC_MODELS_API_URL: r.url });
    expect(res.status).toBe(1);
    expect(failedLine(res.stdout)).toMatch(/the API throttled the login \(429\): retry in \d+ s/);
    expect(res.stdout).toContain('50 logins an hour');
  });

  it('blacklisted refresh token', async () => {
    const r = await api();
    r.inject({ method: 'POST', path: /^auth\/refresh\/$/, status: 401, body: { detail: 'Token is blacklisted', code: 'token_not_valid' }, times: 1 });
    const res = await check({ CLASSIC_MODELS_API_URL: r.url });
    expect(res.status).toBe(1);
    expect(failedLine(res.stdout)).toContain('the API refused the refresh token (Token is blacklisted)');
    expect(res.stdout).toContain('hint: another process used this refresh token first');
    expect(res.stdout).toMatch(/✓ Logout/);
  });

  it('API key: a valid key skips the login, a wrong one says so', async () => {
    const r = await api({ apiKey: API_KEY });
    const ok = await check({ CLASSIC_MODELS_API_URL: r.url, API_KEY });
    expect(ok.status, ok.stdout).toBe(0);
    expect(ok.stdout).toContain('acting as system_api_key');
    expect(r.stats.logins).toBe(0);
    const bad = await check({ CLASSIC_MODELS_API_URL: r.url, API_KEY: `${API_KEY}-wrong` });
    expect(bad.status).toBe(1);
    expect(failedLine(bad.stdout)).toContain('the API rejected API_KEY');
    expect(bad.stdout).toContain('hint: check API_KEY');
  });

  it('--json is one parseable report with the same verdicts', async () => {
    const r = await api();
    const res = await check({ CLASSIC_MODELS_API_URL: r.url, API_PASSWORD: 'not-it' }, ['--json']);
    expect(res.status).toBe(1);
    const report = JSON.parse(res.stdout);
    expect(report.ok).toBe(false);
    const failed = report.checks.find((c: { ok: boolean }) => !c.ok);
    expect(failed.name).toBe('Login');
    expect(failed.hint).toBe('check API_USERNAME and API_PASSWORD; the API answers a disabled account the same way');
    expect(report.checks[0].data.password).toEqual({ value: '***** (set, 6 chars)', source: 'env', name: 'API_PASSWORD' });
  });

  it('checks a running serve-sse: passes with its token, names a wrong one', async () => {
    const r = await api();
    sse = await startHttpServer([], { CLASSIC_MODELS_API_URL: r.url, API_PASSWORD: PASSWORD, SSE_BEARER_TOKEN: SSE_TOKEN });
    const ok = await check({ CLASSIC_MODELS_API_URL: r.url, SSE_BEARER_TOKEN: SSE_TOKEN }, ['--sse-url', sse.url]);
    expect(ok.status, ok.stdout).toBe(0);
    expect(ok.stdout).toContain('/mcp without a token: 401 as it should');
    expect(ok.stdout).toContain('/mcp (Streamable HTTP): initialize + tools/list: 42 tools');
    expect(ok.stdout).toContain('/sse (HTTP+SSE): initialize + tools/list: 42 tools');
    const bad = await check({ CLASSIC_MODELS_API_URL: r.url, SSE_BEARER_TOKEN: SSE_TOKEN }, ['--sse-url', sse.url, '--sse-token', 'wrong-token-123']);
    expect(bad.status).toBe(1);
    expect(failedLine(bad.stdout)).toContain('the server rejected the token (401)');
    expect(bad.stdout).toContain("hint: use the server's SSE_BEARER_TOKEN");
  });

  it('bad configuration exits 2', async () => {
    const res = await check({ CLASSIC_MODELS_API_URL: 'not a url' });
    expect(res.status).toBe(2);
  });

  it('--demo runs against the in-process replica', async () => {
    const res = await check({ API_PASSWORD: 'whatever' }, ['--demo']);
    expect(res.status, res.stdout).toBe(0);
  });
});
