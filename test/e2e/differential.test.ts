import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS } from '../contract/differential/corpus.js';
import { difference, type Answer } from '../contract/differential/compare.js';
import { call, type Connected } from '../helpers/mcp.js';
import { replicaOverStdio } from '../helpers/mcp.js';

/**
 * The differential corpus replayed on the replica: MariaDB's answers, recorded by
 * test/real-api/differential.test.ts (CM_RECORD=1), against classic_models_query over stdio.
 * The replica serves the same sample data MariaDB holds, so the answers must be the same.
 */
const recorded = JSON.parse(readFileSync(new URL('../contract/differential/answers.json', import.meta.url), 'utf8')) as { answers: Record<string, Answer> };

describe('classic_models_query replays MariaDB on the replica', () => {
  let setup: Awaited<ReturnType<typeof replicaOverStdio>>;
  let mcp: Connected;
  beforeAll(async () => {
    setup = await replicaOverStdio();
    mcp = setup.mcp;
  });
  afterAll(() => setup?.close());

  it(`${CORPUS.length} queries (${Object.keys(recorded.answers).length} recorded): 0 answers differ, refusals say why`, { timeout: 300_000 }, async () => {
    const differ: string[] = [];
    const unclear: string[] = [];
    let matched = 0;
    let refused = 0;
    for (const item of CORPUS) {
      const theirs = recorded.answers[item.id];
      expect(theirs, `${item.id} has no recorded answer: run the real-API suite with CM_RECORD=1`).toBeDefined();
      const r = await call(mcp.client, 'classic_models_query', { sql: item.sql, max_rows: 2000 });
      if (r.isError) {
        refused++;
        // A refusal names the construct or the column, and what to write instead.
        if (!/not supported here|write |instead/.test(r.text)) unclear.push(`${item.id}: ${r.text}`);
        continue;
      }
      const problem = difference(r.data, theirs, Boolean(item.ordered), Boolean(r.data.truncated));
      if (problem) differ.push(`${item.id}: ${problem}`);
      else matched++;
    }
    process.stderr.write(`\ndifferential (replica, recorded MariaDB answers): ${matched} matched, ${refused} refused, ${differ.length} differ\n`);
    expect(differ).toEqual([]);
    expect(unclear).toEqual([]);
    expect(matched + refused).toBe(CORPUS.length);
  });
});
