import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/api/client.js';
import { silentLogger } from '../../src/log/logger.js';
import { startReplica, type Replica } from '../../src/demo/server.js';

let replica: Replica;
let api: ApiClient;
afterEach(async () => {
  api?.close();
  await replica?.stop();
});

const clientFor = (r: Replica, extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}) =>
  new ApiClient({ baseUrl: r.url, username: 'demo', password: 'demo123', timeoutMs: 5_000, sslVerify: true, logger: silentLogger, ...extra });

describe('the API client against the replica', () => {
  it('keeps a session alive across short access lifetimes with one login and shared refreshes', async () => {
    replica = await startReplica({ accessLifetimeSeconds: 2 });
    api = clientFor(replica);
    const deadline = Date.now() + 4_000;
    let calls = 0;
    while (Date.now() < deadline) {
      const rows = await Promise.all(Array.from({ length: 20 }, () => api.request<unknown[]>('GET', ['v1', 'offices'])));
      calls += rows.length;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(calls).toBeGreaterThan(200);
    expect(replica.stats.logins).toBe(1);
    // About one refresh per lifetime (tokens count whole seconds, so 2 to 4 in 4 s), never one per caller.
    expect(replica.stats.refreshes).toBeGreaterThanOrEqual(1);
    expect(replica.stats.refreshes).toBeLessThanOrEqual(4);
  });

  it('a spent refresh token leads to one login, not a loop', async () => {
    replica = await startReplica({ accessLifetimeSeconds: 1 });
    api = clientFor(replica);
    await api.login();
    // Someone else used our refresh token (a stale copy, a second process): it is blacklisted now.
    const stolen = api.session.tokens.refresh!.raw;
    await fetch(`${replica.url}/classic-models/api/auth/refresh/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh: stolen }) });
    await new Promise((r) => setTimeout(r, 1100));
    await Promise.all(Array.from({ length: 10 }, () => api.request('GET', ['v1', 'offices'])));
    expect(replica.stats.logins).toBe(2);
  });

  it('logout blacklists the refresh token at the API', async () => {
    replica = await startReplica();
    api = clientFor(replica);
    await api.login();
    const refresh = api.session.tokens.refresh!.raw;
    await api.logout();
    const r = await fetch(`${replica.url}/classic-models/api/auth/refresh/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh }) });
    expect(await r.json()).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
  });

  it('turns the HTML 500 of a refused delete into one line and does not retry it', async () => {
    replica = await startReplica();
    api = clientFor(replica);
    const err = await api.request('DELETE', ['v1', 'offices', '1']).catch((e) => e as Error);
    expect((err as Error).message).toMatch(/^HTTP 500 from DELETE v1\/offices\/1\/: IntegrityError at \/classic-models\/api\/v1\/offices\/1\/: \(1451, 'Cannot delete or update a parent row/);
    expect((err as Error).message.length).toBeLessThanOrEqual(300);
    expect(replica.routeCount('DELETE v1/offices/{key}/')).toBe(1);
  });
});
