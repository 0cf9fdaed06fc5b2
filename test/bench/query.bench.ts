import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { call, connectStdio } from '../helpers/mcp.js';
import { API_KEY, KIT_PRESENT, startRealApi } from '../real-api/kit.js';
import { median, ms, percentile, report } from './lib.js';

/** classic_models_query: the first query of a server (worker start, tables fetched and loaded) and the next ones. */
const SQL = `SELECT e.lastName, c.country, COUNT(DISTINCT o.orderNumber) AS orders, SUM(od.quantityOrdered * od.priceEach) AS revenue
FROM employees e JOIN customers c ON c.salesRepEmployeeNumber = e.employeeNumber JOIN orders o USING (customerNumber) JOIN orderdetails od USING (orderNumber)
GROUP BY e.lastName, c.country ORDER BY revenue DESC LIMIT 10`;
const COLD_RUNS = 12;
const WARM_CALLS = 300;

let replica: Replica;
beforeAll(async () => {
  replica = await startReplica({ apiKey: API_KEY, throttles: { read: null, write: null, login: null } });
});
afterAll(async () => {
  await replica.stop();
});

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** GET v1/orderdetails/ (355 KB, the largest table the query reads) on a new connection, as the server's first read is. */
async function slowestGet(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/classic-models/api/v1/orderdetails/`, { headers: { 'X-API-Key': API_KEY, Connection: 'close' } });
  await res.json();
  return performance.now() - t0;
}

/** Cold first queries of fresh servers against an API, each beside a direct GET of the largest table. */
async function coldRuns(url: string, runs: number) {
  const cold: number[] = [];
  const gets: number[] = [];
  for (let i = 0; i < runs; i++) {
    gets.push(await slowestGet(url));
    const s = await connectStdio(['serve-stdio'], { CLASSIC_MODELS_API_URL: url, API_KEY, LOG_LEVEL: 'error' });
    await call(s.client, 'classic_models_whoami');
    const t0 = performance.now();
    const r = await call(s.client, 'classic_models_query', { sql: SQL });
    cold.push(performance.now() - t0);
    expect(r.isError, r.text).toBe(false);
    await s.close();
  }
  return { cold, gets };
}

it.runIf(KIT_PRESENT)('query: cold first queries against the real API (runserver)', async () => {
  const api = await startRealApi({ readRate: '1000000/min' });
  try {
    const { cold, gets } = await coldRuns(api.url, 8);
    report(
      'classic_models_query against the real API (runserver over MariaDB): cold first query',
      ['case', 'p50 ms', 'p95 ms', 'target'],
      [
        ['GET v1/orderdetails/ (355 KB) straight to the API, new connection', ms(median(gets)), ms(percentile(gets, 95)), '—'],
        ['cold: first query of a server', ms(median(cold)), ms(percentile(cold, 95)), `≤ ${ms(median(gets) + 50)} (that GET + 50 ms)`],
      ],
    );
  } finally {
    await api.stop();
  }
});

it(`query: ${COLD_RUNS} cold first queries and ${WARM_CALLS} warm ones (a four-table join with GROUP BY)`, async () => {
  const cold: number[] = [];
  const gets: number[] = [];
  const rssBefore: number[] = [];
  const rssAfter: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    gets.push(await slowestGet(replica.url));
    const s = await connectStdio(['serve-stdio'], { CLASSIC_MODELS_API_URL: replica.url, LOG_LEVEL: 'error' });
    const pid = s.pid;
    await call(s.client, 'classic_models_whoami'); // the login is not the query's cost
    if (pid) rssBefore.push(rssMb(pid));
    const t0 = performance.now();
    const r = await call(s.client, 'classic_models_query', { sql: SQL });
    cold.push(performance.now() - t0);
    expect(r.isError, r.text).toBe(false);
    if (pid) rssAfter.push(rssMb(pid));
    await s.close();
  }

  const s = await connectStdio(['serve-stdio'], { CLASSIC_MODELS_API_URL: replica.url, LOG_LEVEL: 'error' });
  const fresh = await connectStdio(['serve-stdio', '--query-cache-seconds', '0'], { CLASSIC_MODELS_API_URL: replica.url, LOG_LEVEL: 'error' });
  const warm = async (c: typeof s) => {
    for (let i = 0; i < 20; i++) await call(c.client, 'classic_models_query', { sql: SQL });
    const out: number[] = [];
    for (let i = 0; i < WARM_CALLS; i++) {
      const t0 = performance.now();
      await call(c.client, 'classic_models_query', { sql: SQL });
      out.push(performance.now() - t0);
    }
    return out;
  };
  const cached = await warm(s);
  const reread = await warm(fresh);
  await Promise.all([s.close(), fresh.close()]);

  const target = median(gets) + 50;
  report(
    'classic_models_query: cold and warm (four-table join with GROUP BY, over stdio)',
    ['case', 'p50 ms', 'p95 ms', 'target'],
    [
      ['GET v1/orderdetails/ (355 KB) straight to the API, new connection', ms(median(gets)), ms(percentile(gets, 95)), '—'],
      ['cold: first query of a server (worker, SQLite, 4 tables fetched and loaded)', ms(median(cold)), ms(percentile(cold, 95)), `≤ ${ms(target)} (that GET + 50 ms)`],
      ['warm: tables cached (QUERY_CACHE_SECONDS=30)', ms(median(cached)), ms(percentile(cached, 95)), '≤ 20'],
      ['warm worker, tables read again for every query (QUERY_CACHE_SECONDS=0)', ms(median(reread)), ms(percentile(reread, 95)), '—'],
    ],
    [
      `Memory: the server's RSS went from ${ms(median(rssBefore))} MB before its first query to ${ms(median(rssAfter))} MB after (median of ${COLD_RUNS}): the worker thread, SQLite and the four tables. ` +
        `Idle workers end after 60 s. Start-up does not load the engine: see the start-up table.`,
    ],
  );
});
