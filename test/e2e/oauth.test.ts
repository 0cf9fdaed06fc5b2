import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startReplica } from '../../src/demo/server.js';
import { KIT_PRESENT, signUp, startRealApi } from '../real-api/kit.js';
import { Sealer } from '../../src/oauth/seal.js';
import { clientRef } from '../../src/oauth/clients.js';
import { runCli, runCliAsync } from '../helpers/bundle.js';
import { call, startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';
import { freePort } from '../helpers/ports.js';
import { connectWithOAuth, TestOAuthProvider } from '../helpers/oauth-client.js';
import { authorizeUrl, getPage, hiddenRequest, mcpPost, pkce, postSignIn, REDIRECT, register, registered, revokeRequest, signedIn, signIn, tokenRequest } from '../helpers/oauth.js';

/**
 * serve-sse --oauth tried as clients and attackers behave: discovery, client registration, the
 * sign-in page, the token endpoint and every refusal the specifications demand, on the replica
 * and, where the kit is (CI), on the real API as well, so every sign-in, redemption, refresh,
 * replay and revocation here is also the real API's answer.
 */
const SECRET = 'e2e-oauth-secret-0123456789abcdef0123456789';
/** The API under the server: the replica always, the real API too where the kit is (CI). */
interface Backend {
  url: string;
  /** Login requests the API has seen, refused ones included. */
  logins(): number;
  refreshes(): number;
  /** Holds the API's next refresh back a while (the replica only: the real API has no such switch). */
  slowNextRefresh?(): void;
  stop(): Promise<void>;
}
const BACKENDS = KIT_PRESENT ? (['replica', 'real API'] as const) : (['replica'] as const);

describe.each(BACKENDS)('serve-sse --oauth on the %s', (kind) => {
let backend: Backend;
const DEMO = { username: 'demo', password: 'demo123' };
let ANALYST = { username: 'analyst', password: 'analyst123' };
let srv: HttpServerProcess;
let base: string;
let auditFile: string;

const logins = () => backend.logins();

beforeAll(async () => {
  if (kind === 'real API') {
    const api = await startRealApi();
    backend = { url: api.url, logins: () => api.logins(), refreshes: () => api.refreshes(), stop: () => api.stop() };
    ANALYST = await signUp(api, 'oa2');
  } else {
    const replica = await startReplica({ throttles: { read: null, write: null } });
    backend = {
      url: replica.url,
      logins: () => replica.stats.routes['POST auth/login/'] ?? 0,
      refreshes: () => replica.stats.refreshes,
      slowNextRefresh: () => void replica.inject({ method: 'POST', path: /^auth\/refresh\/$/, delayMs: 300, times: 1 }),
      stop: () => replica.stop(),
    };
  }
  auditFile = join(mkdtempSync(join(tmpdir(), 'cm-oauth-')), 'audit.log');
  srv = await startHttpServer(['--oauth'], { CLASSIC_MODELS_API_URL: backend.url, OAUTH_SECRET: SECRET, SSE_BEARER_TOKEN: 'static-token-0123456789', AUDIT_LOG: auditFile, LOG_LEVEL: 'debug' });
  base = srv.url;
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  await backend?.stop();
});

describe('discovery', () => {
  it('401 on /mcp and /sse points at the resource metadata and names the scopes', async () => {
    const r = await mcpPost(base, undefined);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="classic-models:read classic-models:write"`);
    const sse = await fetch(`${base}/sse`);
    expect(sse.status).toBe(401);
    expect(sse.headers.get('www-authenticate')).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/sse"`);
    const bad = await mcpPost(base, 'cma_not-a-real-token-0123456789abcdefghijklmnopqrstuvwxyz');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token", error_description="The access token/);
  });

  it('serves RFC 9728 metadata for the server, /mcp and /sse, and RFC 8414 metadata', async () => {
    for (const [path, resource] of [['', base], ['/mcp', `${base}/mcp`], ['/sse', `${base}/sse`]]) {
      const prm = await (await fetch(`${base}/.well-known/oauth-protected-resource${path}`)).json();
      expect(prm).toEqual({ resource, authorization_servers: [base], scopes_supported: ['classic-models:read', 'classic-models:write'], bearer_methods_supported: ['header'], resource_name: 'Classic Models' });
    }
    const res = await fetch(`${base}/.well-known/oauth-authorization-server`, { headers: { Origin: 'https://claude.ai' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const as = await res.json();
    expect(as).toMatchObject({
      issuer: base,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      registration_endpoint: `${base}/register`,
      revocation_endpoint: `${base}/revoke`,
      code_challenge_methods_supported: ['S256'],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      response_types_supported: ['code'],
      scopes_supported: ['classic-models:read', 'classic-models:write'],
    });
  });

  it('a static token still works beside OAuth', async () => {
    const r = await mcpPost(base, 'static-token-0123456789');
    expect(r.status).toBe(200);
  });
});

describe('client registration (RFC 7591)', () => {
  it("registers Claude's callbacks, a public client and a confidential one", async () => {
    const claude = await register(base, { client_name: 'Claude', redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'] });
    expect(claude.status).toBe(201);
    expect(claude.body).toMatchObject({ client_name: 'Claude', token_endpoint_auth_method: 'none', redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'] });
    expect(claude.body.client_secret).toBeUndefined();
    const secret = await register(base, { token_endpoint_auth_method: 'client_secret_basic' });
    expect(secret.status).toBe(201);
    expect(secret.body.client_secret).toMatch(/^[\w-]{40,}$/);
    expect(secret.body.client_secret_expires_at).toBe(0);
  });

  it('refuses redirect URIs that could carry a code away', async () => {
    for (const uri of ['http://evil.example/cb', 'javascript:alert(1)', 'https://app.example/cb#frag', 'data:text/html,hi', 'not a uri']) {
      const r = await register(base, { redirect_uris: [uri] });
      expect(r.status, uri).toBe(400);
      expect(r.body.error).toBe('invalid_redirect_uri');
    }
    const none = await register(base, { redirect_uris: [] });
    expect(none.body).toMatchObject({ error: 'invalid_redirect_uri', error_description: expect.stringContaining('redirect_uris') });
    const method = await register(base, { token_endpoint_auth_method: 'private_key_jwt' });
    expect(method.body).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('token_endpoint_auth_method') });
  });
});

describe('the sign-in page', () => {
  it('names the client and where it sends the person back, with a strict CSP and no framing', async () => {
    const client = await registered(base, { client_name: 'Claude', redirect_uris: ['https://claude.ai/api/mcp/auth_callback'] });
    const { challenge } = pkce();
    const page = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: 'https://claude.ai/api/mcp/auth_callback', state: 's1', code_challenge: challenge, scope: 'classic-models:read classic-models:write' }));
    expect(page.status).toBe(200);
    expect(page.html).toContain('<strong>Claude</strong> wants to use the Classic Models API as you.');
    expect(page.html).toContain('you go back to <strong>claude.ai</strong>');
    expect(page.html).toContain('name="allow_write"');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/form-action 'self' https:\/\/claude\.ai;/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/script-src|unsafe/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it('escapes a client_name holding <script>', async () => {
    const client = await registered(base, { client_name: '<script>alert("x")</script><img src=x onerror=alert(1)>' });
    const page = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
    expect(page.status).toBe(200);
    expect(page.html).not.toContain('<script>');
    expect(page.html).not.toContain('<img');
    expect(page.html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
  });

  it('an unregistered redirect URI gets an error page, never a redirect', async () => {
    const client = await registered(base);
    for (const uri of ['https://evil.example/cb', 'http://127.0.0.1:7777/other', 'http://localhost:7777/callback']) {
      const page = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: uri, code_challenge: pkce().challenge }));
      expect(page.status, uri).toBe(400);
      expect(page.location).toBeUndefined();
      expect(page.html).toContain('is not one the application registered');
    }
    const unknown = await getPage(authorizeUrl(base, { client_id: 'nobody', redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
    expect(unknown.status).toBe(400);
    expect(unknown.location).toBeUndefined();
    expect(unknown.html).toContain('Unknown application');
  });

  it('a loopback redirect URI may use another port (RFC 8252)', async () => {
    const client = await registered(base);
    const page = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: 'http://127.0.0.1:45678/callback', code_challenge: pkce().challenge }));
    expect(page.status).toBe(200);
  });

  it('refuses a request without PKCE, or with plain, back at the client with state and iss', async () => {
    const client = await registered(base);
    const none = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: REDIRECT, state: 'abc' }));
    expect(none.status).toBe(302);
    const back = new URL(none.location!);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('state')).toBe('abc');
    expect(back.searchParams.get('iss')).toBe(base);
    const plain = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }));
    expect(new URL(plain.location!).searchParams.get('error_description')).toMatch(/S256/);
    const target = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge, resource: 'https://other.example/mcp' }));
    expect(new URL(target.location!).searchParams.get('error')).toBe('invalid_target');
  });

  it('a POST from a foreign Origin is refused and reaches no API', async () => {
    const client = await registered(base);
    const page = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
    const before = logins();
    for (const headers of [{ Origin: 'https://evil.example' }, { Origin: 'http://127.0.0.1:1' }, {}] as Record<string, string>[]) {
      const r = await postSignIn(base, { request: hiddenRequest(page.html)!, ...DEMO }, headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.location).toBeUndefined();
    }
    expect(logins()).toBe(before);
  });

  it('a wrong password shows the page again with one line; twenty reach the API only a few times', async () => {
    const client = await registered(base);
    const p = { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge };
    // A guesser behind the proxy in front of this server (the test is that proxy, on loopback).
    const guesser = { Origin: base, 'X-Forwarded-For': '203.0.113.7' };
    const first = await signIn(base, p, { username: ANALYST.username, password: 'wrong' }, guesser);
    expect(first.answer.status).toBe(400);
    expect(first.code).toBeUndefined();
    expect(first.answer.html).toContain('<p class="err" role="alert">The username or password is wrong.</p>');
    expect(first.answer.html).toContain(`value="${ANALYST.username}"`);
    const before = logins();
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push((await postSignIn(base, { request: first.request, username: ANALYST.username, password: `wrong-${i}` }, guesser)).status);
    expect(logins() - before).toBeLessThanOrEqual(3);
    expect(answers.filter((s) => s === 429).length).toBeGreaterThanOrEqual(17);
    const waiting = await postSignIn(base, { request: first.request, username: ANALYST.username, password: 'x' }, guesser);
    expect(waiting.html).toMatch(/Too many failed sign-ins. Try again in \d+ s./);
    // The same guesser trying other names is held back by its address.
    const spray = [];
    for (let i = 0; i < 12; i++) spray.push((await postSignIn(base, { request: first.request, username: `user${i}`, password: 'guess' }, guesser)).status);
    expect(spray.filter((s) => s === 429).length).toBeGreaterThanOrEqual(4);
  });

  it('Cancel goes back to the client with access_denied', async () => {
    const client = await registered(base);
    const page = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: REDIRECT, state: 'c', code_challenge: pkce().challenge }));
    const r = await postSignIn(base, { request: hiddenRequest(page.html)!, cancel: '1' });
    expect(new URL(r.location!).searchParams.get('error')).toBe('access_denied');
  });
});

