import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE } from './bundle.js';
import { freePort } from './ports.js';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** The nginx block of the README, with the ports of this run and its rates raised: load is not what these tests limit. */
function recipe(a: number, b: number, listen: number): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /<!-- nginx recipe[^>]*-->\s*```nginx\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no nginx recipe block');
  return block
    .replaceAll('127.0.0.1:3001', `127.0.0.1:${a}`)
    .replaceAll('127.0.0.1:3002', `127.0.0.1:${b}`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${listen};`)
    .replace(/rate=300r\/m/, 'rate=1000000r/m')
    .replace(/rate=120r\/m/, 'rate=1000000r/m');
}

export interface Instance {
  port: number;
  child?: ChildProcess;
  starts: number;
}

async function healthy(url: string) {
  for (;;) {
    const r = await fetch(`${url}/healthz`).catch(() => undefined);
    if (r?.status === 200) return;
    await new Promise((res) => setTimeout(res, 50));
  }
}

/**
 * The README's deployment, run as written: two serve-sse instances from the bundle behind
 * Debian's nginx. `args(url)` gives the instances' extra flags, knowing nginx's address.
 */
export async function startCluster(o: { env: Record<string, string>; args?: (url: string) => string[] }) {
  const [a, b, listen] = [await freePort(), await freePort(), await freePort()];
  const url = `http://127.0.0.1:${listen}`;
  const instances: Instance[] = [
    { port: a, starts: 0 },
    { port: b, starts: 0 },
  ];
  async function start(i: Instance) {
    const child = spawn(process.execPath, [BUNDLE, 'serve-sse', '--stateless', '--rate-limit', '0', '--audit-log', 'off', '--port', String(i.port), ...(o.args?.(url) ?? [])], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...o.env },
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
    await healthy(`http://127.0.0.1:${i.port}`);
  }
  async function stop(i: Instance): Promise<number | null> {
    const child = i.child!;
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  }
  await Promise.all(instances.map(start));
  const dir = mkdtempSync(join(tmpdir(), 'cm-nginx-'));
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
  if (check.status !== 0) throw new Error(`nginx -t: ${check.stderr}`);
  const nginx = spawn(NGINX!, ['-c', conf, '-p', dir], { stdio: 'ignore' });
  await healthy(url);
  /** Restarts each instance in turn, as the README says: stop, start, healthy, past nginx's fail_timeout. */
  async function rollingRestart(): Promise<(number | null)[]> {
    const exits: (number | null)[] = [];
    for (const i of instances) {
      exits.push(await stop(i));
      await start(i);
      await new Promise((r) => setTimeout(r, 2_500));
    }
    return exits;
  }
  return {
    url,
    instances,
    rollingRestart,
    async close() {
      nginx.kill('SIGQUIT');
      await Promise.all(instances.filter((i) => i.child).map(stop));
    },
  };
}
