import http from 'node:http';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { call, connectHttp, connectStdio, startHttpServer, type Connected, type HttpServerProcess } from '../helpers/mcp.js';
import { API_KEY, KIT_PRESENT, startRealApi } from '../real-api/kit.js';
import { median, ms, percentile, report } from './lib.js';

const CALLS = 400;
const WARMUP = 50;
const TOKEN = 'bench-token-0123456789';
let replica: Replica;
let stdio: Connected;
let srv: HttpServerProcess;
let viaMcp: Client;
let viaSse: Client;

beforeAll(async () => {
  replica = await startReplica({ throttles: { read: null } });
  const env = { CLASSIC_MODELS_API_URL: replica.url, SSE_BEARER_TOKEN: TOKEN };
  stdio = await connectStdio(['serve-stdio'], env);
  // The per-token fair-use limit (300 calls a minute) would cap the measurement itself, and
  // audit lines to a pipe this process is too busy to drain would measure the pipe.
  srv = await startHttpServer(['--rate-limit', '0', '--audit-log', 'off'], env);
  viaMcp = await connectHttp(srv.url, 'mcp', TOKEN);
  viaSse = await connectHttp(srv.url, 'sse', TOKEN);
});
afterAll(async () => {
  await Promise.all([stdio.close(), viaMcp.close(), viaSse.close()]);
  await srv.stop();
  await replica.stop();
});

/**
 * The same GET the tool makes, sent straight to the API. The replica names itself as runserver
 * does, so the client opens a connection per request to it (see ApiClient), and so does this.
 */
async function directGet(base: string, headers: Record<string, string>, keepAlive = false): Promise<() => Promise<void>> {
  const agent = new http.Agent({ keepAlive, maxSockets: 1 });
  const url = new URL(`${base}/classic-models/api/v1/customers/103/`);
  return () =>
    new Promise((resolve, reject) => {
      http
        .get(url, { agent, headers: { ...headers, Accept: 'application/json' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            JSON.parse(Buffer.concat(chunks).toString());
            resolve();
          });
        })
        .on('error', reject);
    });
}

async function bearer(base: string) {
  const login = await fetch(`${base}/classic-models/api/auth/login/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'demo', password: 'demo123' }) });
  const { access } = (await login.json()) as { access: string };
  return { Authorization: `Bearer ${access}` };
}

async function sample(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

it(`per-call overhead: classic_models_get_customer, ${CALLS} sequential calls per path`, async () => {
  const get = await directGet(replica.url, await bearer(replica.url));
  const tool = (c: Client) => async () => {
    const r = await call(c, 'classic_models_get_customer', { customernumber: 103 });
    if (r.isError) throw new Error(r.text);
  };
  // Rounds alternate between the paths so that drift in machine load is shared.
  const paths: [string, () => Promise<unknown>][] = [
    ['direct GET to the API', get],
    ['stdio', tool(stdio.client)],
    ['Streamable HTTP (/mcp)', tool(viaMcp)],
    ['HTTP+SSE (/sse)', tool(viaSse)],
  ];
  const times = new Map<string, number[]>(paths.map(([n]) => [n, []]));
  for (let round = 0; round < 4; round++) for (const [name, fn] of paths) times.get(name)!.push(...(await sample(fn)));
  const base = median(times.get('direct GET to the API')!);
  report(
    'Per-call overhead: classic_models_get_customer vs the same GET sent straight to the API',
    ['path', 'p50 ms', 'p95 ms', 'added at p50 ms'],
    paths.map(([name]) => {
      const t = times.get(name)!;
      return [name, ms(median(t)), ms(percentile(t, 95)), name.startsWith('direct') ? '—' : ms(median(t) - base)];
    }),
    [`Targets: at most 1 ms added at p50 via stdio, 2 ms via /mcp. ${CALLS * 4} calls per path (SDK client included).`],
  );
  // One login each: the direct client, the stdio server, and the HTTP server (shared by /mcp and /sse).
  expect(replica.stats.logins).toBe(3);
});

it.runIf(KIT_PRESENT)('per-call latency against the real API (runserver): classic_models_get_customer, 200 calls', async () => {
  const api = await startRealApi({ readRate: '1000000/min' });
  const server = await connectStdio(['serve-stdio'], { CLASSIC_MODELS_API_URL: api.url, API_KEY });
  try {
    const headers = { 'X-API-Key': API_KEY };
    const paths: [string, () => Promise<unknown>][] = [
      ['direct GET, a new connection each', await directGet(api.url, headers)],
      ['direct GET, one kept-alive connection', await directGet(api.url, headers, true)],
      [
        'stdio',
        async () => {
          const r = await call(server.client, 'classic_models_get_customer', { customernumber: 103 });
          if (r.isError) throw new Error(r.text);
        },
      ],
    ];
    const times = new Map<string, number[]>(paths.map(([n]) => [n, []]));
    for (let round = 0; round < 4; round++) for (const [name, fn] of paths) for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await fn();
      times.get(name)!.push(performance.now() - t0);
    }
    const base = median(times.get(paths[0][0])!);
    report(
      'Per-call latency against the real API (runserver): classic_models_get_customer',
      ['path', 'p50 ms', 'p95 ms', 'added at p50 ms'],
      paths.map(([name]) => {
        const t = times.get(name)!;
        return [name, ms(median(t)), ms(percentile(t, 95)), name === paths[0][0] ? '—' : ms(median(t) - base)];
      }),
      ["runserver (Python's wsgiref) writes a response in small pieces with Nagle's algorithm on, so a kept-alive connection waits for the client's delayed ACK, about 40 ms, per request; the server's client opens a connection per request to it."],
    );
  } finally {
    await server.close();
    await api.stop();
  }
});
