import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startReplica } from '../../src/demo/server.js';
import { replicaForFile } from '../helpers/replica.js';
import { chunkedLogin, EXCHANGES, perform, type Observed } from './exchanges.js';

/**
 * The replica against what the real API answered (observed.json, recorded by
 * test/real-api/parity.test.ts with CM_RECORD=1), so every fast run holds it to the real thing.
 */
const recording = JSON.parse(readFileSync(new URL('./observed.json', import.meta.url), 'utf8')) as {
  exchanges: { name: string; real: Observed }[];
  chunked: Awaited<ReturnType<typeof chunkedLogin>>;
};

const replica = replicaForFile({ apiKey: 'test-api-key' });

describe('the replica answers as the real API was observed to', () => {
  it('records every exchange the parity test sends', () => {
    expect(recording.exchanges.map((e) => e.name)).toEqual(EXCHANGES.map((e) => e.name));
  });

  it('gives the recorded status, headers and body for each, in order', async () => {
    for (const ex of EXCHANGES) {
      const real = recording.exchanges.find((e) => e.name === ex.name)!.real;
      expect({ name: ex.name, ...(await perform(replica().url, ex)) }).toEqual({ name: ex.name, ...real });
    }
  });

  it('reads a chunked body as empty, answers the framing as runserver does, and closes the connection', async () => {
    expect(await chunkedLogin(replica().url)).toEqual(recording.chunked);
  });

  it('throttles relationship GETs at the write rate too: the 201st in a minute is refused, as on a fresh real instance', async () => {
    const fresh = await startReplica({ apiKey: 'test-api-key' });
    try {
      let first: number | undefined;
      for (let i = 1; i <= 205 && first === undefined; i++) {
        const res = await fetch(`${fresh.url}/classic-models/api/v1/customers/103/payments/`, { headers: { 'X-API-Key': 'test-api-key' } });
        await res.arrayBuffer();
        if (res.status === 429) first = i;
      }
      expect(first).toBe(201);
    } finally {
      await fresh.stop();
    }
  });
});
