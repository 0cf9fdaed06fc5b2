import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Benchmarks run one file at a time on an otherwise idle machine: figures from suites competing
// for the two cores would measure the competition.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/bench/**/*.bench.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    reporters: ['dot'],
  },
});
