import { describe, expect, it } from 'vitest';
import { cancelledCall, expiringTokens, malformedCalls, outage, slowApi } from '../helpers/faults.js';

/** The fast fault runs; npm run bench runs the same ones longer (test/bench/faults.bench.ts). */
describe('fault runs (fast)', () => {
  it('access tokens expiring every 2 s under 10 concurrent callers: no failed call, one login', async () => {
    const r = await expiringTokens({ seconds: 5, callers: 10, lifetimeSeconds: 2 });
    expect(r.errors).toEqual([]);
    expect(r.logins).toBe(1);
    expect(r.refreshes).toBeGreaterThanOrEqual(1);
    expect(r.refreshes).toBeLessThanOrEqual(5);
  });

  it('the API going down and coming back: "cannot reach" while down, then fine without a restart', async () => {
    const r = await outage({ downMs: 300 });
    expect(r.before).toBe(true);
    expect(r.duringError).toBe(true);
    expect(r.duringText).toMatch(/^cannot reach the Classic Models API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
    expect(r.after, r.afterText).toBe(true);
  });

  it('an API slower than API_TIMEOUT_MS: an isError saying so, and the socket is not left open', async () => {
    const r = await slowApi({ timeoutMs: 300, delayMs: 1000 });
    expect(r.isError).toBe(true);
    expect(r.text).toBe('the Classic Models API did not answer GET v1/customers/103/ within 300 ms (API_TIMEOUT_MS)');
    expect(r.abortedAtApi).toBe(1);
    expect(r.openConnectionsAfter).toBeLessThanOrEqual(1);
  });

  it('a call cancelled by the client aborts its request to the API', async () => {
    const r = await cancelledCall({ delayMs: 2000, cancelAfterMs: 300 });
    expect(r.outcome).toMatch(/^rejected/);
    expect(r.abortedAtApi).toBe(1);
  });

  it('malformed calls are all isError and none reaches the API', async () => {
    const r = await malformedCalls({ count: 200 });
    expect(r.errors).toBe(200);
    expect(r.requestsAtApi).toBe(0);
  });
});
