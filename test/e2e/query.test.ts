import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Replica } from '../../src/demo/server.js';
import { QUESTIONS, sameRows } from '../contract/questions.js';
import { call, connectHttp, connectStdio, startHttpServer, type Connected, replicaEnv, replicaOverStdio } from '../helpers/mcp.js';

/**
 * classic_models_query against the replica: the question set held to MariaDB's recorded answers,
 * and the guardrails (read-only, deadline, memory, budget, freshness, errors that teach).
 */
const recorded = JSON.parse(readFileSync(new URL('../contract/query-answers.json', import.meta.url), 'utf8')) as { answers: Record<string, string[][]> };
const envFor = replicaEnv;

let replica: Replica;
let mcp: Connected;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ replica, mcp, close } = await replicaOverStdio()));
afterAll(() => close?.());

const query = (sql: string, extra: Record<string, unknown> = {}, client = mcp.client) => call(client, 'classic_models_query', { sql, ...extra });

describe('classic_models_query answers as MariaDB does', () => {
  it('every question of the set, in one call each, equals the recorded MariaDB answer', async () => {
    const wrong: string[] = [];
    for (const q of QUESTIONS) {
      const expected = recorded.answers[q.q];
      if (!expected) {
        wrong.push(`${q.q}: no recorded answer (run the real-API suite with CM_RECORD=1)`);
        continue;
      }
      const r = await query(q.sql);
      const problem = r.isError ? r.text : sameRows(r.data.rows, expected, q.unordered);
      if (problem) wrong.push(`${q.q}: ${problem}`);
    }
    expect(wrong).toEqual([]);
  });

  it('the shape of an answer: columns as written, rows, row_count, and how old the data is', async () => {
    const before = Date.now();
    const r = await query('SELECT SUM(quantityOrdered) / COUNT(*), CONCAT(\'#\', customerNumber) AS tag FROM orderdetails JOIN orders USING (orderNumber) WHERE orderNumber = 10100 GROUP BY tag');
    expect(r.data).toMatchObject({ columns: ['SUM(quantityOrdered) / COUNT(*)', 'tag'], rows: [[37.75, '#363']], row_count: 1, age_s: expect.any(Number) });
    expect(Date.parse(r.data.as_of)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(r.data.as_of)).toBeGreaterThan(before - 60_000);
    expect(r.bytes).toBeLessThan(250);
  });
});

