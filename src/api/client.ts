import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { ApiError } from './errors.js';
import { errorFromResponse, httpLib, httpsLib, retryAfterSeconds, send, type Method, type RawResponse } from './http.js';
import { TokenSession, type ApiEvent, type UserInfo } from './session.js';

export interface ApiClientOptions {
  baseUrl: string;
  username: string;
  password: string;
  apiKey?: string;
  timeoutMs: number;
  sslVerify: boolean;
  logger: Logger;
  /** Test seams; production uses the defaults. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  retry?: Partial<RetryPolicy>;
  skewMs?: number;
  maxLoginWaitMs?: number;
  /** An API call slower than this is worth telling the people watching (MCP log notifications). */
  slowMs?: number;
  /**
   * Act with an access token someone else holds (a person signed in through OAuth): it is sent
   * as it is, and this client never logs in or refreshes. Read at every request, so a session
   * carries on with the newest token its person's client presented.
   */
  bearer?: () => string;
  /** The names a person knows the credentials by, for the hint of a refused login. */
  credentialNames?: string;
}

export interface RetryPolicy {
  /** Attempts for a GET, counting the first. Writes get exactly one (plus one after a 401). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out: the call fails and says when to retry. */
  maxRetryAfterMs: number;
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Told the HTTP status of every answer (the audit log records the last). */
  onStatus?: (status: number) => void;
  /** false for the auth endpoints that take no token (login, refresh). */
  auth?: boolean;
  /** Extra request headers: a person's address for the login throttle, their own token for logout. */
  headers?: Record<string, string>;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 2_000, maxRetryAfterMs: 10_000 };
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const API_ROOT = '/classic-models/api';

/** The API is what every command shares: one session, one connection pool. */
export interface Api {
  request<T = unknown>(method: Method, path: (string | number)[], opts?: RequestOptions): Promise<T>;
  readonly baseUrl: string;
  readonly usesApiKey: boolean;
  /** Hears the client's events (signed in, unreachable, slow...) until the returned function is called. */
  subscribe?(listener: (e: ApiEvent) => void): () => void;
}

export class ApiClient implements Api {
  readonly baseUrl: string;
  readonly session: TokenSession;
  /** Requests sent, by "METHOD path-pattern"; for benchmarks and login-check. */
  readonly sent = { total: 0 };
  private readonly root: URL;
  private agentInstance?: http.Agent;
  private closingAgent?: http.Agent;
  private readonly policy: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly listeners = new Set<(e: ApiEvent) => void>();
  /** Whether the last exchange failed to reach the API, so only the changes are told. */
  private down = false;
  /** False once the API turned out to be Python's development server: see noteServer. */
  private keepAlive = true;

  constructor(private readonly o: ApiClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    // A base URL may already end in the API root (someone pasted the full prefix): accept both.
    const rootPath = this.baseUrl.endsWith(API_ROOT) ? new URL(this.baseUrl).pathname : new URL(this.baseUrl).pathname.replace(/\/$/, '') + API_ROOT;
    this.root = new URL(rootPath + '/', this.baseUrl);
    this.policy = { ...DEFAULT_RETRY, ...o.retry };
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    const now = o.now ?? Date.now;
    this.session = new TokenSession({
      username: o.username,
      password: () => this.o.password,
      now,
      sleep: this.sleep,
      skewMs: o.skewMs,
      maxLoginWaitMs: o.maxLoginWaitMs,
      credentialNames: o.credentialNames,
      debug: (m) => o.logger.debug(m),
      post: async (path, body) => this.exchange('POST', path, { body, auth: false }),
      event: (e) => this.emit(e),
    });
  }

