import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { keepCalling, together } from '../helpers/mcp.js';
import { NGINX, startCluster } from '../helpers/nginx.js';
import { KIT_PRESENT, startRealApi, type RealApi } from '../real-api/kit.js';

/**
 * The README's nginx recipe, run as written (with this test's ports): two stateless instances,
 * 50 clients calling tools over /mcp through nginx for 20 s, and a rolling restart of both
 * instances meanwhile. Against the real API when the kit is there, else the replica.
 */
if (!NGINX) process.stderr.write('\nnginx test: SKIPPED (no nginx here; .ci/run installs Debian\'s nginx-light)\n\n');

const TOKEN = 'nginx-test-token-0123456789';
const CLIENTS = 50;
const SECONDS = 20;

describe.skipIf(!NGINX)('behind nginx: stateless instances and a rolling restart', () => {
  let api: { url: string; logins(): number; stop(): Promise<void> };
  let cluster: Awaited<ReturnType<typeof startCluster>>;

  beforeAll(async () => {
    if (KIT_PRESENT) {
      // Upstream allows 1,000 reads a minute per user; 50 clients pass that in seconds.
      const real: RealApi = await startRealApi({ readRate: '10000000/min' });
      api = real;
    } else {
      const replica: Replica = await startReplica({ throttles: { read: null } });
      api = { url: replica.url, logins: () => replica.stats.logins, stop: () => replica.stop() };
    }
    cluster = await startCluster({ env: { CLASSIC_MODELS_API_URL: api.url, SSE_BEARER_TOKEN: TOKEN } });
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
    await api?.stop();
  });

  it(`${CLIENTS} clients over /mcp for ${SECONDS} s while both instances restart one after the other: no failed call, one login per instance start`, { timeout: 120_000 }, async () => {
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const c = new Client({ name: 'nginx-load', version: '1' });
        await c.connect(new StreamableHTTPClientTransport(new URL(`${cluster.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
        return c;
      }),
    );
    const until = Date.now() + SECONDS * 1000;
    const tools: [string, Record<string, unknown>][] = [
      ['classic_models_get_customer', { customernumber: 103 }],
      ['classic_models_get_office', { officecode: '1' }],
      ['classic_models_list_productlines', { fields: ['productline'] }],
    ];
    const load = Promise.all(clients.map((c, n) => keepCalling(c, { going: () => Date.now() < until, pick: (i) => tools[i % tools.length], from: n })));
    await new Promise((r) => setTimeout(r, 4_000));
    const exits = await cluster.rollingRestart();
    const { calls, failures } = together(await load);
    await Promise.all(clients.map((c) => c.close()));
    expect(exits).toEqual([0, 0]);
    expect({ failed: failures.length, first: failures.slice(0, 3).map((f) => f.replace(/\s+/g, " ").slice(0, 300)) }).toEqual({ failed: 0, first: [] });
    expect(calls).toBeGreaterThan(CLIENTS * SECONDS);
    // Two starts each (before and after the restart); each start logs in once, on its first call.
    expect(cluster.instances.map((i) => i.starts)).toEqual([2, 2]);
    expect(api.logins()).toBe(4);
  });
});