describe('codes and tokens', () => {
  it('a sign-in gives code, state and iss; the code gives tokens that call tools as that person', async () => {
    const client = await registered(base);
    const { verifier, challenge } = pkce();
    const s = await signIn(base, { client_id: client.client_id, redirect_uri: REDIRECT, state: 'xyz', code_challenge: challenge, resource: `${base}/mcp` }, ANALYST);
    expect(s.answer.status).toBe(302);
    expect(s.state).toBe('xyz');
    expect(s.iss).toBe(base);
    expect(s.code).toMatch(/^cmc_/);
    const t = await tokenRequest(base, { grant_type: 'authorization_code', code: s.code!, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT });
    expect(t.status).toBe(200);
    expect(t.headers.get('cache-control')).toBe('no-store');
    expect(t.body).toMatchObject({ token_type: 'Bearer', scope: 'classic-models:read' });
    expect(t.body.expires_in).toBeGreaterThan(3500);
    expect(t.body.expires_in).toBeLessThanOrEqual(3600);
  });

  it('refuses a wrong verifier, a replayed code, another client, another redirect URI', async () => {
    const client = await registered(base);
    const other = await registered(base);
    const { verifier, challenge } = pkce();
    const code = async () => (await signIn(base, { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: challenge }, DEMO)).code!;
    const redeem = (c: string, extra: Record<string, string | undefined> = {}) => tokenRequest(base, { grant_type: 'authorization_code', code: c, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT, ...extra });
    const c1 = await code();
    expect((await redeem(c1, { code_verifier: pkce().verifier })).body.error).toBe('invalid_grant');
    expect((await redeem(c1, { client_id: other.client_id })).body).toMatchObject({ error: 'invalid_grant', error_description: 'the code was issued to another client' });
    expect((await redeem(c1, { redirect_uri: 'http://127.0.0.1:9/other' })).body.error).toBe('invalid_grant');
    expect((await redeem(c1, { code_verifier: undefined })).body).toEqual({ error: 'invalid_request', error_description: 'code_verifier is missing (PKCE)' });
    expect((await redeem(c1)).status).toBe(200);
    const replay = await redeem(c1);
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'the code was already used, revoked or has expired' });
  });

  it('refuses an expired code and tokens sealed with another key, altered, or for another resource', async () => {
    const client = await registered(base);
    const sealer = new Sealer([SECRET]);
    const now = Math.floor(Date.now() / 1000);
    const expired = sealer.seal('code', { sub: 'demo', c: clientRef(client.client_id), aud: base, sc: 'classic-models:read', api: { access: 'a', refresh: 'r' }, r: REDIRECT, re: true, pk: pkce().challenge }, now - 1);
    expect((await tokenRequest(base, { grant_type: 'authorization_code', code: expired, code_verifier: pkce().verifier, client_id: client.client_id, redirect_uri: REDIRECT })).body).toEqual({ error: 'invalid_grant', error_description: 'the code has expired (codes last 60 s)' });
    const { tokens } = await signedIn(base, DEMO);
    expect((await mcpPost(base, tokens.access_token)).status).toBe(200);
    const flipped = tokens.access_token.slice(0, 40) + (tokens.access_token[40] === 'A' ? 'B' : 'A') + tokens.access_token.slice(41);
    const foreignKey = new Sealer(['another-key-0123456789abcdef0123456789ab']).seal('access', { sub: 'demo', c: 'x', aud: `${base}/mcp`, sc: 'classic-models:read', a: 'x' }, now + 600);
    const otherResource = sealer.seal('access', { sub: 'demo', c: 'x', aud: 'https://other.example/mcp', sc: 'classic-models:read', a: 'x' }, now + 600);
    const expiredAccess = sealer.seal('access', { sub: 'demo', c: 'x', aud: `${base}/mcp`, sc: 'classic-models:read', a: 'x' }, now - 1);
    const refreshAsAccess = tokens.refresh_token;
    for (const [token, why] of [
      [flipped, 'The access token is not valid.'],
      [foreignKey, 'The access token was sealed with a key this server no longer has; sign in again.'],
      [otherResource, 'The access token was issued for another resource.'],
      [expiredAccess, 'The access token has expired; refresh it.'],
      [refreshAsAccess, 'The bearer token is not valid.'],
    ]) {
      const r = await mcpPost(base, token);
      expect(r.status, why).toBe(401);
      expect(JSON.parse(r.text)).toEqual({ error: 'invalid_token', message: why });
      expect(r.headers.get('www-authenticate')).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`);
      expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('an unknown client at the token endpoint gets invalid_client with HTTP 401', async () => {
    for (const fields of [{ client_id: 'cmk_unknown-client-0123456789abcdefghijklmnopqrstuvwxyz0123' }, { client_id: 'someone' }, {}]) {
      const r = await tokenRequest(base, { grant_type: 'authorization_code', code: 'x', code_verifier: 'y', ...fields });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    }
    const confidential = await registered(base, { token_endpoint_auth_method: 'client_secret_post' });
    const wrong = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: 'x', client_id: confidential.client_id, client_secret: 'wrong' });
    expect(wrong.status).toBe(401);
    const basic = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: 'x' }, { Authorization: `Basic ${Buffer.from(`${encodeURIComponent(confidential.client_id)}:${confidential.client_secret}`).toString('base64')}` });
    expect(basic.status).toBe(400);
    expect(basic.body.error).toBe('invalid_grant');
  });

  it('refresh rotates: a replayed refresh token is refused, and so is one used after revocation', async () => {
    const { client, tokens } = await signedIn(base, DEMO);
    const refresh = (rt: string) => tokenRequest(base, { grant_type: 'refresh_token', refresh_token: rt, client_id: client.client_id });
    const next = await refresh(tokens.refresh_token);
    expect(next.status).toBe(200);
    expect(next.body.refresh_token).not.toBe(tokens.refresh_token);
    expect((await refresh(tokens.refresh_token)).body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token was already used, revoked or has expired' });
    const wider = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: next.body.refresh_token, client_id: client.client_id, scope: 'classic-models:read classic-models:write' });
    expect(wider.body.error).toBe('invalid_scope');
    expect((await revokeRequest(base, { token: next.body.access_token, client_id: client.client_id })).body.error).toBe('unsupported_token_type');
    expect((await revokeRequest(base, { token: next.body.refresh_token, client_id: client.client_id })).status).toBe(200);
    expect((await refresh(next.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it.skipIf(kind === 'real API')('two concurrent refreshes with one token share one rotation instead of signing the person out', async () => {
    const { client, tokens } = await signedIn(base, DEMO);
    const before = backend.refreshes();
    // The API takes its time over the first, so the second arrives while it is under way.
    backend.slowNextRefresh!();
    const both = await Promise.all([1, 2].map(() => tokenRequest(base, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id })));
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(backend.refreshes() - before).toBe(1);
  });
});

describe('each person acts as themselves', () => {
  it('tools, whoami and the audit line are the signed-in person; a read-only grant sees only the tools that read', async () => {
    const reader = await connectWithOAuth(base, 'mcp', new TestOAuthProvider(ANALYST));
    const tools = (await reader.listTools()).tools.map((t) => t.name);
    expect(tools).toHaveLength(18);
    expect(tools.some((n) => /create|update|delete/.test(n))).toBe(false);
    const me = await call(reader, 'classic_models_whoami');
    expect(me.data.username).toBe(ANALYST.username);
    const refused = await call(reader, 'classic_models_delete_office', { officecode: '1' });
    expect(refused.isError).toBe(true);
    const writer = await connectWithOAuth(base, 'sse', new TestOAuthProvider({ ...DEMO, allowWrite: true }));
    expect((await writer.listTools()).tools).toHaveLength(42);
    expect((await call(writer, 'classic_models_whoami')).data.username).toBe('demo');
    await reader.close();
    await writer.close();
    // Audit lines are written behind the calls, never in their way: wait for the last one.
    await vi.waitFor(() => expect(readFileSync(auditFile, 'utf8')).toContain('"identity":"oauth:demo"'));
    const audit = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.filter((a) => a.identity === `oauth:${ANALYST.username}`).map((a) => a.tool)).toEqual(['classic_models_whoami', 'classic_models_delete_office']);
    expect(audit.some((a) => a.identity === 'oauth:demo' && a.tool === 'classic_models_whoami')).toBe(true);
  });

  it('a session belongs to its person: a refreshed token carries on in it, another person is refused', async () => {
    const a = await signedIn(base, DEMO);
    const b = await signedIn(base, ANALYST);
    const init = await mcpPost(base, a.tokens.access_token);
    const sid = init.headers.get('mcp-session-id')!;
    const next = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: a.tokens.refresh_token, client_id: a.client.client_id });
    const send = (token: string) =>
      fetch(`${base}/mcp`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${token}`, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'classic_models_whoami', arguments: {} } }) });
    const same = await send(next.body.access_token);
    expect(same.status).toBe(200);
    expect(await same.text()).toContain('\\"username\\":\\"demo\\"');
    expect((await send(b.tokens.access_token)).status).toBe(403);
    // The same person with a read-only grant may not carry on in a session that may write.
    const writer = await signedIn(base, { ...DEMO, allowWrite: true });
    const wsid = (await mcpPost(base, writer.tokens.access_token)).headers.get('mcp-session-id')!;
    const readOnly = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${a.tokens.access_token}`, 'Mcp-Session-Id': wsid, 'MCP-Protocol-Version': '2025-11-25' }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }) });
    expect(readOnly.status).toBe(403);
    expect(readOnly.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", resource_metadata=/);
  });

  it('a --read-only server never grants write', async () => {
    const ro = await startHttpServer(['--oauth', '--read-only'], { CLASSIC_MODELS_API_URL: backend.url, OAUTH_SECRET: SECRET });
    try {
      const client = await registered(ro.url);
      const { verifier, challenge } = pkce();
      const page = await getPage(authorizeUrl(ro.url, { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: challenge, scope: 'classic-models:read classic-models:write' }));
      expect(page.html).not.toContain('allow_write');
      expect(page.html).toContain('This server is read-only');
      const s = await signIn(ro.url, { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: challenge, scope: 'classic-models:read classic-models:write' }, { ...DEMO, allowWrite: true });
      const t = await tokenRequest(ro.url, { grant_type: 'authorization_code', code: s.code!, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT });
      expect(t.body.scope).toBe('classic-models:read');
    } finally {
      await ro.stop();
    }
  });
});

describe('secrets stay secret', () => {
  it('no password, code, token or API token appears in the log or the audit lines', () => {
    const out = srv.stderr() + readFileSync(auditFile, 'utf8');
    expect(out).toContain('signed in for');
    for (const secret of [DEMO.password, ANALYST.password, SECRET, 'static-token-0123456789']) expect(out).not.toContain(secret);
    expect(out).not.toMatch(/cm[car]_[\w-]{20,}/);
    expect(out).not.toMatch(/eyJ[\w-]{8,}\.[\w-]{8,}/);
  });
});

describe('keys', () => {
  it('rotate on SIGHUP from OAUTH_SECRET_FILE: new first keeps everyone signed in, dropping the old key signs them out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm-oauth-keys-'));
    const file = join(dir, 'oauth-secret');
    const [oldKey, newKey] = ['old-key-0123456789abcdef0123456789abcdef', 'new-key-0123456789abcdef0123456789abcdef'];
    writeFileSync(file, `${oldKey}\n`);
    const s = await startHttpServer(['--oauth'], { CLASSIC_MODELS_API_URL: backend.url, OAUTH_SECRET_FILE: file });
    const hangup = async (content: string) => {
      writeFileSync(file, content);
      const seen = s.stderr().length;
      s.child.kill('SIGHUP');
      await vi.waitFor(() => expect(s.stderr().slice(seen)).toMatch(/SIGHUP: re-read OAUTH_SECRET_FILE/));
    };
    try {
      const before = await signedIn(s.url, DEMO);
      await hangup(`${newKey}\n${oldKey}\n`);
      expect((await mcpPost(s.url, before.tokens.access_token)).status).toBe(200);
      const after = await signedIn(s.url, ANALYST);
      expect(new Sealer([newKey]).open('access', after.tokens.access_token)).toHaveProperty('value');
      await hangup(`${newKey}\n`);
      expect((await mcpPost(s.url, after.tokens.access_token)).status).toBe(200);
      const dropped = await mcpPost(s.url, before.tokens.access_token);
      expect(dropped.status).toBe(401);
      expect(JSON.parse(dropped.text).message).toBe('The access token was sealed with a key this server no longer has; sign in again.');
      expect(s.stderr()).not.toContain(oldKey);
      expect(s.stderr()).not.toContain(newKey);
    } finally {
      await s.stop();
    }
  });

  it('serve-sse --demo --oauth works on loopback out of the box, with a random key and a warning', async () => {
    const s = await startHttpServer(['--demo', '--oauth'], {});
    try {
      expect(s.stderr()).toContain('OAUTH_SECRET is not set: a random key for this process');
      const client = await connectWithOAuth(s.url, 'mcp', new TestOAuthProvider({ username: 'analyst', password: 'analyst123', allowWrite: true }));
      expect((await call(client, 'classic_models_whoami')).data.username).toBe('analyst');
      expect((await client.listTools()).tools).toHaveLength(42);
      await client.close();
    } finally {
      await s.stop();
    }
  });
});

describe('login-check --server', () => {
  it('follows the discovery chain of a working server link by link', async () => {
    const r = await runCliAsync(['login-check', '--server', base]);
    expect(r.stdout).toContain(`✓ 401 from ${base}/mcp`);
    expect(r.stdout).toContain('✓ Protected resource metadata (RFC 9728)');
    expect(r.stdout).toContain('✓ Authorization server metadata (RFC 8414)');
    expect(r.stdout).toContain('token endpoint: 400 invalid_grant for a made-up code, as it should');
    expect(r.stdout).toContain('All 4 checks passed.');
    expect(r.status).toBe(0);
  });

  it('says which link is broken: no OAuth, or a --public-url clients will not accept', async () => {
    const plain = await startHttpServer([], { CLASSIC_MODELS_API_URL: backend.url, SSE_BEARER_TOKEN: 'plain-token-0123456789' });
    const port = await freePort();
    const elsewhere = await startHttpServer(['--oauth', '--port', String(port), '--public-url', `http://localhost:${port}`], { CLASSIC_MODELS_API_URL: backend.url, OAUTH_SECRET: SECRET });
    try {
      const a = await runCliAsync(['login-check', '--server', `${plain.url}/mcp`]);
      expect(a.status).toBe(1);
      expect(a.stdout).toMatch(/✗ 401 from .*: the 401 has no resource_metadata/);
      expect(a.stdout).toContain('hint: clients such as Claude cannot find the sign-in: start serve-sse with --oauth');
      const b = await runCliAsync(['login-check', '--server', elsewhere.url]);
      expect(b.status).toBe(1);
      expect(b.stdout).toContain(`✗ Protected resource metadata (RFC 9728)`);
      expect(b.stdout).toContain(`the metadata names the resource http://localhost:${port}/mcp, which ${elsewhere.url}/mcp is not under`);
      expect(runCli(['login-check', '--server', 'nonsense']).status).toBe(2);
    } finally {
      await plain.stop();
      await elsewhere.stop();
    }
  });
});

});

