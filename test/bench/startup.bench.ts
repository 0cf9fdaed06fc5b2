import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
// @ts-expect-error: build.mjs is plain JavaScript
import { bundleOptions } from '../../build.mjs';
import { BUNDLE } from '../helpers/bundle.js';
import { median, ms, percentile, report } from './lib.js';

const RUNS = 21;
let dir: string;
let minimal: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cm-bench-'));
  minimal = join(dir, 'minimal-server.mjs');
  // The baseline is bundled by the very same options as the CLI.
  await build(bundleOptions(new URL('./fixtures/minimal-server.ts', import.meta.url).pathname, minimal));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INIT = [
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/list' },
]
  .map((m) => JSON.stringify(m) + '\n')
  .join('');

/** Spawn → the tools/list answer on stdout, in ms. */
function startup(args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: process.env.PATH ?? '', ...env } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('"id":2')) {
        const t = performance.now() - t0;
        child.kill();
        resolve(t);
      }
    });
    child.on('error', reject);
    child.stdin.write(INIT);
  });
}

function nodeOnly(): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).on('exit', () => resolve(performance.now() - t0));
  });
}

it(`startup: spawn → tools/list over stdio, ${RUNS} runs each, interleaved`, async () => {
  const ours: number[] = [];
  const base: number[] = [];
  const bare: number[] = [];
  await startup([BUNDLE, 'serve-stdio']);
  await startup([minimal]);
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so a noisy moment hits all three alike.
    ours.push(await startup([BUNDLE, 'serve-stdio'], { CLASSIC_MODELS_API_URL: 'http://127.0.0.1:9' }));
    base.push(await startup([minimal]));
    bare.push(await nodeOnly());
  }
  const ratio = median(ours) / median(base);
  report(
    'Startup: spawn → tools/list answered (stdio)',
    ['process', 'median ms', 'p90 ms', '× one-tool SDK server'],
    [
      ['classic-models-mcp serve-stdio (42 tools)', ms(median(ours)), ms(percentile(ours, 90)), ratio.toFixed(2)],
      ['one-tool SDK server, bundled the same way', ms(median(base)), ms(percentile(base, 90)), '1.00'],
      ["node -e ''", ms(median(bare)), ms(percentile(bare, 90)), (median(bare) / median(base)).toFixed(2)],
    ],
    [`Target: at most 1.15× the one-tool server. ${RUNS} runs each.`],
  );
  expect(ours.length).toBe(RUNS);
});