  subscribe(listener: (e: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: ApiEvent) {
    for (const l of this.listeners) l(e);
  }

  get usesApiKey(): boolean {
    return Boolean(this.o.apiKey) && !this.o.bearer;
  }

  /**
   * New credentials from a rotated secret file (SIGHUP). The current JWT session goes on; the
   * new password is used at the next login, a new API key from the next request.
   */
  updateCredentials(c: { password?: string; apiKey?: string }) {
    if (c.password !== undefined) this.o.password = c.password;
    if (c.apiKey !== undefined) this.o.apiKey = c.apiKey;
    this.session.credentialsChanged();
  }

  /** The URL of a path under the API root: segments encoded, trailing slash always. */
  url(path: (string | number)[]): URL {
    const rel = path.map((s) => encodeURIComponent(String(s))).join('/') + '/';
    return new URL(rel, this.root);
  }

  async request<T = unknown>(method: Method, path: (string | number)[], opts: RequestOptions = {}): Promise<T> {
    return (await this.exchange(method, path, opts)) as T;
  }

  /** Logs in now (login-check does; tools log in lazily on their first call). */
  async login(signal?: AbortSignal): Promise<UserInfo | undefined> {
    await this.session.token(signal);
    return this.session.user;
  }

  /** Blacklists the refresh token at the API, so a session we end cannot be resumed by anyone. */
  async logout(signal?: AbortSignal): Promise<void> {
    const refresh = this.session.tokens.refresh;
    if (!refresh || this.usesApiKey) return;
    await this.exchange('POST', ['auth', 'logout'], { body: { refresh: refresh.raw }, signal });
    this.session.clear();
  }

  /**
   * Whether the API answers at all, without logging in: one unauthenticated GET auth/me/, no
   * retries, a short deadline. A live API answers 401 JSON; anything else is worth a look.
   */
  async probe(timeoutMs = Math.min(this.o.timeoutMs, 3_000)): Promise<{ reachable: boolean; status?: number; ms: number; classic: boolean; html?: boolean; error?: string }> {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const res = await send({ method: 'GET', url: this.url(['auth', 'me']), headers: { Accept: 'application/json' }, timeoutMs, agent: this.agent, baseUrl: this.baseUrl, path: 'auth/me/' });
      this.noteServer(res);
      const classic = !res.isHtml && typeof res.data === 'object' && res.data !== null && (res.status === 401 || res.status === 200);
      return { reachable: true, status: res.status, ms: ms(), classic, html: res.isHtml };
    } catch (err) {
      return { reachable: false, ms: ms(), classic: false, error: (err as Error).message };
    }
  }

  close() {
    this.agentInstance?.destroy();
    this.closingAgent?.destroy();
  }

