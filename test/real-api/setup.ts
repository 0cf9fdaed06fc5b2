import { KIT_PRESENT, startRealApi } from './kit.js';

/**
 * Once per run, before any test: the real-API kit installs what it needs (first use: about a
 * minute) and the sample data is reloaded, so every file starts from the same database. Where the
 * kit is absent the suite is skipped with one line saying why; CI (CM_REAL_API=required) fails.
 */
export default async function setup() {
  if (!KIT_PRESENT) {
    if (process.env.CM_REAL_API === 'required') throw new Error('CM_REAL_API=required, but ../shared/realapi/start.sh is missing: the real-API suite cannot run');
    process.stderr.write('\nreal-API suite: SKIPPED (../shared/realapi not found beside this clone; the tests that run use the replica only)\n\n');
    return;
  }
  const started = Date.now();
  const api = await startRealApi({ reset: true });
  await api.stop();
  process.stderr.write(`\nreal-API suite: running against the real Classic Models API 4.5.1 (runserver over MariaDB; data reset in ${((Date.now() - started) / 1000).toFixed(1)} s)\n\n`);
}
