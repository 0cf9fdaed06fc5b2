import { ApiError } from './errors.js';
import { decodeClaims } from './jwt.js';

export interface Token {
  raw: string;
  /** Expiry in ms since the epoch; Infinity when the token carries no exp. */
  expiresAt: number;
  /** exp − iat: how long such a token lives, so the early-refresh margin can scale with it. */
  lifetimeMs: number;
}

export interface UserInfo {
  id: number | null;
  username: string;
  [k: string]: unknown;
}

export interface SessionStats {
  logins: number;
  refreshes: number;
}

export interface SessionDeps {
  username: string;
  /** Read at each login, so a rotated password (SIGHUP) is used from the next login on. */
  password(): string;
  /** POSTs JSON to a path under the API root without auth, and returns the parsed body. */
  post(path: string[], body: unknown): Promise<unknown>;
  now(): number;
  sleep(ms: number): Promise<void>;
  debug(msg: string): void;
  /** Refresh this long before the access token's exp (default 30 s), so a request never leaves with a dying token. */
  skewMs?: number;
  /** The longest Retry-After a login waits out within one call; longer ones fail the call. */
  maxLoginWaitMs?: number;
  /** After credentials are refused, no login for this long (doubling per refusal, up to the cap). */
  refusedBackoffMs?: { first: number; max: number };
  /** How the person set the credentials, for the hint of a refused login (variables, or a form's fields). */
  credentialNames?: string;
  /** Told of what a person watching would want to know: logins, refusals, throttling. */
  event?(e: ApiEvent): void;
}

/** What happened to the connection with the API, as the MCP log notifications tell it. */
export type ApiEvent =
  | { kind: 'signed_in'; username: string; again?: string }
  | { kind: 'login_refused'; message: string; retryInSeconds: number }
  | { kind: 'login_throttled'; retryInSeconds: number }
  | { kind: 'unreachable'; message: string }
  | { kind: 'reachable' }
  | { kind: 'slow'; method: string; path: string; ms: number };

const toToken = (raw: unknown): Token | undefined => {
  if (typeof raw !== 'string' || !raw) return undefined;
  const claims = decodeClaims(raw);
  const exp = claims?.exp;
  const expiresAt = typeof exp === 'number' ? exp * 1000 : Infinity;
  const lifetimeMs = typeof exp === 'number' && typeof claims?.iat === 'number' ? (exp - claims.iat) * 1000 : Infinity;
  return { raw, expiresAt, lifetimeMs };
};

/**
 * The JWT session: one access token and one refresh token, in memory only.
 *
 * The API rotates refresh tokens and blacklists the used one, so two refreshes with the same
 * token cannot both succeed: every renewal is single-flight, shared by all callers that need it.
 * Logins are throttled at 50 an hour, so a failed login is never retried in a loop.
 */
export class TokenSession {
  private access?: Token;
  private refresh?: Token;
  private pending?: Promise<string>;
  private loginBlockedUntil = 0;
  /**
   * The last refusal of our credentials. Until `until`, calls get its answer without a login:
   * otherwise every tool call of every client would try the wrong password again, and 30
   * clients send thousands of logins a minute into a 50-an-hour throttle (or an account lock).
   */
  private refusal?: { error: ApiError; until: number; backoffMs: number };
  user?: UserInfo;
  readonly stats: SessionStats = { logins: 0, refreshes: 0 };

  constructor(private readonly deps: SessionDeps) {}

  /** A usable access token: the current one, or one renewed (shared with concurrent callers). */
  async token(signal?: AbortSignal): Promise<string> {
    if (this.access && this.access.expiresAt - this.deps.now() > this.margin(this.access)) return this.access.raw;
    return this.renew(signal);
  }

  /** The API rejected `token` with 401: drop it unless someone already replaced it, then renew. */
  async rejected(token: string, signal?: AbortSignal): Promise<string> {
    if (this.access?.raw === token) this.access = undefined;
    return this.token(signal);
  }

  get tokens(): { access?: Token; refresh?: Token } {
    return { access: this.access, refresh: this.refresh };
  }

  /** Renews now with the refresh token (login-check proves rotation works); shared like any renewal. */
  async refreshNow(signal?: AbortSignal): Promise<string> {
    this.access = undefined;
    return this.renew(signal);
  }

  /** New credentials (SIGHUP, a rotated secret): the next call may log in at once. */
  credentialsChanged() {
    this.refusal = undefined;
  }

  /** Forgets both tokens (after logout), so the next call logs in. */
  clear() {
    this.access = undefined;
    this.refresh = undefined;
  }

  private renew(signal?: AbortSignal): Promise<string> {
    if (!this.pending) {
      // The shared renewal is not tied to any one caller's signal: a caller that gives up must
      // not cancel the refresh the others are waiting on (its token would be blacklisted unseen).
      this.pending = this.doRenew().finally(() => {
        this.pending = undefined;
      });
    }
    return signal ? abortable(this.pending, signal) : this.pending;
  }

