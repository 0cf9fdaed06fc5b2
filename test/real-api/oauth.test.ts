import { afterAll, describe, expect, it } from 'vitest';
import { call, keepCalling, startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';
import { connectWithOAuth, TestOAuthProvider } from '../helpers/oauth-client.js';
import { authorizeUrl, getPage, hiddenRequest, mcpPost, pkce, postSignIn, REDIRECT, registered, revokeRequest, signedIn, signIn, tokenRequest } from '../helpers/oauth.js';
import { KIT_PRESENT, signUp, startRealApi, type RealApi } from './kit.js';

/**
 * serve-sse --oauth against the real API (runserver, simplejwt with rotation and a blacklist):
 * every sign-in, redemption, refresh, replay and revocation here is the real API's answer.
 * Each person is a user of their own (auth/signup/), so their tokens and throttles are theirs.
 */
const SECRET = 'real-api-oauth-secret-0123456789abcdefghij';

describe.skipIf(!KIT_PRESENT)('real API: OAuth sign-in', () => {
  const apis: RealApi[] = [];
  const servers: HttpServerProcess[] = [];
  const start = async (options: Parameters<typeof startRealApi>[0] = {}, args: string[] = []) => {
    const api = await startRealApi(options);
    apis.push(api);
    const srv = await startHttpServer(['--oauth', ...args], { CLASSIC_MODELS_API_URL: api.url, OAUTH_SECRET: SECRET, LOG_LEVEL: 'info' });
    servers.push(srv);
    return { api, srv, base: srv.url };
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(apis.map((a) => a.stop()));
  });

  it('signs a person in with their own account; the code is single-use by the API blacklist; tools act as them', async () => {
    const { api, srv, base } = await start();
    const alice = await signUp(api, 'oa');
    const { client, code, verifier, tokens } = await signedIn(base, { ...alice, allowWrite: true });
    expect(tokens.scope).toBe('classic-models:read classic-models:write');
    expect(api.logins()).toBe(1);
    expect(api.refreshes()).toBe(1);
    const replay = await tokenRequest(base, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    const r = await mcpPost(base, tokens.access_token);
    expect(r.status).toBe(200);
    const provider = new TestOAuthProvider(alice);
    const mcp = await connectWithOAuth(base, 'mcp', provider);
    expect((await call(mcp, 'classic_models_whoami')).data.username).toBe(alice.username);
    expect((await call(mcp, 'classic_models_get_customer', { customernumber: 103 })).data.customername).toBe('Atelier graphique');
    expect((await call(mcp, 'classic_models_query', { sql: 'SELECT COUNT(*) AS n FROM offices' })).data.rows).toEqual([[7]]);
    await mcp.close();
    const sse = await connectWithOAuth(base, 'sse', new TestOAuthProvider(alice));
    expect((await call(sse, 'classic_models_whoami')).data.username).toBe(alice.username);
    await sse.close();
    expect(srv.stderr()).not.toContain(alice.password);
    expect(srv.stderr()).not.toMatch(/eyJ[\w-]{8,}\.|cm[car]_[\w-]{20,}/);
  });

  it('refresh rotates the API session: a replayed refresh token is refused; revocation logs the session out', async () => {
    const { api, base } = await start();
    const bob = await signUp(api, 'ob');
    const { client, tokens } = await signedIn(base, bob);
    const refresh = (rt: string) => tokenRequest(base, { grant_type: 'refresh_token', refresh_token: rt, client_id: client.client_id });
    const next = await refresh(tokens.refresh_token);
    expect(next.status).toBe(200);
    expect((await mcpPost(base, next.body.access_token)).status).toBe(200);
    const replay = await refresh(tokens.refresh_token);
    expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token was already used, revoked or has expired' });
    const logoutsBefore = api.count('POST', 'auth/logout/');
    expect((await revokeRequest(base, { token: next.body.refresh_token, client_id: client.client_id })).status).toBe(200);
    expect(api.count('POST', 'auth/logout/')).toBe(logoutsBefore + 1);
    expect((await refresh(next.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('twenty wrong passwords for one username reach the API three times', async () => {
    const { api, base } = await start();
    const carol = await signUp(api, 'oc');
    const client = await registered(base);
    const page = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
    const request = hiddenRequest(page.html)!;
    const before = api.logins();
    for (let i = 0; i < 20; i++) await postSignIn(base, { request, username: carol.username, password: `wrong-${i}` });
    expect(api.logins() - before).toBe(3);
  });

  it("the API's login throttle counts per person: one address throttled, another still signs in", async () => {
    const { api, base } = await start({ loginRate: '2/hour' });
    const dave = await signUp(api, 'od');
    const client = await registered(base);
    const p = { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge };
    const from = (address: string) => ({ Origin: base, 'X-Forwarded-For': address });
    expect((await signIn(base, p, dave, from('198.51.100.1'))).code).toBeDefined();
    expect((await signIn(base, p, dave, from('198.51.100.1'))).code).toBeDefined();
    const third = await signIn(base, p, dave, from('198.51.100.1'));
    expect(third.answer.status).toBe(429);
    expect(third.answer.html).toMatch(/refusing sign-ins from your address for now. Try again in \d+ s./);
    expect((await signIn(base, p, dave, from('198.51.100.2'))).code).toBeDefined();
  });

  it('10-second API tokens: expiry, then 401, then the SDK client refreshes and loses no call', { timeout: 60_000 }, async () => {
    const { api, base } = await start({ accessLifetime: 10, readRate: '1000000/min' });
    const erin = await signUp(api, 'oe');
    const provider = new TestOAuthProvider(erin);
    const client = await connectWithOAuth(base, 'mcp', provider);
    expect(provider.saved!.expires_in).toBeLessThanOrEqual(10);
    const until = Date.now() + 25_000;
    const { calls, failures } = await keepCalling(client, { going: () => Date.now() < until, pick: (i) => ['classic_models_get_order', { ordernumber: 10100 + (i % 20) }], pauseMs: 100 });
    await client.close();
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(100);
    // A new access token for every ~9 s the old one lived, each by a refresh, and one login in all.
    expect(provider.history.length).toBeGreaterThanOrEqual(3);
    expect(api.logins()).toBe(1);
  });
});
