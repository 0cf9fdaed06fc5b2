import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { startReplica, type ReplicaOptions } from '../../src/demo/server.js';
import { BUNDLE } from './bundle.js';
import { call } from './mcp.js';

/**
 * Fault runs shared by the fast tests (npm test, small parameters) and the benchmark (npm run
 * bench, the full ones): each returns what it observed; callers assert and print.
 */

async function stdioServer(apiUrl: string, env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BUNDLE, 'serve-stdio'],
    env: { PATH: process.env.PATH ?? '', CLASSIC_MODELS_API_URL: apiUrl, ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'faults', version: '1' });
  await client.connect(transport);
  return { client, pid: transport.pid!, close: () => client.close() };
}

/** Resident memory of a process in MB, from /proc. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function expiringTokens(o: { seconds: number; callers: number; lifetimeSeconds: number }) {
  const replica = await startReplica({ accessLifetimeSeconds: o.lifetimeSeconds, throttles: { read: null, refresh: null } });
  const s = await stdioServer(replica.url);
  const errors: string[] = [];
  let calls = 0;
  const until = Date.now() + o.seconds * 1000;
  await Promise.all(
    Array.from({ length: o.callers }, async (_, i) => {
      while (Date.now() < until) {
        const r = await call(s.client, 'classic_models_get_customer', { customernumber: [103, 112, 114, 119, 121][i % 5] });
        calls++;
        if (r.isError) errors.push(r.text);
      }
    }),
  );
  await s.close();
  await replica.stop();
  return { calls, failures: errors.length, errors: errors.slice(0, 3), logins: replica.stats.logins, refreshes: replica.stats.refreshes };
}

export async function outage(o: { downMs: number }) {
  const replica = await startReplica();
  const s = await stdioServer(replica.url);
  const before = await call(s.client, 'classic_models_get_office', { officecode: '1' });
  await replica.stop();
  const during = await call(s.client, 'classic_models_get_office', { officecode: '2' });
  await new Promise((r) => setTimeout(r, o.downMs));
  await replica.start();
  const after = await call(s.client, 'classic_models_get_office', { officecode: '3' });
  await s.close();
  await replica.stop();
  return { before: !before.isError, duringError: during.isError, duringText: during.text, after: !after.isError, afterText: after.text };
}

export async function slowApi(o: { timeoutMs: number; delayMs: number }) {
  const replica = await startReplica();
  const s = await stdioServer(replica.url, { API_TIMEOUT_MS: String(o.timeoutMs) });
  await call(s.client, 'classic_models_whoami');
  replica.inject({ path: /^v1\/customers\//, delayMs: o.delayMs });
  const started = Date.now();
  const r = await call(s.client, 'classic_models_get_customer', { customernumber: 103 });
  const ms = Date.now() - started;
  // The replica answers the abandoned request later; by then the client must have closed that socket.
  await new Promise((res) => setTimeout(res, o.delayMs + 200));
  const open = await replica.connections();
  await s.close();
  await replica.stop();
  return { isError: r.isError, text: r.text, ms, openConnectionsAfter: open, abortedAtApi: replica.stats.aborted };
}

export async function cancelledCall(o: { delayMs: number; cancelAfterMs: number }) {
  const replica = await startReplica();
  const s = await stdioServer(replica.url);
  await call(s.client, 'classic_models_whoami');
  replica.inject({ path: /^v1\/orders\//, delayMs: o.delayMs });
  const ac = new AbortController();
  const pending = s.client.callTool({ name: 'classic_models_get_order', arguments: { ordernumber: 10100 } }, CallToolResultSchema, { signal: ac.signal }).then(
    () => 'answered',
    (e: Error) => `rejected: ${e.message}`,
  );
  await new Promise((r) => setTimeout(r, o.cancelAfterMs));
  ac.abort('user cancelled');
  const outcome = await pending;
  await new Promise((r) => setTimeout(r, 200));
  const aborted = replica.stats.aborted;
  await s.close();
  await replica.stop();
  return { outcome, abortedAtApi: aborted };
}

const BAD_CALLS: [string, Record<string, unknown>][] = [
  ['classic_models_get_customer', { customernumber: 'one hundred and three' }],
  ['classic_models_get_customer', { customernumber: 103, surprise: true }],
  ['classic_models_create_payment', { customernumber: 103, checknumber: 'X', paymentdate: '2024-13-45', amount: '1.999' }],
  ['classic_models_list_orders', { where: [{ field: 'status', op: 'regex', value: '.*' }] }],
  ['classic_models_list_products', { limit: -1 }],
  ['classic_models_update_office', { officecode: '1', city: 'x'.repeat(100_000) }],
  ['classic_models_list_customers', { where: [{ field: 'customername', op: 'contains', value: 'y'.repeat(50_000) }] }],
  ['classic_models_get_payment', { customernumber: 103 }],
  ['classic_models_list_orderdetails', { fields: Array.from({ length: 5000 }, (_, i) => `f${i}`) }],
  ['classic_models_delete_order', { ordernumber: 1.5 }],
];

export async function malformedCalls(o: { count: number }) {
  const replica = await startReplica();
  const s = await stdioServer(replica.url);
  let errors = 0;
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const [tool, args] = BAD_CALLS[i % BAD_CALLS.length];
      if ((await call(s.client, tool, args)).isError) errors++;
    }
  };
  // RSS after each quarter: the heap grows while V8 sizes itself to the load, then must level off.
  const rss: number[] = [];
  for (let q = 0; q < 4; q++) {
    await run(o.count / 4);
    rss.push(rssMb(s.pid));
  }
  const requestsAtApi = replica.stats.total;
  await s.close();
  await replica.stop();
  return { calls: o.count, errors, requestsAtApi, rss };
}
