import { readdirSync } from 'node:fs';
import { KIT_PRESENT, startRealApi } from './kit.js';

/** The command line's file filters (vitest matches them as substrings of the test file paths). */
function fileFilters(argv: string[]): string[] {
  const valued = new Set(['--config', '-c', '--testNamePattern', '-t', '--reporter', '--outputFile', '--project', '--root', '-r', '--dir']);
  return argv.slice(2).filter((a, i, all) => !a.startsWith('-') && !valued.has(all[i - 1] ?? '') && a !== 'run' && a !== 'vitest' && !a.endsWith('/vitest.mjs'));
}

/**
 * Once per run, before any test: the real-API kit installs what it needs (first use: about a
 * minute) and the sample data is reloaded, so every file starts from the same database. Where the
 * kit is absent the suite is skipped with one line saying why; CI (CM_REAL_API=required) fails.
 * A run that selects no real-API file leaves the database alone: reloading it drops the tables
 * under any instance serving another run.
 */
export default async function setup() {
  if (!KIT_PRESENT) {
    if (process.env.CM_REAL_API === 'required') throw new Error('CM_REAL_API=required, but ../shared/realapi/start.sh is missing: the real-API suite cannot run');
    process.stderr.write('\nreal-API suite: SKIPPED (../shared/realapi not found beside this clone; the tests that run use the replica only)\n\n');
    return;
  }
  const filters = fileFilters(process.argv);
  const files = readdirSync(new URL('.', import.meta.url)).filter((f) => f.endsWith('.test.ts')).map((f) => `test/real-api/${f}`);
  if (filters.length && !files.some((file) => filters.some((f) => file.includes(f)))) return;
  const started = Date.now();
  const api = await startRealApi({ reset: true });
  await api.stop();
  process.stderr.write(`\nreal-API suite: running against the real Classic Models API 4.5.1 (runserver over MariaDB; data reset in ${((Date.now() - started) / 1000).toFixed(1)} s)\n\n`);
}
