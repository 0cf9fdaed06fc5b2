import type { ApiClient } from '../api/client.js';
import { ApiError } from '../api/errors.js';
import { decodeClaims } from '../api/jwt.js';
import { RESOURCES } from '../catalog/resources.js';
import { displayValue, SETTING_ENV_NAMES, type Config, type Key, type Loaded } from '../config/config.js';
import { apiClientFor } from '../context.js';
import type { Logger } from '../log/logger.js';
import { connectTcp, handshake, resolveHost } from './reach.js';
import { CheckFailure, runSteps, type Report, type Step } from './report.js';

export { oauthChainCheck } from './oauth-chain.js';

export interface LoginCheckOptions {
  /** A running serve-sse to check as well, e.g. http://host:3000. */
  sseUrl?: string;
  sseToken?: string;
}

const SHOWN: Key[] = ['apiUrl', 'username', 'password', 'apiKey', 'timeoutMs', 'sslVerify', 'logLevel', 'readOnly', 'toolsets', 'bearerTokens'];

const iso = (seconds?: number) => (seconds ? new Date(seconds * 1000).toISOString() : 'unknown');
const human = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);

/** What went wrong at login, and what to do about it. */
function loginFailure(err: unknown, config: Config): CheckFailure {
  if (!(err instanceof ApiError)) return new CheckFailure((err as Error).message);
  const body = JSON.stringify(err.info.body ?? '');
  if (err.status === 429) {
    const wait = err.info.retryAfter;
    return new CheckFailure(`the API throttled the login (429)${wait !== undefined ? `: retry in ${wait} s` : ''}`, `the API allows 50 logins an hour per address; wait${wait !== undefined ? ` ${wait} s` : ''} before trying again, and make sure no process is logging in in a loop`);
  }
  if (/Invalid credentials/i.test(body)) return new CheckFailure(`the API rejected the credentials of user "${config.username}" (Invalid credentials)`, 'check API_USERNAME and API_PASSWORD; the API answers a disabled account the same way');
  if (/disabled|inactive/i.test(body)) return new CheckFailure(`the account "${config.username}" is disabled`, 'ask an administrator of the Classic Models API to re-activate it, or use another account');
  if (/may not be blank|is required/i.test(body)) return new CheckFailure(`the login was sent without a username or password: ${err.message.replace(/^login as "[^"]*" failed: /, '')}`, 'set API_USERNAME and API_PASSWORD (environment or .env)');
  if (err.kind === 'tls') return new CheckFailure(err.message, 'set SSL_VERIFY=false for a self-signed certificate, or NODE_EXTRA_CA_CERTS=/path/ca.pem');
  return new CheckFailure(err.message, err.kind === 'unreachable' || err.kind === 'timeout' ? 'the API stopped answering between checks; try again' : undefined);
}

/**
 * The checks, in the order a person would debug: configuration, reach, login, tokens, me,
 * refresh, data, an optional serve-sse, and finally logout, so the session it created is
 * blacklisted. Stops at the first failure, saying why and what to do.
 */
