import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The real API (../shared/realapi) is installed and its data reset once, before every file.
    globalSetup: ['test/real-api/setup.ts'],
    // End-to-end suites spawn the bundle and replicas; two workers match the two cores.
    maxWorkers: 2,
  },
});
