import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLE } from '../helpers/bundle.js';
import { freePort } from '../helpers/ports.js';

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGTERM');
  child = undefined;
});

async function startDemoApi(args: string[]): Promise<{ url: string; out: string }> {
  child = spawn(process.execPath, [BUNDLE, 'demo-api', ...args], { env: { PATH: process.env.PATH ?? '' } });
  let out = '';
  return new Promise((resolve, reject) => {
    child!.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[\d.:]+)\//.exec(out);
      if (m) resolve({ url: m[1], out });
    });
    child!.on('exit', (code) => reject(new Error(`demo-api exited ${code}`)));
  });
}

describe('demo-api', () => {
  it('serves the sample data, expires access tokens at --access-lifetime, and refreshes once', async () => {
    const port = await freePort();
    const { url, out } = await startDemoApi(['--port', String(port), '--access-lifetime', '2']);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(out).toContain('demo/demo123');
    const api = `${url}/classic-models/api/`;
    const tokens = await (await fetch(api + 'auth/login/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'demo', password: 'demo123' }) })).json();
    const lines = await (await fetch(api + 'v1/orderdetails/', { headers: { Authorization: `Bearer ${tokens.access}` } })).json();
    expect(lines).toHaveLength(2996);

    await new Promise((r) => setTimeout(r, 2200));
    const expired = await fetch(api + 'v1/offices/', { headers: { Authorization: `Bearer ${tokens.access}` } });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
    });
    const refresh = () => fetch(api + 'auth/refresh/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh: tokens.refresh }) });
    const first = await refresh();
    expect(first.status).toBe(200);
    const renewed = await first.json();
    expect((await fetch(api + 'v1/offices/', { headers: { Authorization: `Bearer ${renewed.access}` } })).status).toBe(200);
    expect((await refresh()).status).toBe(401);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    await startDemoApi(['--port', '0']);
    const exited = new Promise<number | null>((r) => child!.on('exit', r));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('rejects a bad --port naming the flag', async () => {
    const { runCli } = await import('../helpers/bundle.js');
    const r = runCli(['demo-api', '--port', 'http']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--port: expected a whole number from 0 to 65535, got "http"');
  });
});