export async function loginCheck(loaded: Loaded, logger: Logger, opts: LoginCheckOptions = {}): Promise<Report> {
  const { config, sources } = loaded;
  // Reports a throttled login instead of sitting out its Retry-After.
  const api: ApiClient = apiClientFor(config, logger, { maxLoginWaitMs: 0, retry: { attempts: 1 } });
  const url = new URL(config.apiUrl);
  const https = url.protocol === 'https:';
  const port = Number(url.port || (https ? 443 : 80));
  const host = url.hostname;
  const keyMode = Boolean(config.apiKey);
  let loggedIn = false;

  /** DNS, TCP, TLS (for https) and HTTP, noting in `detail` what each found. */
  async function reach(detail: string[]): Promise<{ detail: string[]; data: Record<string, unknown> }> {
    const addresses = await resolveHost(host);
    detail.push(`DNS: ${addresses.join(', ')}`);
    await connectTcp(host, port, Math.min(config.timeoutMs, 5_000));
    detail.push(`TCP: port ${port} open`);
    const data: Record<string, unknown> = { addresses, port };
    if (https) {
      const cert = await handshake(host, port, config.sslVerify, Math.min(config.timeoutMs, 5_000));
      detail.push(`TLS: certificate for ${cert.subject} from ${cert.issuer}, valid to ${cert.validTo}${cert.authorized ? '' : ' (NOT verified: SSL_VERIFY=false)'}`);
      data.tls = cert;
    }
    const probe = await api.probe(Math.min(config.timeoutMs, 5_000));
    if (!probe.reachable) throw new CheckFailure(`HTTP: ${probe.error}`, 'the port answers but not HTTP: check the scheme (http/https) of CLASSIC_MODELS_API_URL');
    if (probe.html && probe.status === 404) {
      throw new CheckFailure(
        `HTTP: GET ${api.url(['auth', 'me']).pathname} answered an HTML 404: this is not the Classic Models API at ${config.apiUrl}`,
        'wrong base URL or path prefix: CLASSIC_MODELS_API_URL is the address in front of /classic-models/api/ (behind a proxy, include its prefix, e.g. https://host/prefix)',
      );
    }
    if (!probe.classic) throw new CheckFailure(`HTTP: GET auth/me/ answered ${probe.status}${probe.html ? ' with an HTML page' : ''}, not the API's JSON`, 'check that CLASSIC_MODELS_API_URL points at the Classic Models API (and no proxy or login page is in between)');
    detail.push(`HTTP: a Classic Models API answers (${probe.status} from auth/me/ without credentials, ${probe.ms} ms)`);
    return { detail, data: { ...data, http: probe } };
  }

  const steps: Step[] = [
    {
      name: 'Configuration',
      async run() {
        const detail = SHOWN.map((k) => {
          const src = sources[k];
          const where = src.source === 'default' ? 'default' : `${src.source}${src.name ? ` ${src.name}` : ''}`;
          return `${SETTING_ENV_NAMES[k][0].padEnd(22)} ${displayValue(k, config)}  (${where})`;
        });
        detail.push(keyMode ? 'auth: X-API-Key (no login)' : `auth: JWT login as ${config.username}`);
        return { detail, data: Object.fromEntries(SHOWN.map((k) => [k, { value: displayValue(k, config), source: sources[k].source, name: sources[k].name }])) };
      },
    },
    {
      name: `Reach ${url.host}`,
      async run() {
        const detail: string[] = [];
        try {
          return await reach(detail);
        } catch (err) {
          // A failure part-way still shows what worked before it (DNS and TCP fine, TLS not).
          throw err instanceof CheckFailure ? new CheckFailure(err.message, err.hint, detail) : err;
        }
      },
    },
    keyMode
      ? {
          name: 'API key',
          async run() {
            try {
              const me = await api.request<Record<string, unknown>>('GET', ['auth', 'me']);
              return { detail: [`the key is valid: acting as ${me.username}`], data: { user: me } };
            } catch (err) {
              if (err instanceof ApiError && err.status === 401) throw new CheckFailure('the API rejected API_KEY (Invalid API key)', 'check API_KEY, or unset it to log in with API_USERNAME and API_PASSWORD');
              throw loginFailure(err, config);
            }
          },
        }
      : {
          name: 'Login',
          async run() {
            try {
              const user = await api.login();
              loggedIn = true;
              return { detail: [`logged in as ${user?.username ?? config.username}${user?.email ? ` <${user.email}>` : ''}`], data: { user } };
            } catch (err) {
              throw loginFailure(err, config);
            }
          },
        },
  ];

  if (!keyMode) {
    steps.push(
      {
        name: 'Tokens',
        async run() {
          const { access, refresh } = api.session.tokens;
          const a = access ? decodeClaims(access.raw) : undefined;
          const r = refresh ? decodeClaims(refresh.raw) : undefined;
          if (!a?.exp) throw new CheckFailure('the access token carries no expiry (exp)', 'the API is not issuing simplejwt tokens as expected');
          const lifetime = a.exp - (a.iat ?? a.exp);
          return {
            detail: [`user id ${a.user_id}`, `access token: lifetime ${human(lifetime)}, expires ${iso(a.exp)}`, `refresh token: expires ${iso(r?.exp)}`],
            data: { user_id: a.user_id, access_lifetime_s: lifetime, access_expires: iso(a.exp), refresh_expires: iso(r?.exp) },
          };
        },
      },
      {
        name: 'auth/me/ with the access token',
        async run() {
          const me = await api.request<Record<string, unknown>>('GET', ['auth', 'me']);
          return { detail: [`${me.username} (id ${me.id}, active ${me.is_active})`], data: { user: me } };
        },
      },
      {
        name: 'Refresh',
        async run() {
          const before = api.session.tokens;
          const logins = api.session.stats.logins;
          await api.session.refreshNow();
          if (api.session.stats.logins > logins) {
            const why = api.session.lastRefreshRefusal?.message ?? 'refused';
            throw new CheckFailure(`the API refused the refresh token (${why})`, /blacklisted/i.test(why) ? 'another process used this refresh token first (each works once), or the API restored an old blacklist; the server logs in again when this happens' : 'the refresh token expired or the API\'s signing key changed; the server logs in again when this happens');
          }
          const after = api.session.tokens;
          const rotated = before.refresh?.raw !== after.refresh?.raw;
          await api.request('GET', ['auth', 'me']);
          return { detail: [`new access token works${rotated ? '; the refresh token was rotated (the old one is now blacklisted)' : ''}`], data: { rotated } };
        },
      },
    );
  }

  steps.push({
    name: 'Data',
    async run() {
      const exposed = RESOURCES.filter((r) => !config.toolsets || config.toolsets.includes(r.name));
      const rows = await Promise.all(
        exposed.map(async (r) => {
          const started = performance.now();
          try {
            const list = await api.request<unknown[]>('GET', ['v1', r.name]);
            return { resource: r.name, ok: true, count: Array.isArray(list) ? list.length : 0, ms: Math.round(performance.now() - started) };
          } catch (err) {
            return { resource: r.name, ok: false, status: (err as ApiError).status, error: (err as Error).message, ms: Math.round(performance.now() - started) };
          }
        }),
      );
      const detail = rows.map((r) => (r.ok ? `${r.resource}: ${r.count} rows (${r.ms} ms)` : `${r.resource}: FAILED ${r.error}`));
      const failed = rows.filter((r) => !r.ok);
      if (failed.length) {
        throw new CheckFailure(
          `cannot read ${failed.map((f) => f.resource).join(', ')}: ${failed[0].error}`,
          failed.some((f) => f.status === 403) ? 'the API user lacks rights for these resources: grant them, or leave them out with --toolsets' : 'see the message; the other resources read fine',
        );
      }
      return { detail, data: { resources: rows } };
    },
  });

  if (opts.sseUrl) steps.push(sseStep(opts.sseUrl, opts.sseToken ?? config.bearerTokens[0]));

  const logout: Step | undefined = keyMode
    ? undefined
    : {
        name: 'Logout',
        async run() {
          if (!loggedIn) return { detail: ['nothing to log out'] };
          await api.logout();
          return { detail: ['the refresh token this check created is blacklisted'] };
        },
      };
  try {
    return await runSteps(steps, logout);
  } finally {
    api.close();
  }
}

