import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built bundle: end-to-end tests drive exactly what users run (npm test builds it first). */
export const BUNDLE = fileURLToPath(new URL('../../dist/classic-models-mcp.js', import.meta.url));

/** Runs the bundle to completion with a clean environment plus `env`. */
export function runCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; input?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BUNDLE, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeout ?? 30_000,
  });
}

/** Runs the bundle asynchronously, for commands that talk to servers in this test process. */
export function runCliAsync(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeout?: number } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { cwd: opts.cwd, env: { PATH: process.env.PATH ?? '', ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
