import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { BUNDLE } from '../helpers/bundle.js';
import { call } from '../helpers/mcp.js';
import { freePort } from '../helpers/ports.js';
import { KIT_PRESENT, startRealApi, type RealApi } from '../real-api/kit.js';

/**
 * The README's nginx recipe, run as written (with this test's ports): two stateless instances,
 * 50 clients calling tools over /mcp through nginx for 20 s, and a rolling restart of both
 * instances meanwhile. Against the real API when the kit is there, else the replica.
 */
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
if (!NGINX) process.stderr.write('\nnginx test: SKIPPED (no nginx here; .ci/run installs Debian\'s nginx-light)\n\n');

const TOKEN = 'nginx-test-token-0123456789';
const CLIENTS = 50;
const SECONDS = 20;

/** The nginx block of the README, with the ports and the per-token rate of this test. */
function recipe(a: number, b: number, listen: number): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /<!-- nginx recipe[^>]*-->\s*```nginx\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no nginx recipe block');
  return block
    .replaceAll('127.0.0.1:3001', `127.0.0.1:${a}`)
    .replaceAll('127.0.0.1:3002', `127.0.0.1:${b}`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${listen};`)
    // 50 clients share one token here, calling as fast as they can: the limit is not under test.
    .replace(/rate=300r\/m/, 'rate=1000000r/m');
}

interface Instance {
  port: number;
  child?: ChildProcess;
  starts: number;
}

describe.skipIf(!NGINX)('behind nginx: stateless instances and a rolling restart', () => {
  let dir: string;
  let nginx: ChildProcess;
  let url: string;
  let api: { url: string; logins(): number; stop(): Promise<void> };
  const instances: Instance[] = [];

  async function start(i: Instance) {
    const child = spawn(process.execPath, [BUNDLE, 'serve-sse', '--stateless', '--rate-limit', '0', '--audit-log', 'off', '--port', String(i.port)], {
      env: { PATH: process.env.PATH ?? '', CLASSIC_MODELS_API_URL: api.url, SSE_BEARER_TOKEN: TOKEN, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d) => {
        err += d;
        if (/listening on/.test(err)) resolve();
      });
      child.on('exit', (code) => reject(new Error(`instance on ${i.port} exited ${code}: ${err}`)));
    });
    i.child = child;
    i.starts++;
    // Ready means healthy, as a deployment would check before restarting the next instance.
    for (;;) {
      const r = await fetch(`http://127.0.0.1:${i.port}/healthz`).catch(() => undefined);
      if (r?.status === 200) break;
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  async function stop(i: Instance): Promise<number | null> {
    const child = i.child!;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  }

  beforeAll(async () => {
    if (KIT_PRESENT) {
      // Upstream allows 1,000 reads a minute per user; 50 clients pass that in seconds.
      const real: RealApi = await startRealApi({ readRate: '10000000/min' });
      api = real;
    } else {
      const replica: Replica = await startReplica({ throttles: { read: null } });
      api = { url: replica.url, logins: () => replica.stats.logins, stop: () => replica.stop() };
    }
    const [a, b, listen] = [await freePort(), await freePort(), await freePort()];
    instances.push({ port: a, starts: 0 }, { port: b, starts: 0 });
    await Promise.all(instances.map(start));
    dir = mkdtempSync(join(tmpdir(), 'cm-nginx-'));
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
    const conf = join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
${recipe(a, b, listen)}
}
`,
    );
    const check = spawnSync(NGINX!, ['-t', '-c', conf, '-p', dir], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    nginx = spawn(NGINX!, ['-c', conf, '-p', dir], { stdio: 'ignore' });
    url = `http://127.0.0.1:${listen}`;
    for (;;) {
      const r = await fetch(`${url}/healthz`).catch(() => undefined);
      if (r?.status === 200) break;
      await new Promise((res) => setTimeout(res, 50));
    }
  }, 60_000);

  afterAll(async () => {
    nginx?.kill('SIGQUIT');
    await Promise.all(instances.filter((i) => i.child && i.child.exitCode === null).map(stop));
    await api?.stop();
  });

  it(`${CLIENTS} clients over /mcp for ${SECONDS} s while both instances restart one after the other: no failed call, one login per instance start`, { timeout: 120_000 }, async () => {
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const c = new Client({ name: 'nginx-load', version: '1' });
        await c.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
        return c;
      }),
    );
    const failures: string[] = [];
    let calls = 0;
    const until = Date.now() + SECONDS * 1000;
    const tools: [string, Record<string, unknown>][] = [
      ['classic_models_get_customer', { customernumber: 103 }],
      ['classic_models_get_office', { officecode: '1' }],
      ['classic_models_list_productlines', { fields: ['productline'] }],
    ];
    const load = Promise.all(
      clients.map(async (c, n) => {
        for (let i = n; Date.now() < until; i++) {
          try {
            const r = await call(c, ...tools[i % tools.length]);
            if (r.isError) failures.push(r.text);
          } catch (err) {
            failures.push(`transport: ${(err as Error).message}`);
          }
          calls++;
        }
      }),
    );
    const exits: (number | null)[] = [];
    await new Promise((r) => setTimeout(r, 4_000));
    for (const i of instances) {
      exits.push(await stop(i));
      await start(i);
      // Healthy, and past nginx's fail_timeout (1 s) so it is back in rotation, as the README says.
      await new Promise((r) => setTimeout(r, 2_500));
    }
    await load;
    await Promise.all(clients.map((c) => c.close()));
    expect(exits).toEqual([0, 0]);
    expect({ failed: failures.length, first: failures.slice(0, 3).map((f) => f.replace(/\s+/g, " ").slice(0, 300)) }).toEqual({ failed: 0, first: [] });
    expect(calls).toBeGreaterThan(CLIENTS * SECONDS);
    // Two starts each (before and after the restart); each start logs in once, on its first call.
    expect(instances.map((i) => i.starts)).toEqual([2, 2]);
    expect(api.logins()).toBe(4);
  });
});
