import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connectStdio, keepCalling, together } from '../helpers/mcp.js';
import { API_KEY, blacklistRefreshTokens, envFor, KIT_PRESENT, signUp, startRealApi, type RealApi } from './kit.js';

/**
 * The JWT session against the real API's simplejwt: rotation with a blacklist, short tokens,
 * throttled logins, API keys, and an API that restarts. Logins and refreshes are counted in
 * runserver's own request log.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!KIT_PRESENT)('real API: sessions', () => {
  const started: RealApi[] = [];
  const start = async (...args: Parameters<typeof startRealApi>) => {
    const api = await startRealApi(...args);
    started.push(api);
    return api;
  };
  afterAll(async () => {
    await Promise.all(started.map((a) => a.stop()));
  });

  it('10-second tokens, 20 concurrent callers for 30 s: no failed call, exactly one login, a refresh per token lifetime', { timeout: 60_000 }, async () => {
    const api = await start({ accessLifetime: 10, readRate: '1000000/min' });
    const s = await connectStdio(['serve-stdio'], envFor(api));
    const until = Date.now() + 30_000;
    const tools: [string, Record<string, unknown>][] = [
      ['classic_models_get_customer', { customernumber: 103 }],
      ['classic_models_list_offices', { fields: ['officecode'] }],
      ['classic_models_get_payment', { customernumber: 103, checknumber: 'HQ336336' }],
      ['classic_models_get_order', { ordernumber: 10100 }],
    ];
    const { calls, failures } = together(
      await Promise.all(Array.from({ length: 20 }, (_, caller) => keepCalling(s.client, { going: () => Date.now() < until, pick: (i) => tools[i % tools.length], pauseMs: 20, from: caller }))),
    );
    await s.close();
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(500);
    expect(api.logins()).toBe(1);
    // 30 s of 10 s tokens, each renewed in its last tenth: about three refreshes.
    expect(api.refreshes()).toBeGreaterThanOrEqual(2);
    expect(api.refreshes()).toBeLessThanOrEqual(5);
  });

  it('a refresh the API refuses (blacklisted) leads to exactly one new login, and the call succeeds', async () => {
    const api = await start({ accessLifetime: 3 });
    const user = await signUp(api, 'blk');
    const s = await connectStdio(['serve-stdio'], envFor(api, { API_USERNAME: user.username, API_PASSWORD: user.password }));
    expect((await call(s.client, 'classic_models_whoami')).data.username).toBe(user.username);
    await blacklistRefreshTokens(user.username);
    await sleep(3_200);
    const after = await call(s.client, 'classic_models_get_office', { officecode: '1' });
    expect(after.isError, after.text).toBe(false);
    expect(api.logins()).toBe(2);
    expect(api.refreshes()).toBe(1);
    await s.close();
  });

  it('a login throttle reached: "retry in N s", and no further login attempts', async () => {
    const api = await start({ loginRate: '3/hour' });
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${api.url}/classic-models/api/auth/login/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'demo', password: 'demo123' }) });
      expect(r.status).toBe(200);
    }
    const s = await connectStdio(['serve-stdio'], envFor(api));
    const first = await call(s.client, 'classic_models_list_offices');
    expect(first.isError).toBe(true);
    expect(first.text).toMatch(/^login is throttled by the API \(upstream allows 50 logins an hour per address\); retry in \d+ s$/);
    const more = await Promise.all(Array.from({ length: 10 }, () => call(s.client, 'classic_models_list_offices')));
    expect(more.every((r) => r.isError && /retry in \d+ s/.test(r.text))).toBe(true);
    expect(api.logins()).toBe(4);
    await s.close();
  });

  it('API-key mode never logs in', async () => {
    const api = await start();
    const s = await connectStdio(['serve-stdio'], envFor(api, { API_KEY }));
    expect((await call(s.client, 'classic_models_whoami')).data).toEqual({ id: null, username: 'system_api_key', is_active: false });
    expect((await call(s.client, 'classic_models_get_customer', { customernumber: 103 })).isError).toBe(false);
    expect(api.logins()).toBe(0);
    await s.close();
  });

  it('the API stopped and started again on the same port: "cannot reach" while down, then calls succeed without restarting the server', async () => {
    const api = await start();
    const s = await connectStdio(['serve-stdio'], envFor(api));
    expect((await call(s.client, 'classic_models_get_office', { officecode: '1' })).isError).toBe(false);
    expect(api.logins()).toBe(1);
    await api.stop();
    const down = await call(s.client, 'classic_models_get_office', { officecode: '2' });
    expect(down.text).toBe(`cannot reach the Classic Models API at ${api.url} (ECONNREFUSED)`);
    await api.start();
    // The pooled sockets died with the old process: reads must go out on fresh ones.
    const back = await Promise.all([1, 2, 3, 4].map((code) => call(s.client, 'classic_models_get_office', { officecode: String(code) })));
    expect(back.map((r) => r.text).filter((t) => !t.startsWith('{'))).toEqual([]);
    const write = await call(s.client, 'classic_models_update_office', { officecode: '1', phone: '+1 650 219 4782' });
    expect(write.isError, write.text).toBe(false);
    // The restarted instance logs afresh: the token from before the restart was still good.
    expect(api.logins()).toBe(0);
    await s.close();
  });
});

describe.skipIf(!KIT_PRESENT)('real API: refused credentials', () => {
  let api: RealApi;
  beforeAll(async () => {
    api = await startRealApi();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('30 concurrent callers with a wrong password for 20 s: a handful of login attempts, each call answered at once', { timeout: 60_000 }, async () => {
    const s = await connectStdio(['serve-stdio'], envFor(api, { API_PASSWORD: 'not-the-password' }));
    const until = Date.now() + 20_000;
    const texts = new Set<string>();
    let calls = 0;
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        while (Date.now() < until) {
          const r = await call(s.client, 'classic_models_list_customers', { limit: 1 });
          calls++;
          texts.add(r.isError ? r.text.replace(/\d+ s\b/, 'N s') : 'succeeded');
          await sleep(50);
        }
      }),
    );
    expect(calls).toBeGreaterThan(1_000);
    expect([...texts].sort()).toEqual([
      'Cannot sign in to the Classic Models API: login as "demo" failed: Invalid credentials (check API_USERNAME and API_PASSWORD)',
      'Cannot sign in to the Classic Models API: login as "demo" failed: Invalid credentials (check API_USERNAME and API_PASSWORD); next login attempt in N s, or at once after SIGHUP with new credentials',
    ]);
    // The first login and one after the 30 s back-off at most.
    expect(api.logins()).toBeLessThanOrEqual(2);
    expect(s.stderr()).not.toContain('not-the-password');
    await s.close();
  });
});
