import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplica, type DemoUser, type Replica } from '../../src/demo/server.js';
import { call, connectHttp, startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';
import { connectWithOAuth, TestOAuthProvider } from '../helpers/oauth-client.js';
import { authorizeUrl, getPage, hiddenRequest, pkce, postSignIn, REDIRECT, registered, signedIn, tokenRequest } from '../helpers/oauth.js';
import { KIT_PRESENT, signUp, startRealApi } from '../real-api/kit.js';
import { median, ms, percentile, report } from './lib.js';

const SECRET = 'bench-oauth-secret-0123456789abcdefghijkl';
const TOKEN = 'bench-static-token-0123456789';
const PEOPLE = 10_000;
let replica: Replica;
let srv: HttpServerProcess;

const users: DemoUser[] = Array.from({ length: PEOPLE }, (_, i) => ({ id: i + 1, username: `person${i}`, password: `pw-person-${i}`, email: `p${i}@example.test`, first_name: 'P', last_name: String(i), is_active: true, date_joined: '2026-12-01T00:00:00.000000Z' }));

beforeAll(async () => {
  replica = await startReplica({ users, throttles: { read: null, write: null, login: null, refresh: null, me: null } });
  // The static token acts as the configured API user: one of the crowd here.
  srv = await startHttpServer(['--oauth', '--rate-limit', '0', '--audit-log', 'off'], { CLASSIC_MODELS_API_URL: replica.url, OAUTH_SECRET: SECRET, SSE_BEARER_TOKEN: TOKEN, API_USERNAME: users[PEOPLE - 1].username, API_PASSWORD: users[PEOPLE - 1].password });
});
afterAll(async () => {
  await srv?.stop();
  await replica?.stop();
});

/**
 * A JSON POST straight to the API on a connection of its own, as the server's client makes them
 * to runserver (a kept-alive one waits ~40 ms for a delayed ACK there, see ApiClient).
 */
function apiPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const timed = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

it('a tool call with an OAuth token against the same call with a static token', async () => {
  const staticClient = await connectHttp(srv.url, 'mcp', TOKEN);
  const oauthClient = await connectWithOAuth(srv.url, 'mcp', new TestOAuthProvider(users[0]));
  const tool = (c: Client) => async () => {
    const r = await call(c, 'classic_models_get_customer', { customernumber: 103 });
    if (r.isError) throw new Error(r.text);
  };
  const paths: [string, () => Promise<void>][] = [
    ['static bearer token', tool(staticClient)],
    ['OAuth access token', tool(oauthClient)],
  ];
  const times = new Map<string, number[]>(paths.map(([n]) => [n, []]));
  for (let round = 0; round < 8; round++) for (const [name, fn] of paths) for (let i = 0; i < (round === 0 ? 150 : 100); i++) {
    const t = await timed(fn);
    if (round > 0) times.get(name)!.push(t);
  }
  const base = median(times.get('static bearer token')!);
  report(
    'OAuth: a tool call (classic_models_get_customer over /mcp) with an OAuth token vs a static token',
    ['token', 'p50 ms', 'p95 ms', 'added at p50 ms'],
    paths.map(([name]) => [name, ms(median(times.get(name)!)), ms(percentile(times.get(name)!, 95)), name.startsWith('static') ? '—' : ms(median(times.get(name)!) - base)]),
    ['Target: at most 0.2 ms added at p50. Opening the sealed token (AES-256-GCM) is the difference; 700 calls each, rounds alternating.'],
  );
  await staticClient.close();
  await oauthClient.close();
});

/** The sign-in POST up to its redirect and a refresh, each against the API call it wraps. */
async function signInAndRefresh(label: string, base: string, apiUrl: string, person: { username: string; password: string }) {
  const client = await registered(base);
  const page = await getPage(authorizeUrl(base, { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
  const request = hiddenRequest(page.html)!;
  const login = () => apiPost(`${apiUrl}/classic-models/api/auth/login/`, person);
  const signIn = async () => {
    const r = await postSignIn(base, { request, ...person });
    if (r.status !== 302) throw new Error(`sign-in ${r.status}`);
  };
  const signInTimes: number[] = [];
  const loginTimes: number[] = [];
  for (let i = 0; i < 50; i++) {
    const a = await timed(login);
    const b = await timed(signIn);
    if (i >= 10) loginTimes.push(a), signInTimes.push(b);
  }
  const { tokens, client: c2 } = await signedIn(base, person);
  let rt = tokens.refresh_token;
  const direct = (await (await login())) as { refresh: string };
  let apiRt = direct.refresh;
  const refreshTimes: number[] = [];
  const apiRefreshTimes: number[] = [];
  for (let i = 0; i < 50; i++) {
    const a = await timed(async () => {
      // Its own address for the API's refresh throttle (100 a minute per address), apart from the server's.
      const body = (await apiPost(`${apiUrl}/classic-models/api/auth/refresh/`, { refresh: apiRt }, { 'X-Forwarded-For': '192.0.2.99' })) as { refresh: string };
      apiRt = body.refresh;
    });
    const b = await timed(async () => {
      const r = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: rt, client_id: c2.client_id });
      if (r.status !== 200) throw new Error(`refresh ${r.status}`);
      rt = r.body.refresh_token;
    });
    if (i >= 10) apiRefreshTimes.push(a), refreshTimes.push(b);
  }
  return [
    [`${label}: sign-in POST to its redirect`, ms(median(signInTimes)), ms(percentile(signInTimes, 95)), ms(median(loginTimes)), ms(median(signInTimes) - median(loginTimes))],
    [`${label}: refresh at /token`, ms(median(refreshTimes)), ms(percentile(refreshTimes, 95)), ms(median(apiRefreshTimes)), ms(median(refreshTimes) - median(apiRefreshTimes))],
  ];
}

it('the sign-in and a refresh against the API calls they wrap (replica, and the real API when the kit is here)', async () => {
  const rows = await signInAndRefresh('replica', srv.url, replica.url, users[1]);
  if (KIT_PRESENT) {
    const api = await startRealApi({ readRate: '1000000/min' });
    const real = await startHttpServer(['--oauth', '--audit-log', 'off'], { CLASSIC_MODELS_API_URL: api.url, OAUTH_SECRET: SECRET });
    try {
      rows.push(...(await signInAndRefresh('real API', real.url, api.url, await signUp(api, 'bench'))));
    } finally {
      await real.stop();
      await api.stop();
    }
  }
  report('OAuth: the sign-in POST and a refresh, against the API call each wraps (auth/login/, auth/refresh/)', ['step', 'p50 ms', 'p95 ms', 'the API call alone, p50 ms', 'added at p50 ms'], rows, [
    'Targets: the sign-in at most the API login + 20 ms, a refresh at most the API refresh + 10 ms. 40 of each, after 10 to warm up, alternating.',
  ]);
});

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Sign-in, redemption and one call each, `people` of them, on a stateless server (no session is kept). */
async function crowd(people: DemoUser[], callsEach: number) {
  const s = await startHttpServer(['--oauth', '--stateless', '--rate-limit', '0', '--audit-log', 'off'], { CLASSIC_MODELS_API_URL: replica.url, OAUTH_SECRET: SECRET });
  try {
    const client = await registered(s.url);
    const { verifier, challenge } = pkce();
    const page = await getPage(authorizeUrl(s.url, { client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: challenge, resource: `${s.url}/mcp` }));
    const request = hiddenRequest(page.html)!;
    let failed = 0;
    const one = async (p: DemoUser) => {
      const signIn = await postSignIn(s.url, { request, username: p.username, password: p.password });
      const code = new URL(signIn.location!).searchParams.get('code')!;
      const t = await tokenRequest(s.url, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT });
      for (let i = 0; i < callsEach; i++) {
        const r = await fetch(`${s.url}/mcp`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${t.body.access_token}` },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'classic_models_get_office', arguments: { officecode: String(1 + (i % 7)) } } }),
        });
        const text = await r.text();
        if (r.status !== 200 || text.includes('"isError":true')) failed++;
      }
    };
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < people.length) await one(people[next++]);
    }));
    const seconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 500));
    return { rss: rssMb(s.child.pid!), failed, seconds };
  } finally {
    await s.stop();
  }
}

it(`${PEOPLE.toLocaleString('en')} different people signing in and calling in turn on one instance: resident memory against one person`, { timeout: 600_000 }, async () => {
  const one = await crowd([users[0]], PEOPLE);
  const many = await crowd(users, 1);
  report(
    `OAuth: resident memory of one instance after ${PEOPLE.toLocaleString('en')} calls by one person, and after ${PEOPLE.toLocaleString('en')} different people each signed in and called once`,
    ['run', 'RSS after, MB', 'failed calls', 'seconds'],
    [
      ['one person', one.rss.toFixed(1), one.failed, one.seconds.toFixed(1)],
      [`${PEOPLE.toLocaleString('en')} people`, many.rss.toFixed(1), many.failed, many.seconds.toFixed(1)],
      ['difference', (many.rss - one.rss).toFixed(1), '', ''],
    ],
    ['Target: within 30 MB. Every per-person cache is bounded (1,000 identities, 30,000 sign-in backoff keys); tokens are sealed, not stored. Stateless /mcp, 8 at a time.'],
  );
  expect(one.failed + many.failed).toBe(0);
});