  /**
   * How early to renew: 30 s before exp, but never more than a tenth of the token's life, so a
   * deployment with 10-second tokens does not refresh before every single request.
   */
  private margin(t: Token) {
    return Math.min(this.deps.skewMs ?? 30_000, t.lifetimeMs / 10);
  }

  /** Set when the last renewal had to fall back to a login (its refresh was refused). */
  lastRefreshRefusal?: ApiError;

  private async doRenew(): Promise<string> {
    this.lastRefreshRefusal = undefined;
    if (this.refresh && this.refresh.expiresAt - this.deps.now() > this.margin(this.refresh)) {
      try {
        const body = (await this.deps.post(['auth', 'refresh'], { refresh: this.refresh.raw })) as Record<string, unknown>;
        this.stats.refreshes++;
        this.store(body);
        this.deps.debug('access token refreshed');
        return this.access!.raw;
      } catch (err) {
        // 401 (blacklisted, expired) or 400: the refresh token is spent; a new login is the way
        // back. Anything else (timeout, API down) is not the token's fault: report it as it is.
        if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 400)) throw err;
        this.deps.debug(`refresh refused (${err.message}); logging in again`);
        this.lastRefreshRefusal = err;
        this.refresh = undefined;
      }
    }
    return this.login();
  }

  private async login(): Promise<string> {
    const now = this.deps.now();
    const wait = this.loginBlockedUntil - now;
    if (wait > 0) throw throttled(Math.ceil(wait / 1000));
    if (this.refusal && this.refusal.until > now) throw this.refusedAgain(this.refusal, now);
    for (let attempt = 1; ; attempt++) {
      try {
        const body = (await this.deps.post(['auth', 'login'], { username: this.deps.username, password: this.deps.password() })) as Record<string, unknown>;
        this.stats.logins++;
        this.refusal = undefined;
        this.store(body);
        if (body.user && typeof body.user === 'object') this.user = body.user as UserInfo;
        this.deps.debug(`logged in as ${this.deps.username}`);
        this.deps.event?.({ kind: 'signed_in', username: this.deps.username, again: this.lastRefreshRefusal?.message });
        return this.access!.raw;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.status === 429) {
          const seconds = err.info.retryAfter ?? 60;
          const maxWait = this.deps.maxLoginWaitMs ?? 10_000;
          if (attempt === 1 && seconds * 1000 <= maxWait) {
            this.deps.debug(`login throttled; waiting ${seconds} s as the API asked`);
            await this.deps.sleep(seconds * 1000);
            continue;
          }
          this.loginBlockedUntil = this.deps.now() + seconds * 1000;
          this.deps.event?.({ kind: 'login_throttled', retryInSeconds: seconds });
          throw throttled(seconds);
        }
        if (err.status === 400 || err.status === 401 || err.status === 403) {
          const error = new ApiError(`login as "${this.deps.username}" failed: ${err.message} (check ${this.deps.credentialNames ?? 'API_USERNAME and API_PASSWORD'})`, {
            ...err.info,
            kind: 'auth',
          });
          const { first, max } = this.deps.refusedBackoffMs ?? { first: 30_000, max: 15 * 60_000 };
          const backoffMs = this.refusal ? Math.min(max, this.refusal.backoffMs * 2) : first;
          this.refusal = { error, until: this.deps.now() + backoffMs, backoffMs };
          this.deps.event?.({ kind: 'login_refused', message: error.message, retryInSeconds: Math.round(backoffMs / 1000) });
          this.deps.debug(`login refused; no new attempt for ${Math.round(backoffMs / 1000)} s`);
          throw error;
        }
        throw err;
      }
    }
  }

  private refusedAgain(r: { error: ApiError; until: number }, now: number) {
    const seconds = Math.ceil((r.until - now) / 1000);
    return new ApiError(`${r.error.message}; next login attempt in ${seconds} s, or at once after SIGHUP with new credentials`, { ...r.error.info, retryAfter: seconds });
  }

  private store(body: Record<string, unknown>) {
    const access = toToken(body.access);
    if (!access) {
      throw new ApiError('the API answered the login without an access token', { kind: 'auth', status: 200, method: 'POST', path: 'auth/' });
    }
    this.access = access;
    const refresh = toToken(body.refresh);
    if (refresh) this.refresh = refresh;
  }
}

const throttled = (seconds: number) =>
  new ApiError(`login is throttled by the API (upstream allows 50 logins an hour per address); retry in ${seconds} s`, {
    kind: 'throttled',
    status: 429,
    method: 'POST',
    path: 'auth/login/',
    retryAfter: seconds,
  });

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new ApiError('the call was cancelled', { kind: 'aborted', status: 0, method: 'POST', path: 'auth/' }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ApiError('the call was cancelled', { kind: 'aborted', status: 0, method: 'POST', path: 'auth/' }));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