/** A running serve-sse: health without auth, 401 without the token, and MCP over both transports with it. */
function sseStep(base: string, token: string): Step {
  return {
    name: `serve-sse at ${base}`,
    async run() {
      const root = base.replace(/\/+$/, '');
      const detail: string[] = [];
      let health: Response;
      try {
        health = await fetch(`${root}/healthz`, { signal: AbortSignal.timeout(5_000) });
      } catch (err) {
        throw new CheckFailure(`cannot reach ${root}/healthz (${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message})`, 'is serve-sse running there, and is the port right?');
      }
      if (!health.ok) throw new CheckFailure(`${root}/healthz answered ${health.status}`, 'is this a classic-models-mcp serve-sse?');
      const h = (await health.json()) as { api?: { reachable?: boolean; url?: string }; sessions?: number };
      detail.push(`/healthz: ok, ${h.sessions ?? 0} sessions, its API ${h.api?.url} ${h.api?.reachable ? 'answers' : 'does NOT answer'}`);
      const anon = await fetch(`${root}/mcp`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      if (anon.status !== 401) throw new CheckFailure(`POST /mcp without a token answered ${anon.status}, not 401`, 'the server does not require a bearer token: anyone who reaches it can use it');
      detail.push('/mcp without a token: 401 as it should');
      const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
      const requestInit = { headers: { Authorization: `Bearer ${token}` } };
      for (const [label, transport] of [
        ['/mcp (Streamable HTTP)', new StreamableHTTPClientTransport(new URL(`${root}/mcp`), { requestInit })],
        ['/sse (HTTP+SSE)', new SSEClientTransport(new URL(`${root}/sse`), { requestInit })],
      ] as const) {
        const client = new Client({ name: 'classic-models-mcp login-check', version: '1' });
        try {
          await client.connect(transport);
          const { tools } = await client.listTools();
          detail.push(`${label}: initialize + tools/list: ${tools.length} tools`);
        } catch (err) {
          const unauthorized = /401|unauthori[sz]ed/i.test((err as Error).message);
          throw new CheckFailure(
            `${label}: ${unauthorized ? 'the server rejected the token (401)' : (err as Error).message}`,
            unauthorized ? 'use the server\'s SSE_BEARER_TOKEN (set it here, or pass --sse-token)' : undefined,
          );
        } finally {
          await client.close().catch(() => {});
        }
      }
      return { detail };
    },
  };
}
