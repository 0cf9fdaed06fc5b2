import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { chunkedLogin, EXCHANGES, perform, type Observed } from '../contract/exchanges.js';
import { direct, KIT_PRESENT, startRealApi, type RealApi } from './kit.js';

/**
 * The replica beside the real API, request by request: what the real one answers is the truth.
 * CM_RECORD=1 writes the real answers to test/contract/observed.json for the fast suite.
 */
describe.skipIf(!KIT_PRESENT)('real API and replica answer alike', () => {
  let api: RealApi;
  let replica: Replica;
  const observed: { name: string; real: Observed }[] = [];

  beforeAll(async () => {
    [api, replica] = await Promise.all([startRealApi(), startReplica({ apiKey: 'test-api-key' })]);
  });
  afterAll(async () => {
    if (api) await direct(api, 'DELETE', 'v1/offices/PX1/');
    await Promise.all([api?.stop(), replica?.stop()]);
  });

  it('for every exchange: status, headers and body', async () => {
    const differences: unknown[] = [];
    for (const ex of EXCHANGES) {
      const real = await perform(api.url, ex);
      const copy = await perform(replica.url, ex);
      observed.push({ name: ex.name, real });
      if (JSON.stringify(copy) !== JSON.stringify(real)) differences.push({ name: ex.name, real, replica: copy });
    }
    expect(differences).toEqual([]);
  });

  it('relationship GETs count against the write throttle (200 a minute) as well as the read one', async () => {
    const firstRefusal = async (base: string) => {
      for (let i = 1; i <= 220; i++) {
        const res = await fetch(`${base}/classic-models/api/v1/customers/103/payments/`, { headers: { 'X-API-Key': 'test-api-key' } });
        await res.arrayBuffer();
        if (res.status === 429) return i;
      }
      return undefined;
    };
    // After the same exchanges above on both sides, the same request is the first refused.
    const real = await firstRefusal(api.url);
    expect(real).toBeGreaterThan(150);
    expect(await firstRefusal(replica.url)).toBe(real);
  });

  it('a chunked request body: read as empty, the framing as a bad request, the connection closed', async () => {
    const real = await chunkedLogin(api.url);
    expect(real).toMatchObject({ status: 400, body: { username: ['This field is required.'], password: ['This field is required.'] }, closed: true });
    expect(real.after).toContain("Bad request syntax ('28')");
    expect(await chunkedLogin(replica.url)).toEqual(real);
    if (process.env.CM_RECORD === '1') {
      writeFileSync(new URL('../contract/observed.json', import.meta.url), JSON.stringify({ recorded: new Date().toISOString().slice(0, 10), api: '4.5.1 on runserver', exchanges: observed, chunked: real }, null, 1) + '\n');
    }
  });
});
