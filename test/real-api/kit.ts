import { execFile, spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

/**
 * The real Classic Models API (../shared/realapi: the upstream Django project served by
 * runserver over MariaDB), started per test file on a free loopback port. Absent in a user's
 * clone, where the suite is skipped with one line saying so; CI sets CM_REAL_API=required.
 */
export const KIT = fileURLToPath(new URL('../../../shared/realapi/start.sh', import.meta.url));
export const KIT_PRESENT = existsSync(KIT);
export const API_KEY = 'test-api-key';

export interface RealApiOptions {
  accessLifetime?: number;
  loginRate?: string;
  readRate?: string;
  port?: number;
  /** Reload the sample data (only the global setup does, before any test runs). */
  reset?: boolean;
}

export interface RealApi {
  url: string;
  port: number;
  pid: number;
  log: string;
  options: RealApiOptions;
  /** Requests in runserver's log: one line per request, e.g. `"POST /classic-models/api/auth/login/ HTTP/1.1" 200 636`. */
  count(method: string, path: string): number;
  logins(): number;
  refreshes(): number;
  stop(): Promise<void>;
  /** Starts it again on the same port (same database, same signing key: tokens stay valid). */
  start(): Promise<void>;
}

/**
 * Runs start.sh with its output in files, never pipes, and waits for it to exit, not for its
 * output to close: the first start of MariaDB leaves a subshell of start.sh (the parent of
 * mysqld_safe) alive for as long as the database runs, holding start.sh's stdout and stderr. With
 * pipes, "close" never came and CI's global setup waited out the whole 90-minute budget.
 * First use installs Debian packages (about a minute), hence the generous deadline.
 */
function run(args: string[], deadlineMs = (args.includes('--reset') ? 10 : 3) * 60_000): Promise<{ url: string; pid: number; log: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cm-kit-'));
  const outFile = join(dir, 'stdout');
  const errFile = join(dir, 'stderr');
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const child = spawn('bash', [KIT, ...args], { stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`start.sh ${args.join(' ')} did not finish in ${deadlineMs / 1000} s: ${read(errFile).slice(-2000)}`));
    }, deadlineMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = read(outFile).trim().split('\n').pop() ?? '';
      const stderr = read(errFile);
      rmSync(dir, { recursive: true, force: true });
      if (code === 0 && line.startsWith('{')) {
        const started = JSON.parse(line) as { url: string; pid: number; log: string };
        // .ci/run ends exactly what this run started, by process id (CM_KIT_PIDS names its list).
        if (process.env.CM_KIT_PIDS) appendFileSync(process.env.CM_KIT_PIDS, `${started.pid}\n`);
        resolve(started);
      }
      else reject(new Error(`start.sh ${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`));
    });
  });
}

const flags = (o: RealApiOptions, port: number) => [
  '--port',
  String(port),
  ...(o.accessLifetime ? ['--access-lifetime', String(o.accessLifetime)] : []),
  '--login-rate',
  o.loginRate ?? '100000/hour',
  ...(o.readRate ? ['--read-rate', o.readRate] : []),
  ...(o.reset ? ['--reset'] : []),
];

export async function startRealApi(options: RealApiOptions = {}): Promise<RealApi> {
  const first = await run(flags(options, options.port ?? 0));
  const port = Number(new URL(first.url).port);
  let pid = first.pid;
  const lines = () => (existsSync(first.log) ? readFileSync(first.log, 'utf8').split('\n') : []);
  const api: RealApi = {
    url: first.url,
    port,
    get pid() {
      return pid;
    },
    log: first.log,
    options,
    count: (method, path) => lines().filter((l) => l.includes(`"${method} /classic-models/api/${path} HTTP/1.1"`)).length,
    logins: () => api.count('POST', 'auth/login/'),
    refreshes: () => api.count('POST', 'auth/refresh/'),
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      process.kill(pid, 'SIGKILL');
    },
    async start() {
      // start.sh starts the log afresh: counts after a restart are the new process's.
      pid = (await run([...flags({ ...options, reset: false }, port), '--log', first.log])).pid;
    },
  };
  return api;
}

/** A user of its own for a test (signup is part of the API), so its tokens and throttles are its alone. */
export async function signUp(api: RealApi, purpose: string): Promise<{ username: string; password: string }> {
  const username = `rt_${purpose}_${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const res = await fetch(`${api.url}/classic-models/api/auth/signup/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password, password_confirm: password, email: `${username}@example.test`, first_name: 'Real', last_name: 'Test' }),
  });
  if (res.status !== 201) throw new Error(`signup ${username}: ${res.status} ${await res.text()}`);
  return { username, password };
}

/** SQL on the kit's MariaDB (the database every instance serves), as root over the local socket. */
export function sql(statement: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('mysql', ['-uroot', '-N', '-B', 'classicmodels', '-e', statement], (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
  );
}

/** Blacklists every refresh token the user holds, the way the API does after a rotation. */
export const blacklistRefreshTokens = (username: string) =>
  sql(`INSERT INTO token_blacklist_blacklistedtoken (token_id, blacklisted_at)
       SELECT o.id, NOW() FROM token_blacklist_outstandingtoken o JOIN auth_user u ON u.id = o.user_id
       WHERE u.username = '${username.replace(/[^\w]/g, '')}' AND o.id NOT IN (SELECT token_id FROM token_blacklist_blacklistedtoken)`);

/** A direct call to the API with the API key, for setup, cross-checks and cleanup. */
export async function direct(api: RealApi, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}/classic-models/api/${path}`, {
    method,
    headers: { 'X-API-Key': API_KEY, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text };
}

/** The MCP server's environment for an instance. */
export const envFor = (api: RealApi, extra: Record<string, string> = {}): Record<string, string> => ({
  CLASSIC_MODELS_API_URL: api.url,
  API_USERNAME: 'demo',
  API_PASSWORD: 'demo123',
  LOG_LEVEL: 'warn',
  ...extra,
});
