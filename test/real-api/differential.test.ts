import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS } from '../contract/differential/corpus.js';
import { difference, parseBatch, type Answer } from '../contract/differential/compare.js';
import { ARTIFACTS } from '../helpers/browser.js';
import { call, connectStdio, type Connected } from '../helpers/mcp.js';
import { envFor, KIT_PRESENT, startRealApi, type RealApi } from './kit.js';

/**
 * classic_models_query against MariaDB itself: every query of the corpus (hand-written and
 * generated) runs on the kit's MariaDB, the database under the real API, and through the tool
 * over the real API. Each either gives MariaDB's answer or is refused with a line that says why;
 * a different answer fails the test. CM_RECORD=1 records MariaDB's answers for the replica runs.
 */
function mariadb(sql: string): Promise<Answer | { error: string }> {
  return new Promise((resolve) =>
    execFile('mysql', ['-uroot', '--batch', '--column-names', 'classicmodels', '-e', sql], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => resolve(err ? { error: (stderr || err.message).trim() } : parseBatch(stdout))),
  );
}

describe.skipIf(!KIT_PRESENT)('real API: classic_models_query answers as MariaDB does, or refuses', () => {
  let api: RealApi;
  let mcp: Connected;
  beforeAll(async () => {
    api = await startRealApi({ readRate: '1000000/min' });
    mcp = await connectStdio(['serve-stdio'], envFor(api, { QUERY_CACHE_SECONDS: '3600' }));
  }, 120_000);
  afterAll(async () => {
    await mcp?.close();
    await api?.stop();
  });

  it(`${CORPUS.length} queries: 0 answers differ`, { timeout: 600_000 }, async () => {
    const answers: Record<string, Answer> = {};
    const differ: string[] = [];
    const refused: string[] = [];
    const invalid: string[] = [];
    let matched = 0;
    for (const item of CORPUS) {
      const theirs = await mariadb(item.sql);
      if ('error' in theirs) {
        invalid.push(`${item.id}: MariaDB: ${theirs.error}`);
        continue;
      }
      answers[item.id] = theirs;
      const r = await call(mcp.client, 'classic_models_query', { sql: item.sql, max_rows: 2000 });
      if (r.isError) {
        refused.push(`${item.id}: ${r.text}`);
        continue;
      }
      const problem = difference(r.data, theirs, Boolean(item.ordered), Boolean(r.data.truncated));
      if (problem) differ.push(`${item.id}: ${problem}\n    ${item.sql}`);
      else matched++;
    }
    const report = [`${CORPUS.length} queries: ${matched} matched MariaDB, ${refused.length} refused, ${differ.length} differ, ${invalid.length} invalid`, '', '## Refused', ...refused, '', '## Differ', ...differ, '', '## Invalid', ...invalid].join('\n');
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(`${ARTIFACTS}differential.md`, report + '\n');
    process.stderr.write(`\ndifferential (real API + MariaDB): ${CORPUS.length} queries, ${matched} matched, ${refused.length} refused, ${differ.length} differ\n`);
    if (process.env.CM_RECORD === '1') writeFileSync(new URL('../contract/differential/answers.json', import.meta.url), JSON.stringify({ source: 'MariaDB 10.11 over the sample data, via test/real-api/differential.test.ts', answers }) + '\n');
    expect(invalid).toEqual([]);
    expect(differ).toEqual([]);
  });
});