  /**
   * Python's development server (wsgiref, which Django's runserver is: `Server: WSGIServer/…`)
   * sends a response's status line and its headers as separate small writes, with Nagle's
   * algorithm on. On a kept-alive connection the second write then waits for the client's
   * delayed ACK, about 40 ms, on every request: GET v1/customers/103/ took 44–48 ms on a reused
   * socket and 3.5–4 ms on a new one (which starts in quick-ACK mode). So against that server
   * every request gets a connection of its own, from an agent that keeps none: runserver closes
   * after a `Connection: close` request without saying so in its answer, and a keep-alive agent
   * would pool that socket and send the next request (maybe a write) into the reset.
   */
  private noteServer(res: RawResponse) {
    // runserver speaks no TLS: over https the client talks to a proxy, and keeps its connections.
    if (!this.keepAlive || this.root.protocol !== 'http:' || !/^WSGIServer\//.test(String(res.headers.server ?? ''))) return;
    this.keepAlive = false;
    this.o.logger.debug(`the API is Python's development server (${res.headers.server}): a new connection for each request`);
    // Including the one that brought this answer, back in the pool now that it is read through.
    this.dropIdleSockets();
  }

  /** Closes the pooled idle sockets: after one turned out dead, its siblings likely are too. */
  private dropIdleSockets() {
    for (const list of Object.values(this.agentInstance?.freeSockets ?? {})) for (const socket of list ?? []) socket.destroy();
  }

  /** One keep-alive pool for every request of this client, made with the first request. */
  private get agent(): http.Agent {
    if (!this.keepAlive) return (this.closingAgent ??= new (httpLib().Agent)({ keepAlive: false }));
    // An idle socket is closed after 4 s, before most servers drop theirs (Node's 5 s, nginx's
    // 75 s): a write, which is never retried, then rarely goes out on a socket already dead.
    const options = { keepAlive: true, maxSockets: 32, maxFreeSockets: 16, timeout: 4_000 };
    return (this.agentInstance ??= dropSocketsThatTalkWhileIdle(
      this.root.protocol === 'https:' ? new (httpsLib().Agent)({ ...options, rejectUnauthorized: this.o.sslVerify }) : new (httpLib().Agent)(options),
    ));
  }

  private async exchange(method: Method, path: (string | number)[], opts: RequestOptions): Promise<unknown> {
    const url = this.url(path);
    const rel = url.pathname.slice(this.root.pathname.length);
    const useAuth = opts.auth !== false;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    let authRetried = false;
    let staleRetried = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let token: string | undefined;
      if (useAuth) {
        if (this.o.bearer) headers.Authorization = `Bearer ${this.o.bearer()}`;
        else if (this.o.apiKey) headers['X-API-Key'] = this.o.apiKey;
        else {
          token = await this.session.token(opts.signal);
          headers.Authorization = `Bearer ${token}`;
        }
      }
      const started = performance.now();
      let res: RawResponse;
      try {
        this.sent.total++;
        res = await send({ method, url, headers, body, signal: opts.signal, timeoutMs: this.o.timeoutMs, agent: this.agent, baseUrl: this.baseUrl, path: rel });
      } catch (err) {
        this.o.logger.debug(`${method} ${rel} failed after ${(performance.now() - started).toFixed(0)} ms: ${(err as Error).message}`);
        if (err instanceof ApiError && err.kind === 'unreachable' && !this.down) {
          this.down = true;
          this.emit({ kind: 'unreachable', message: err.message });
        }
        // A kept-alive socket the server had already closed (runserver and proxies drop idle
        // ones; a restarted API drops all): the request never reached a live server, so a read
        // goes again at once on a fresh socket. A write never does: it may have been processed.
        if (method === 'GET' && !staleRetried && err instanceof ApiError && err.info.reusedSocket && /^(ECONNRESET|EPIPE|HPE_)/.test(err.info.code ?? '')) {
          staleRetried = true;
          attempt--;
          this.dropIdleSockets();
          continue;
        }
        // Only reads are retried: a write that timed out may well have been applied. A read that
        // timed out is not either: the deadline already spent API_TIMEOUT_MS, and an API that
        // slow would make the caller wait three times as long for the same failure.
        if (method === 'GET' && err instanceof ApiError && err.kind === 'unreachable' && attempt < this.policy.attempts) {
          await this.backoff(attempt, undefined, opts.signal);
          continue;
        }
        throw err;
      }
      const ms = performance.now() - started;
      this.o.logger.debug(`${method} ${rel} ${res.status} ${ms.toFixed(0)} ms`);
      this.noteServer(res);
      if (this.down) {
        this.down = false;
        this.emit({ kind: 'reachable' });
      }
      if (ms > (this.o.slowMs ?? 3_000)) this.emit({ kind: 'slow', method, path: rel, ms: Math.round(ms) });
      opts.onStatus?.(res.status);

      // A 401 means the request was not processed, so even a write may be sent again, once.
      if (res.status === 401 && token && !authRetried) {
        authRetried = true;
        attempt--;
        await this.session.rejected(token, opts.signal);
        continue;
      }
      if (method === 'GET' && RETRYABLE_STATUS.has(res.status) && attempt < this.policy.attempts) {
        const after = retryAfterSeconds(res.headers);
        if (after === undefined || after * 1000 <= this.policy.maxRetryAfterMs) {
          await this.backoff(attempt, after, opts.signal);
          continue;
        }
      }
      if (res.status >= 400) {
        const err = errorFromResponse(res, method, rel);
        if (res.status === 401 && this.o.bearer && useAuth) {
          err.message = `the API no longer accepts this sign-in (${err.message}); reconnect, or sign in again`;
          err.info.kind = 'auth';
        } else if (res.status === 401 && this.o.apiKey) err.message = `${err.message} (the API rejected API_KEY)`;
        if (res.status === 429) err.message = `${err.message}${err.info.retryAfter !== undefined ? ` Retry in ${err.info.retryAfter} s.` : ''}`;
        throw err;
      }
      return res.data === '' ? null : res.data;
    }
  }

  private async backoff(attempt: number, retryAfter: number | undefined, signal?: AbortSignal) {
    const exp = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    const ms = retryAfter !== undefined ? Math.min(this.policy.maxRetryAfterMs, retryAfter * 1000) : exp * (0.5 + Math.random() / 2);
    if (signal?.aborted) return;
    await this.sleep(ms);
  }
}

/**
 * A server says nothing on an idle kept-alive socket unless something went wrong: runserver,
 * for one, answers a request line it could not parse (the framing of a chunked body) with an
 * HTTP/0.9 error page and closes. Left in the pool, such a socket would hand those bytes to the
 * next request as its answer. So a socket that speaks while idle is closed at once.
 */
function dropSocketsThatTalkWhileIdle<A extends http.Agent>(agent: A): A {
  const onIdleData = function (this: Socket) {
    this.destroy();
  };
  const keep = agent.keepSocketAlive.bind(agent);
  const reuse = agent.reuseSocket.bind(agent);
  agent.keepSocketAlive = (socket) => {
    const kept = keep(socket) as unknown as boolean;
    if (kept) socket.on('data', onIdleData);
    return kept;
  };
  agent.reuseSocket = (socket, req) => {
    socket.off('data', onIdleData);
    reuse(socket, req);
  };
  return agent;
}