describe('settings', () => {
  it('stops with exit 2 naming the flag for an http --public-url on a public bind, or no --public-url, or no key', () => {
    const env = { CLASSIC_MODELS_API_URL: 'http://127.0.0.1:9', OAUTH_SECRET: SECRET, SSE_BEARER_TOKEN: 'a-token-of-some-length' };
    const http = runCli(['serve-sse', '--oauth', '--host', '0.0.0.0', '--port', '0', '--public-url', 'http://mcp.example.com'], { env });
    expect(http.status).toBe(2);
    expect(http.stderr).toMatch(/--public-url: must be https/);
    const missing = runCli(['serve-sse', '--oauth', '--host', '0.0.0.0', '--port', '0'], { env });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--public-url: required with --oauth/);
    const fromEnv = runCli(['serve-sse', '--oauth', '--host', '0.0.0.0', '--port', '0'], { env: { ...env, PUBLIC_URL: 'https://mcp.example.com/sub' } });
    expect(fromEnv.stderr).toMatch(/PUBLIC_URL: give the origin only/);
    const noKey = runCli(['serve-sse', '--oauth', '--host', '0.0.0.0', '--port', '0', '--public-url', 'https://mcp.example.com'], { env: { ...env, OAUTH_SECRET: '' } });
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toMatch(/OAUTH_SECRET: required with --oauth off loopback/);
    const short = runCli(['serve-sse', '--oauth'], { env: { ...env, OAUTH_SECRET: 'short' } });
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/OAUTH_SECRET: each key must be at least 32 characters/);
  });
});