describe('guardrails', () => {
  it('refuses every statement that is not one SELECT, before reading anything', async () => {
    const before = replica.stats.total;
    for (const sql of [
      "INSERT INTO offices (officecode) VALUES ('X')",
      "UPDATE customers SET creditLimit = 0",
      'DELETE FROM payments',
      'DROP TABLE customers',
      'CREATE TABLE t (a)',
      'PRAGMA query_only = 0',
      "ATTACH DATABASE ':memory:' AS x",
      'SELECT 1; SELECT 2',
      'SELECT 1; DELETE FROM payments',
      'REPLACE INTO offices VALUES (1)',
      'ALTER TABLE offices ADD x',
    ]) {
      const r = await query(sql);
      expect(r.isError, sql).toBe(true);
      expect(r.text, sql).toMatch(/^Query failed: read-only: one SELECT/);
    }
    expect(replica.stats.total).toBe(before);
    // A write hidden behind WITH is refused by the engine itself, and changes nothing.
    const hidden = await query('WITH x AS (SELECT 1) DELETE FROM payments');
    expect(hidden.text).toBe('Query failed: read-only: one SELECT');
    expect((await query('SELECT COUNT(*) FROM payments')).data.rows).toEqual([[273]]);
  });

  it('errors teach: the columns of the tables named, the eight tables, the functions provided', async () => {
    expect((await query('SELECT customerNumber, creditLimt FROM customers')).text).toMatch(/^Query failed: no such column: creditLimt; customers has customernumber, customername, .*creditlimit/);
    expect((await query('SELECT * FROM clients')).text).toBe('Query failed: no such table: clients; the tables are productlines, products, offices, employees, customers, orders, payments, orderdetails');
    expect((await query('SELECT DATE_ADD2(orderDate) FROM orders')).text).toMatch(/^Query failed: DATE_ADD2\(\) is not provided; MySQL functions here: YEAR, MONTH, .*DATE_FORMAT/);
    expect((await query('SELEC 1')).text).toMatch(/^Query failed: read-only: one SELECT/);
    expect((await query('SELECT * FROM orders WHERE')).text).toBe('Query failed: incomplete input');
    expect((await query('SELECT * FROM orders WHERE WHERE 1')).text).toMatch(/^Query failed: near "WHERE": syntax error/);
  });

  it('cuts rows at max_rows and at the byte budget, and says how to narrow the query', async () => {
    const rows = await query('SELECT orderNumber FROM orders ORDER BY orderNumber', { max_rows: 5 });
    expect(rows.data).toMatchObject({ row_count: 5, truncated: true, note: expect.stringContaining('max_rows (5)') });
    const small = await connectStdio(['serve-stdio', '--max-result-bytes', '5000'], envFor(replica));
    const big = await query('SELECT * FROM orderdetails', { max_rows: 2000 }, small.client);
    expect(big.bytes).toBeLessThanOrEqual(5000);
    expect(big.data.truncated).toBe(true);
    expect(big.data.note).toContain('result budget');
    await small.close();
  });

  it('a write through this server is seen by the next query at once, cache or not', async () => {
    expect((await query('SELECT COUNT(*) FROM offices')).data.rows).toEqual([[7]]);
    const made = await call(mcp.client, 'classic_models_create_office', { officecode: 'Q1', city: 'Quito', phone: '1', addressline1: 'a', country: 'Ecuador', postalcode: '1', territory: 'NA' });
    expect(made.isError, made.text).toBe(false);
    expect((await query('SELECT city FROM offices WHERE officeCode = \'Q1\'')).data.rows).toEqual([['Quito']]);
    await call(mcp.client, 'classic_models_delete_office', { officecode: 'Q1' });
    expect((await query('SELECT COUNT(*) FROM offices')).data.rows).toEqual([[7]]);
  });

  it('tables are read again once older than QUERY_CACHE_SECONDS; 0 reads them for every query', async () => {
    const fresh = await connectStdio(['serve-stdio', '--query-cache-seconds', '0'], envFor(replica));
    const reads = replica.routeCount('GET v1/offices/');
    await query('SELECT COUNT(*) FROM offices', {}, fresh.client);
    await query('SELECT COUNT(*) FROM offices', {}, fresh.client);
    expect(replica.routeCount('GET v1/offices/')).toBe(reads + 2);
    await fresh.close();
    const cached = replica.routeCount('GET v1/customers/');
    await query('SELECT COUNT(*) FROM customers');
    await query('SELECT COUNT(*) FROM customers');
    expect(replica.routeCount('GET v1/customers/')).toBeLessThanOrEqual(cached + 1);
  });

  it('a runaway query is stopped at its deadline while other sessions are answered at once, and the next query works', async () => {
    const server = await startHttpServer(['--audit-log', 'off', '--query-timeout-ms', '3000'], { ...envFor(replica), LOG_LEVEL: 'info', SSE_BEARER_TOKEN: 'query-token' });
    try {
      const [a, b] = await Promise.all([connectHttp(server.url, 'mcp', 'query-token'), connectHttp(server.url, 'mcp', 'query-token')]);
      await query('SELECT 1', {}, b);
      const order: string[] = [];
      const runaway = query('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r', {}, a).then((r) => (order.push('runaway'), r));
      await new Promise((r) => setTimeout(r, 200));
      const other = await call(b, 'classic_models_get_customer', { customernumber: 103 });
      order.push('other session, a tool');
      const otherQuery = await query('SELECT COUNT(*) FROM customers', {}, b);
      order.push('other session, a query');
      expect(other.isError).toBe(false);
      expect(otherQuery.data.rows).toEqual([[122]]);
      const stopped = await runaway;
      expect(stopped.text).toMatch(/^Query failed: the query ran longer than 3 s \(QUERY_TIMEOUT_MS\) and was stopped/);
      expect(order).toEqual(['other session, a tool', 'other session, a query', 'runaway']);
      expect((await query('SELECT COUNT(*) FROM orders', {}, a)).data.rows).toEqual([[326]]);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await server.stop();
    }
  });

  it('a query that needs more memory than QUERY_MEMORY_MB is stopped and says so', async () => {
    // A generous deadline, so that on a busy machine the memory cap is what stops it.
    const lean = await connectStdio(['serve-stdio', '--query-memory-mb', '64', '--query-timeout-ms', '60000'], envFor(replica));
    const r = await query('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000) SELECT LENGTH(GROUP_CONCAT(HEX(ZEROBLOB(10000)))) FROM r', {}, lean.client);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/QUERY_MEMORY_MB/);
    expect((await query('SELECT COUNT(*) FROM payments', {}, lean.client)).data.rows).toEqual([[273]]);
    await lean.close();
  });
});
