import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { replicaForFile } from '../helpers/replica.js';
import { call, connectStdio } from '../helpers/mcp.js';
import { API_KEY, KIT_PRESENT, startRealApi } from '../real-api/kit.js';
import { median, ms, percentile, report } from './lib.js';

/** classic_models_query: the first query of a server (worker start, tables fetched and loaded) and the next ones. */
const SQL = `SELECT e.lastName, c.country, COUNT(DISTINCT o.orderNumber) AS orders, SUM(od.quantityOrdered * od.priceEach) AS revenue
FROM employees e JOIN customers c ON c.salesRepEmployeeNumber = e.employeeNumber JOIN orders o USING (customerNumber) JOIN orderdetails od USING (orderNumber)
GROUP BY e.lastName, c.country ORDER BY revenue DESC LIMIT 10`;
const COLD_RUNS = 12;
const WARM_CALLS = 300;

const replica = replicaForFile({ apiKey: API_KEY, throttles: { read: null, write: null, login: null } });

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const TABLES = ['employees', 'customers', 'orders', 'orderdetails'];
const getTable = async (url: string, name: string) => {
  const res = await fetch(`${url}/classic-models/api/v1/${name}/`, { headers: { 'X-API-Key': API_KEY, Connection: 'close' } });
  await res.json();
};

/** GET v1/orderdetails/ (355 KB, the largest table the query reads) on a new connection, as the server's first read is. */
async function slowestGet(url: string): Promise<number> {
  const t0 = performance.now();
  await getTable(url, 'orderdetails');
  return performance.now() - t0;
}

/**
 * The query's four tables read at once, as the server reads them: what a cold query must wait
 * for. runserver (one Python process) makes the four answers one after another, so there this
 * takes longer than the slowest GET alone.
 */
async function parallelGets(url: string): Promise<number> {
  const t0 = performance.now();
  await Promise.all(TABLES.map((name) => getTable(url, name)));
  return performance.now() - t0;
}

/** Each cold query less the reads measured just before it: what the engine added, whatever the API's pace that minute. */
const paired = (cold: number[], reads: number[]) => cold.map((c, i) => c - reads[i]);

/** Cold first queries of fresh servers against an API, each beside direct GETs of its tables. */
async function coldRuns(url: string, runs: number) {
  const cold: number[] = [];
  const gets: number[] = [];
  const parallel: number[] = [];
  for (let i = 0; i < runs; i++) {
    gets.push(await slowestGet(url));
    parallel.push(await parallelGets(url));
    const s = await connectStdio(['serve-stdio'], { CLASSIC_MODELS_API_URL: url, API_KEY, LOG_LEVEL: 'error' });
    await call(s.client, 'classic_models_whoami');
    const t0 = performance.now();
    const r = await call(s.client, 'classic_models_query', { sql: SQL });
    cold.push(performance.now() - t0);
    expect(r.isError, r.text).toBe(false);
    await s.close();
  }
  return { cold, gets, parallel };
}

it.runIf(KIT_PRESENT)('query: cold first queries against the real API (runserver)', async () => {
  const api = await startRealApi({ readRate: '1000000/min' });
  try {
    const { cold, gets, parallel } = await coldRuns(api.url, 15);
    report(
      'classic_models_query against the real API (runserver over MariaDB): cold first query',
      ['case', 'p50 ms', 'p95 ms', 'target'],
      [
        ['GET v1/orderdetails/ (355 KB) alone, straight to the API, new connection', ms(median(gets)), ms(percentile(gets, 95)), '—'],
        ['the four tables GET at once, straight to the API (what the query waits for)', ms(median(parallel)), ms(percentile(parallel, 95)), '—'],
        ['cold: first query of a server', ms(median(cold)), ms(percentile(cold, 95)), `≤ ${ms(median(parallel) + 50)} (the four GETs + 50 ms)`],
        ['cold query minus the four GETs of the same run (the engine\'s part)', ms(median(paired(cold, parallel))), ms(percentile(paired(cold, parallel), 95)), '≤ 50'],
      ],
      [
        'runserver answers one request at a time in Python, so the four reads of a query take longer together than the largest alone, ' +
          'and the same GET takes anywhere from 75 to 200 ms from one minute to the next: the last row compares each cold query with the reads measured just before it.',
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
  const parallel: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    gets.push(await slowestGet(replica().url));
    parallel.push(await parallelGets(replica().url));
    const s = await connectStdio(['serve-stdio'], { CLASSIC_MODELS_API_URL: replica().url, LOG_LEVEL: 'error' });
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

  const s = await connectStdio(['serve-stdio'], { CLASSIC_MODELS_API_URL: replica().url, LOG_LEVEL: 'error' });
  const fresh = await connectStdio(['serve-stdio', '--query-cache-seconds', '0'], { CLASSIC_MODELS_API_URL: replica().url, LOG_LEVEL: 'error' });
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

  const target = median(parallel) + 50;
  report(
    'classic_models_query: cold and warm (four-table join with GROUP BY, over stdio)',
    ['case', 'p50 ms', 'p95 ms', 'target'],
    [
      ['GET v1/orderdetails/ (355 KB) alone, straight to the API, new connection', ms(median(gets)), ms(percentile(gets, 95)), '—'],
      ['the four tables GET at once, straight to the API', ms(median(parallel)), ms(percentile(parallel, 95)), '—'],
      ['cold: first query of a server (worker, SQLite, 4 tables fetched and loaded)', ms(median(cold)), ms(percentile(cold, 95)), `≤ ${ms(target)} (the four GETs + 50 ms)`],
      ['cold query minus the four GETs of the same run (the engine\'s part)', ms(median(paired(cold, parallel))), ms(percentile(paired(cold, parallel), 95)), '≤ 50'],
      ['warm: tables cached (QUERY_CACHE_SECONDS=30)', ms(median(cached)), ms(percentile(cached, 95)), '≤ 20'],
      ['warm worker, tables read again for every query (QUERY_CACHE_SECONDS=0)', ms(median(reread)), ms(percentile(reread, 95)), '—'],
    ],
    [
      `Memory: the server's RSS went from ${ms(median(rssBefore))} MB before its first query to ${ms(median(rssAfter))} MB after (median of ${COLD_RUNS}): the worker thread, SQLite and the four tables. ` +
        `Idle workers end after 60 s. Start-up does not load the engine: see the start-up table.`,
    ],
  );
});
