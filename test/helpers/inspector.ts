import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The MCP Inspector's CLI (@modelcontextprotocol/inspector-cli, v1: the v2 Inspector needs Node
 * 22), a real client with a real habit: `--tool-arg officecode=1` sends the number 1. It reads
 * its own package.json relative to the working directory, so it runs from its build folder.
 */
const DIR = fileURLToPath(new URL('../../node_modules/@modelcontextprotocol/inspector-cli/build/', import.meta.url));

export function inspector(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; json: any; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['index.js', ...args], { cwd: DIR, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ status, json, stdout, stderr });
    });
  });
}
