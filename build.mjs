// Bundles the CLI and everything it imports into one executable file, so the published
// package carries no runtime dependencies and `npx classic-models-mcp` starts with no install.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync, statSync } from 'node:fs';

const outfile = 'dist/classic-models-mcp.js';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // CommonJS packages inside an ESM bundle call require() for node built-ins; without a real
  // require the bundle dies at start with "Dynamic require of node:events is not supported".
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __cmCreateRequire } from 'node:module';",
      'const require = __cmCreateRequire(import.meta.url);',
    ].join('\n'),
  },
});
chmodSync(outfile, 0o755);
const kb = (statSync(outfile).size / 1024).toFixed(1);
console.log(`built ${outfile} (${kb} KB)`);
