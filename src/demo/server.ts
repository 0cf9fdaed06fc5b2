import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { RESOURCES, type ResourceDef, type ResourceName } from '../catalog/resources.js';
import { JwtSigner } from './jwt.js';
import { badRequestSyntaxPage, browsablePage, debugErrorPage, notFoundPage } from './pages.js';
import { Store, type Row } from './store.js';
import { Throttle, type Rate } from '../limits/throttle.js';

export const API_PREFIX = '/classic-models/api/';

export interface DemoUser {
  id: number;
  username: string;
  password: string;
  email: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  date_joined: string;
}

export const DEMO_USERS: DemoUser[] = [
  { id: 1, username: 'demo', password: 'demo123', email: 'demo@classicmodels.com', first_name: 'Demo', last_name: 'User', is_active: true, date_joined: '2026-11-26T19:11:00.171287Z' },
  { id: 2, username: 'analyst', password: 'analyst123', email: 'analyst@classicmodels.com', first_name: 'Ana', last_name: 'Lyst', is_active: true, date_joined: '2026-11-26T19:12:00.000000Z' },
];

export type ThrottleScope = 'login' | 'register' | 'refresh' | 'me' | 'read' | 'write' | 'ratelimitdemo';

/** The API's throttle rates (login per IP, the rest per user). */
export const DEFAULT_THROTTLES: Record<ThrottleScope, Rate> = {
  login: { requests: 50, periodSeconds: 3600 },
  register: { requests: 50, periodSeconds: 3600 },
  refresh: { requests: 100, periodSeconds: 60 },
  me: { requests: 600, periodSeconds: 60 },
  read: { requests: 1000, periodSeconds: 60 },
  write: { requests: 200, periodSeconds: 60 },
  ratelimitdemo: { requests: 5, periodSeconds: 60 },
};

export interface ReplicaOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  accessLifetimeSeconds?: number;
  refreshLifetimeSeconds?: number;
  /** When set, `X-API-Key: <apiKey>` authenticates as the system user. */
  apiKey?: string;
  users?: DemoUser[];
  /** Overrides of the throttle rates; null switches a throttle off. */
  throttles?: Partial<Record<ThrottleScope, Rate | null>>;
}

/**
 * A forced failure for matching requests, for tests only (no CLI flag reaches these).
 * `path` matches the path below /classic-models/api/, e.g. /^v1\/customers\//.
 */
export interface Fault {
  method?: string;
  path?: RegExp;
  status?: number;
  body?: unknown;
  /** Wait this long before answering (or failing). */
  delayMs?: number;
  /** Destroy the connection instead of answering. */
  drop?: boolean;
  /** How many requests it applies to; unlimited when absent. */
  times?: number;
}

export interface ReplicaStats {
  /** Requests by "METHOD route", e.g. "POST auth/login/" or "GET v1/customers/{key}/". */
  routes: Record<string, number>;
  logins: number;
  refreshes: number;
  total: number;
  /** Requests whose client went away before the answer was sent (a cancelled call, a timeout). */
  aborted: number;
}

type Identity = { kind: 'user'; user: DemoUser } | { kind: 'key' };

interface Reply {
  status: number;
  body?: unknown;
  html?: string;
  headers?: Record<string, string>;
  /** The DRF view that answered: its browsable HTML page is titled with this name. */
  view?: string;
  /** A format suffix (offices/1.json) that overrides ?format= and Accept. */
  format?: Format;
}

/** How the client asked for the answer: DRF's renderers are JSON and the browsable HTML page. */
type Format = 'json' | 'api' | 'unknown';

const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, headers });
const NOT_FOUND = () => json(404, { detail: 'Not found.' });
const notAllowed = (method: string) => json(405, { detail: `Method "${method}" not allowed.` });

const ALLOW = {
  login: 'POST, OPTIONS',
  signup: 'OPTIONS, POST',
  refresh: 'POST, OPTIONS',
  me: 'OPTIONS, GET',
  logout: 'OPTIONS, POST',
  ratelimitdemo: 'OPTIONS, GET',
  list: 'GET, POST, HEAD, OPTIONS',
  item: 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS',
  lineItem: 'PUT, PATCH, DELETE, OPTIONS',
  related: 'GET, HEAD, OPTIONS',
};

/** Resources whose URLs Django defines with an explicit slash (the rest go through a router that accepts both). */
const SLASH_STRICT = new Set(['auth', 'payments', 'orderdetails']);

/**
 * The Classic Models API, replicated from its observed contract (../shared/api-contract.md) for
 * demos, tests and benchmarks: same routes, bodies, status codes, headers, JWT rotation with a
 * blacklist, throttles and HTML failure pages.
 */
export class Replica {
  readonly store = new Store();
  readonly stats: ReplicaStats = { routes: {}, logins: 0, refreshes: 0, total: 0, aborted: 0 };
  private server?: http.Server;
  private readonly signer = new JwtSigner();
  private readonly blacklist = new Set<string>();
  private readonly throttles: Record<ThrottleScope, Throttle | undefined>;
  private faults: Fault[] = [];
  private readonly users: DemoUser[];
  accessLifetimeSeconds: number;
  refreshLifetimeSeconds: number;
  apiKey?: string;
  private boundPort = 0;

  constructor(private readonly options: ReplicaOptions = {}) {
    // A copy: signup adds to it, and the next replica starts from the same users again.
    this.users = [...(options.users ?? DEMO_USERS)];
    this.accessLifetimeSeconds = options.accessLifetimeSeconds ?? 3600;
    this.refreshLifetimeSeconds = options.refreshLifetimeSeconds ?? 7 * 86400;
    this.apiKey = options.apiKey;
    this.throttles = {} as Record<ThrottleScope, Throttle | undefined>;
    for (const scope of Object.keys(DEFAULT_THROTTLES) as ThrottleScope[]) this.setThrottle(scope, options.throttles?.[scope] === undefined ? DEFAULT_THROTTLES[scope] : options.throttles[scope]!);
  }

  get port() {
    return this.boundPort;
  }

  /** The base URL to configure a client with (CLASSIC_MODELS_API_URL). */
  get url() {
    const host = this.options.host ?? '127.0.0.1';
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.boundPort}`;
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // A restart reuses the port it had, so clients configured with the URL find it again.
      server.listen(this.boundPort || this.options.port || 0, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and drops open connections; the data is kept for a later start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  setThrottle(scope: ThrottleScope, rate: Rate | null) {
    this.throttles[scope] = rate ? new Throttle(rate) : undefined;
  }

  inject(fault: Fault): () => void {
    this.faults.push(fault);
    return () => {
      this.faults = this.faults.filter((f) => f !== fault);
    };
  }

  clearFaults() {
    this.faults = [];
  }

  routeCount(key: string) {
    return this.stats.routes[key] ?? 0;
  }

  /** Open client connections, to show that nobody leaks sockets. */
  connections(): Promise<number> {
    const server = this.server;
    if (!server) return Promise.resolve(0);
    return new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    res.on('close', () => {
      if (!res.writableEnded) this.stats.aborted++;
    });
    const url = new URL(req.url ?? '/', 'http://replica');
    const method = (req.method ?? 'GET').toUpperCase();
    let body: string;
    let firstChunk: number;
    try {
      ({ text: body, firstChunk } = await readBody(req));
    } catch {
      res.destroy();
      return;
    }
    // runserver cannot read a chunked body: the view sees an empty one, and the chunk framing is
    // then read as the next request ("28" is no request line): an HTTP/0.9-style 400 page, and
    // the connection closed. A client that sends chunked bodies must fail here as it does there.
    if (/\bchunked\b/i.test(String(req.headers['transfer-encoding'] ?? ''))) {
      body = '';
      res.once('finish', () => req.socket.end(badRequestSyntaxPage(firstChunk.toString(16))));
    }
    this.stats.total++;
    const rel = url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : undefined;
    const routeKey = `${method} ${rel === undefined ? url.pathname : routeName(rel)}`;
    this.stats.routes[routeKey] = (this.stats.routes[routeKey] ?? 0) + 1;

    const sleep = Number(req.headers['sleep']);
    if (sleep > 0) await delay(Math.min(30, sleep) * 1000);

    const fault = rel === undefined ? undefined : this.takeFault(method, rel);
    if (fault) {
      if (fault.delayMs) await delay(fault.delayMs);
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.status) {
        const reply: Reply = typeof fault.body === 'string' ? { status: fault.status, html: fault.body } : json(fault.status, fault.body ?? { detail: 'Injected failure.' });
        return send(res, method, reply);
      }
    }

    let reply: Reply;
    try {
      reply = rel === undefined ? { status: 404, html: notFoundPage(url.pathname) } : this.route(method, rel, url, req, body);
    } catch (err) {
      reply = { status: 500, html: debugErrorPage((err as Error).name || 'Exception', url.pathname, (err as Error).message) };
    }
    send(res, method, render(reply, reply.format ?? negotiate(req, url), method, url));
  }

  private takeFault(method: string, rel: string): Fault | undefined {
    const f = this.faults.find((x) => (!x.method || x.method === method) && (!x.path || x.path.test(rel)));
    if (f && f.times !== undefined && --f.times <= 0) this.faults = this.faults.filter((x) => x !== f);
    return f;
  }

  private route(method: string, rel: string, url: URL, req: http.IncomingMessage, rawBody: string): Reply {
    const hasSlash = rel.endsWith('/');
    const segs = rel.split('/').filter((s, i, a) => s !== '' || i < a.length - 1).map(decodeURIComponent);
    if (segs.length === 0) return { status: 404, html: notFoundPage(url.pathname) };
    const group = segs[0] === 'v1' ? segs[1] : segs[0];

    if (!hasSlash && SLASH_STRICT.has(group ?? '') && this.resolves(segs)) {
      // Django's APPEND_SLASH: a redirect for methods without a body, a debug 500 for the rest.
      if (method === 'GET' || method === 'HEAD' || method === 'DELETE' || method === 'OPTIONS') {
        return { status: 301, html: '', headers: { Location: `${url.pathname}/${url.search}` } };
      }
      return {
        status: 500,
        html: debugErrorPage(
          'RuntimeError',
          url.pathname,
          `You called this URL via ${method}, but the URL doesn’t end in a slash and you have APPEND_SLASH set. Django can’t redirect to the slash URL while maintaining ${method} data. Change your form to point to ${url.host}${url.pathname}/ (note the trailing slash), or set APPEND_SLASH=False in your Django settings.`,
        ),
      };
    }
    if (!hasSlash && SLASH_STRICT.has(group ?? '')) return { status: 404, html: notFoundPage(url.pathname) };

    if (segs[0] === 'auth' && segs.length === 2) return this.auth(segs[1], method, req, rawBody, url);
    if (segs[0] === 'schema' && segs.length === 1) return json(200, schemaDocument());
    if (segs[0] === 'v1') {
      const reply = this.v1(segs.slice(1), method, req, rawBody, url, negotiate(req, url));
      if (reply) return reply;
    }
    return { status: 404, html: notFoundPage(url.pathname) };
  }

  /**
   * v1/ is a DRF DefaultRouter for the six single-key resources (an API root, and format
   * suffixes such as offices/1.json) plus plain Django paths for payments and orderdetails,
   * whose <int:...> converters make a non-numeric number an unknown route (an HTML 404).
   */
  private v1(rest: string[], method: string, req: http.IncomingMessage, rawBody: string, url: URL, negotiated: Format): Reply | undefined {
    const last = rest.length ? rest[rest.length - 1] : '';
    const suffix = /^(.*)\.([a-z0-9]+)$/.exec(last);
    const def = RESOURCES.find((r) => r.name === (rest.length === 1 && suffix ? suffix[1] : rest[0]));
    let format: Format | undefined;
    if (suffix && (!def || def.key.length === 1)) {
      format = suffix[2] === 'json' || suffix[2] === 'api' ? suffix[2] : 'unknown';
      rest = [...rest.slice(0, -1), ...(suffix[1] ? [suffix[1]] : [])];
    }
    const reply = rest.length === 0 ? this.apiRoot(method, req, url, suffix ? `.${suffix[2]}` : '') : def ? this.resource(def, rest.slice(1), method, req, rawBody, format ?? negotiated) : undefined;
    return reply && format ? { ...reply, format } : reply;
  }

  private apiRoot(method: string, req: http.IncomingMessage, url: URL, suffix: string): Reply {
    const withAllow = (r: Reply): Reply => ({ ...r, view: 'Api Root', headers: { Allow: 'GET, HEAD, OPTIONS', ...r.headers } });
    if (method === 'OPTIONS') return withAllow(json(200, { name: 'Api Root', description: 'The default basic root view for DefaultRouter', renders: ['application/json', 'text/html'], parses: PARSES }));
    const who = this.authenticate(req);
    if ('reply' in who) return withAllow(who.reply);
    if (method !== 'GET' && method !== 'HEAD') return withAllow(notAllowed(method));
    const origin = `http://${req.headers.host ?? url.host}`;
    return withAllow(json(200, Object.fromEntries(RESOURCES.filter((r) => r.key.length === 1).map((r) => [r.name, `${origin}${API_PREFIX}v1/${r.name}${suffix}`]))));
  }

  /** Whether the slashed form of these segments is a route (Django redirects only then). */
  private resolves(segs: string[]): boolean {
    if (segs[0] === 'auth') return segs.length === 2 && ['login', 'signup', 'refresh', 'me', 'logout', 'rate-limit-demo'].includes(segs[1]);
    if (segs[1] === 'payments') return segs.length === 2 || segs.length === 4;
    if (segs[1] === 'orderdetails') return segs.length >= 2 && segs.length <= 4;
    return false;
  }

  // ---------------------------------------------------------------- auth

  private auth(action: string, method: string, req: http.IncomingMessage, rawBody: string, url: URL): Reply {
    // DRF's client identity with no NUM_PROXIES: the whole X-Forwarded-For (spaces removed) when
    // sent, else the socket's address (shared/api-contract.md, Throttles).
    const forwarded = req.headers['x-forwarded-for'];
    const ip = typeof forwarded === 'string' && forwarded ? forwarded.replace(/\s+/g, '') : (req.socket.remoteAddress ?? 'unknown');
    const allow = ALLOW[action === 'rate-limit-demo' ? 'ratelimitdemo' : (action as keyof typeof ALLOW)];
    if (!allow) return { status: 404, html: notFoundPage(url.pathname) };
    const view = AUTH_VIEWS[action];
    const withAllow = (r: Reply): Reply => ({ ...r, view, headers: { Allow: allow, ...r.headers } });

    // DRF authenticates, checks permissions and throttles before it looks at the method.
    let who: { identity: Identity } | undefined;
    if (action === 'me' || action === 'logout') {
      const checked = this.authenticate(req);
      if ('reply' in checked) return withAllow(checked.reply);
      who = checked;
    }
    const scope = ({ login: 'login', signup: 'register', refresh: 'refresh', me: 'me', 'rate-limit-demo': 'ratelimitdemo' } as const)[action as 'login'];
    const t = scope && this.throttle(scope, who ? identityKey(who.identity) : `ip:${ip}`);
    if (t) return withAllow(t);
    if (method === 'OPTIONS') return withAllow(json(200, { name: view, description: '', renders: ['application/json', 'text/html'], parses: PARSES }));
    const allowed = allow.split(', ').filter((m) => m !== 'OPTIONS');
    if (!allowed.includes(method)) return withAllow(notAllowed(method));

    switch (action) {
      case 'login': {
        const parsed = parseBody(req, rawBody);
        if ('reply' in parsed) return withAllow(parsed.reply);
        const b = parsed.value as Record<string, unknown>;
        const errors: Record<string, string[]> = {};
        for (const f of ['username', 'password']) {
          if (b[f] === undefined) errors[f] = ['This field is required.'];
          else if (b[f] === null) errors[f] = ['This field may not be null.'];
          else if (String(b[f]).trim() === '' && f === 'username') errors[f] = ['This field may not be blank.'];
          else if (String(b[f]) === '') errors[f] = ['This field may not be blank.'];
        }
        if (Object.keys(errors).length) return withAllow(json(400, errors));
        // Django's ModelBackend refuses inactive users before the API's own "disabled" check can
        // run, so a disabled account is answered exactly like a wrong password.
        const user = this.users.find((u) => u.username === String(b.username).trim() && u.password === String(b.password) && u.is_active);
        if (!user) return withAllow(json(400, { non_field_errors: ['Invalid credentials'] }));
        this.stats.logins++;
        const access = this.signer.sign('access', user.id, this.accessLifetimeSeconds).token;
        const refresh = this.signer.sign('refresh', user.id, this.refreshLifetimeSeconds).token;
        return withAllow(json(200, { access, refresh, user: publicUser(user) }));
      }
      case 'signup': {
        const parsed = parseBody(req, rawBody);
        if ('reply' in parsed) return withAllow(parsed.reply);
        return withAllow(this.signup(parsed.value as Record<string, unknown>));
      }
      case 'refresh': {
        const parsed = parseBody(req, rawBody);
        if ('reply' in parsed) return withAllow(parsed.reply);
        const token = (parsed.value as Record<string, unknown>).refresh;
        if (token === undefined) return withAllow(json(400, { refresh: ['This field is required.'] }));
        const bad = (detail: string) => withAllow(json(401, { detail, code: 'token_not_valid' }, { 'WWW-Authenticate': 'Bearer realm="api"' }));
        const claims = typeof token === 'string' ? this.signer.verify(token) : undefined;
        if (!claims) return bad('Token is invalid or expired');
        if (claims.token_type !== 'refresh') return bad('Token has wrong type');
        if (this.blacklist.has(claims.jti)) return bad('Token is blacklisted');
        // ROTATE_REFRESH_TOKENS + BLACKLIST_AFTER_ROTATION: each refresh token works once.
        this.blacklist.add(claims.jti);
        this.stats.refreshes++;
        return withAllow(
          json(200, {
            access: this.signer.sign('access', claims.user_id, this.accessLifetimeSeconds).token,
            refresh: this.signer.sign('refresh', claims.user_id, this.refreshLifetimeSeconds).token,
          }),
        );
      }
      case 'me': {
        if (who!.identity.kind === 'key') return withAllow(json(200, { id: null, username: 'system_api_key', is_active: false }));
        return withAllow(json(200, publicUser(who!.identity.user)));
      }
      case 'logout': {
        const parsed = parseBody(req, rawBody);
        if ('reply' in parsed) return withAllow(parsed.reply);
        const token = (parsed.value as Record<string, unknown>).refresh;
        if (!token) return withAllow(json(400, { error: 'Refresh token is required' }));
        const claims = typeof token === 'string' ? this.signer.verify(token) : undefined;
        if (!claims || claims.token_type !== 'refresh' || this.blacklist.has(claims.jti)) return withAllow(json(400, { error: 'Invalid token' }));
        this.blacklist.add(claims.jti);
        return withAllow(json(200, { message: 'Successfully logged out' }));
      }
      default: {
        const throttle = this.throttles.ratelimitdemo;
        const now = Date.now();
        const headers: Record<string, string> = throttle
          ? {
              'X-RateLimit-Limit': String(throttle.rate.requests),
              'X-RateLimit-Remaining': String(throttle.remaining(`ip:${ip}`, now)),
              'X-RateLimit-Reset': String(Math.floor(now / 1000) + throttle.rate.periodSeconds),
            }
          : {};
        const timestamp = new Date(now).toISOString().replace('Z', '000+00:00');
        return withAllow(json(200, { message: 'Rate limit demo endpoint', rate_limit: '5 requests per minute per IP address', timestamp }, headers));
      }
    }
  }

  /** RegisterSerializer as observed: every missing field at once, then the password checks. */
  private signup(b: Record<string, unknown>): Reply {
    const errors: Record<string, string[]> = {};
    for (const f of ['username', 'email', 'first_name', 'last_name', 'password', 'password_confirm']) {
      if (b[f] === undefined) errors[f] = ['This field is required.'];
      else if (b[f] === null) errors[f] = ['This field may not be null.'];
      else if (String(b[f]).trim() === '') errors[f] = ['This field may not be blank.'];
    }
    if (!errors.username && this.users.some((u) => u.username === String(b.username))) errors.username = ['A user with that username already exists.'];
    if (!errors.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(String(b.email))) errors.email = ['Enter a valid email address.'];
    if (!errors.password && String(b.password).length < 8) errors.password = ['Ensure this field has at least 8 characters.'];
    if (Object.keys(errors).length) return json(400, errors);
    if (b.password !== b.password_confirm) return json(400, { password_confirm: ["Passwords don't match"] });
    const user: DemoUser = {
      id: Math.max(0, ...this.users.map((u) => u.id)) + 1,
      username: String(b.username),
      password: String(b.password),
      email: String(b.email),
      first_name: String(b.first_name),
      last_name: String(b.last_name),
      is_active: true,
      date_joined: new Date().toISOString().replace('Z', '000Z'),
    };
    this.users.push(user);
    return json(201, { message: 'User created successfully', user: publicUser(user) });
  }

  /**
   * DRF's authentication as the API configures it: an X-API-Key header wins over any Bearer
   * token (and a wrong key fails even beside a good token); then simplejwt's Bearer access token.
   */
  private authenticate(req: http.IncomingMessage): { identity: Identity } | { reply: Reply } {
    const unauthorized = (body: unknown): { reply: Reply } => ({ reply: json(401, body, { 'WWW-Authenticate': 'X-API-Key' }) });
    const key = req.headers['x-api-key'];
    // An empty header counts as none (the API checks `if not api_key`).
    if (typeof key === 'string' && key !== '') {
      if (!this.apiKey) return unauthorized({ detail: 'API key authentication is not configured on this server' });
      if (safeEqual(key, this.apiKey)) return { identity: { kind: 'key' } };
      return unauthorized({ detail: 'Invalid API key' });
    }
    const header = req.headers.authorization;
    const parts = typeof header === 'string' ? header.trim().split(/\s+/) : [];
    if (parts[0] !== 'Bearer') return unauthorized({ detail: 'Authentication credentials were not provided.' });
    if (parts.length !== 2) return unauthorized({ detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' });
    const invalid = (message: string) =>
      unauthorized({ detail: 'Given token not valid for any token type', code: 'token_not_valid', messages: [{ token_class: 'AccessToken', token_type: 'access', message }] });
    const claims = this.signer.verify(parts[1]);
    if (!claims) return invalid('Token is invalid or expired');
    if (claims.token_type !== 'access') return invalid('Token has wrong type');
    const user = this.users.find((u) => u.id === claims.user_id);
    if (!user) return unauthorized({ detail: 'User not found', code: 'user_not_found' });
    if (!user.is_active) return unauthorized({ detail: 'User is inactive', code: 'user_inactive' });
    return { identity: { kind: 'user', user } };
  }

  private throttle(scope: ThrottleScope, identity: string): Reply | undefined {
    return this.throttleAll([scope], identity);
  }

  /** DRF asks every throttle of a view (each records the request) and waits for the longest. */
  private throttleAll(scopes: ThrottleScope[], identity: string): Reply | undefined {
    const now = Date.now();
    const waits = scopes.map((s) => this.throttles[s]?.hit(identity, now)).filter((w): w is number => w !== undefined);
    if (!waits.length) return undefined;
    const wait = Math.max(...waits);
    return json(429, { detail: `Request was throttled. Expected available in ${wait} seconds.` }, { 'Retry-After': String(wait) });
  }

  // ---------------------------------------------------------------- resources

  private resource(def: ResourceDef, rest: string[], method: string, req: http.IncomingMessage, rawBody: string, format: Format): Reply | undefined {
    const kind = this.classify(def, rest);
    if (!kind) return undefined;
    const allow = ALLOW[kind.allow];
    const view = viewName(def, kind);
    // An exception that escapes the view (IntegrityError) is Django's page, without DRF's headers.
    const withAllow = (r: Reply): Reply => (r.html !== undefined ? r : { ...r, view, headers: { Allow: allow, ...r.headers } });
    // DRF's order: content negotiation, authentication, permissions, throttles, then the method.
    if (format === 'unknown') return withAllow(json(404, { detail: 'Not found.' }));
    const who = this.authenticate(req);
    if ('reply' in who) return withAllow(who.reply);
    const reading = method === 'GET' || method === 'HEAD';
    // The API's ReadThrottle skips the write actions and its WriteThrottle skips list and
    // retrieve, so relationship GETs (customers/103/orders/), OPTIONS and unmapped methods
    // count against both: 200 a minute, not 1000, for those reads.
    const mapped = allow.split(', ').includes(method) && method !== 'OPTIONS';
    const scopes: ThrottleScope[] = !mapped || kind.type === 'related' ? ['read', 'write'] : [reading ? 'read' : 'write'];
    const t = this.throttleAll(scopes, identityKey(who.identity));
    if (t) return withAllow(t);
    if (method === 'OPTIONS') return withAllow(json(200, { name: view, description: '', renders: ['application/json', 'text/html'], parses: PARSES }));
    if (!mapped) return withAllow(notAllowed(method));

    let body: unknown = {};
    if (!reading && method !== 'DELETE') {
      const parsed = parseBody(req, rawBody);
      if ('reply' in parsed) return withAllow(parsed.reply);
      body = parsed.value;
    }
    return withAllow(this.resourceAction(def, kind, method, body));
  }

  private classify(def: ResourceDef, rest: string[]): { type: 'list' | 'item' | 'orderLines' | 'related'; key?: string[]; segment?: string; allow: keyof typeof ALLOW } | undefined {
    if (rest.length === 0) return { type: 'list', allow: 'list' };
    // Django's <int:...> converter: the order or customer number must be digits to match at all.
    if (def.key.length > 1 && !/^[0-9]+$/.test(rest[0])) return undefined;
    if (def.name === 'orderdetails') {
      if (rest.length === 1) return { type: 'orderLines', key: rest, allow: 'related' };
      if (rest.length === 2) return { type: 'item', key: rest, allow: 'lineItem' };
      return undefined;
    }
    if (rest.length === def.key.length) return { type: 'item', key: rest, allow: 'item' };
    if (def.key.length === 1 && rest.length === 2 && RESOURCES.some((c) => c.relations.some((r) => r.parent === def.name && r.segment === rest[1]))) {
      return { type: 'related', key: [rest[0]], segment: rest[1], allow: 'related' };
    }
    return undefined;
  }

  private resourceAction(def: ResourceDef, kind: NonNullable<ReturnType<Replica['classify']>>, method: string, body: unknown): Reply {
    const name = def.name as ResourceName;
    switch (kind.type) {
      case 'list': {
        if (method === 'GET' || method === 'HEAD') return json(200, this.store.list(name));
        const v = this.store.validate(name, body, { partial: false });
        if ('errors' in v) return json(400, v.errors);
        return json(201, this.store.insert(name, v.data));
      }
      case 'orderLines': {
        const lines = this.store.where('orderdetails', 'ordernumber', Number(kind.key![0]));
        if (!lines.length) return json(404, { detail: 'No order details found for this order number.' });
        return json(200, lines);
      }
      case 'related': {
        const parent = this.store.get(name, kind.key!);
        if (!parent) return NOT_FOUND();
        const child = RESOURCES.find((c) => c.relations.some((r) => r.parent === name && r.segment === kind.segment))!;
        const rel = child.relations.find((r) => r.parent === name && r.segment === kind.segment)!;
        return json(200, this.store.where(child.name, rel.field, parent[def.key[0]]));
      }
      case 'item': {
        const row = this.store.get(name, kind.key!);
        if (!row) return NOT_FOUND();
        if (method === 'GET' || method === 'HEAD') return json(200, row);
        if (method === 'DELETE') return this.remove(def, row);
        const v = this.store.validate(name, body, { partial: method === 'PATCH', existing: row });
        if ('errors' in v) return json(400, v.errors);
        return json(200, this.store.update(name, row, v.data));
      }
    }
  }

  private remove(def: ResourceDef, row: Row): Reply {
    const ref = this.store.referencedBy(def.name, row);
    if (ref) {
      // MySQL refuses (error 1451) and Django, in debug mode, answers with its HTML page.
      const table = ref.child;
      const value = `(1451, 'Cannot delete or update a parent row: a foreign key constraint fails (\`classicmodels\`.\`${table}\`, CONSTRAINT \`${table}_ibfk_1\` FOREIGN KEY (\`${ref.column}\`) REFERENCES \`${def.name}\` (\`${def.key[0]}\`))')`;
      return { status: 500, html: debugErrorPage('IntegrityError', `${API_PREFIX}v1/${def.name}/${def.key.map((k) => encodeURIComponent(String(row[k]))).join('/')}/`, value) };
    }
    this.store.delete(def.name, row);
    return { status: 204 };
  }
}

/** Starts a replica; the one entry point for tests, benchmarks, --demo and demo-api. */
export async function startReplica(options: ReplicaOptions = {}): Promise<Replica> {
  return new Replica(options).start();
}

function send(res: http.ServerResponse, method: string, reply: Reply) {
  // DRF's answers vary by Accept; Django's own pages (404, 500, redirects) say nothing of it.
  // runserver names itself, and the client opens a connection per request to it (see ApiClient).
  const headers: Record<string, string> = { Server: 'WSGIServer/0.2 CPython/3.11.2', ...(reply.html === undefined ? { Vary: 'Accept' } : {}), ...reply.headers };
  let payload = '';
  if (reply.html !== undefined) {
    payload = reply.html;
    // Django's debug 404/500 pages say text/html; redirects and DRF's pages add the charset.
    headers['Content-Type'] ??= reply.view === undefined && (reply.status === 404 || reply.status === 500) ? 'text/html' : 'text/html; charset=utf-8';
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json';
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(method === 'HEAD' ? undefined : payload);
}

const PARSES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/** DRF's three parsers, as the API configures them: JSON, HTML forms and multipart forms. */
function parseBody(req: http.IncomingMessage, raw: string): { value: unknown } | { reply: Reply } {
  const header = String(req.headers['content-type'] ?? '');
  const type = header.split(';')[0].trim().toLowerCase();
  if (raw === '' && type === '') return { value: {} };
  if (type === 'application/x-www-form-urlencoded') return { value: Object.fromEntries(new URLSearchParams(raw)) };
  if (type === 'multipart/form-data') {
    const boundary = /boundary="?([^";]+)"?/i.exec(header)?.[1];
    if (!boundary) return { reply: json(400, { detail: 'Multipart form parse error - Invalid boundary in multipart: None' }) };
    return { value: parseMultipart(raw, boundary) };
  }
  if (type !== 'application/json') return { reply: json(415, { detail: `Unsupported media type "${type}" in request.` }) };
  if (raw.trim() === '') return { value: {} };
  try {
    return { value: JSON.parse(raw) };
  } catch (err) {
    return { reply: json(400, { detail: `JSON parse error - ${(err as Error).message}` }) };
  }
}

const MAX_BODY = 2_621_440; // Django's DATA_UPLOAD_MAX_MEMORY_SIZE

function parseMultipart(raw: string, boundary: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of raw.split(`--${boundary}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const name = /name="([^"]*)"/i.exec(part.slice(0, split))?.[1];
    if (name !== undefined) out[name] = part.slice(split + 4).replace(/\r\n$/, '');
  }
  return out;
}

/** The body, and the size of its first piece (a chunked body's first chunk-size line). */
function readBody(req: http.IncomingMessage): Promise<{ text: string; firstChunk: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), firstChunk: chunks[0]?.length ?? 0 }));
    req.on('error', reject);
  });
}

/** The format asked for by ?format=, else by DRF's negotiation of the Accept header. */
function negotiate(req: http.IncomingMessage, url: URL): Format {
  const asked = url.searchParams.get('format');
  if (asked !== null) return asked === 'json' || asked === 'api' ? asked : 'unknown';
  // DRF ranks the Accept entries by specificity (not q) and, within a rank, tries its renderers
  // in order, JSON first: a browser's Accept gets HTML, "text/html, application/json" gets JSON.
  const ranks: string[][] = [[], [], [], []];
  for (const entry of String(req.headers.accept ?? '*/*').split(',')) {
    const [type, ...params] = entry.trim().toLowerCase().split(';');
    const rank = type === '*/*' ? 0 : type.endsWith('/*') ? 1 : params.some((p) => !p.trim().startsWith('q=')) ? 3 : 2;
    ranks[rank].push(type);
  }
  const matches = (type: string, renderer: string) => type === '*/*' || type === renderer || (type.endsWith('/*') && renderer.startsWith(type.slice(0, -1)));
  for (const rank of ranks.reverse()) {
    if (rank.some((t) => matches(t, 'application/json'))) return 'json';
    if (rank.some((t) => matches(t, 'text/html'))) return 'api';
  }
  return 'json';
}

/** A DRF view's answer in the format asked for: JSON, its browsable HTML page, or a 404. */
function render(reply: Reply, format: Format, method: string, url: URL): Reply {
  if (reply.view === undefined || reply.html !== undefined || format === 'json') return reply;
  if (format === 'unknown') return json(404, { detail: 'Not found.' }, reply.headers);
  return {
    status: reply.status,
    headers: { ...reply.headers, Vary: 'Accept, Cookie' },
    view: reply.view,
    html: browsablePage(reply.view, method, url.pathname + url.search, reply.status, reply.headers ?? {}, reply.body),
  };
}

/** DRF names its views after the viewset (Product Line List, Payment) or the action (Order details). */
function viewName(def: ResourceDef, kind: { type: string; segment?: string }): string {
  if (def.key.length > 1) return def.singular[0].toUpperCase() + def.singular.slice(1);
  if (kind.type === 'related') return kind.segment![0].toUpperCase() + kind.segment!.slice(1).replace(/-/g, ' ');
  const model = def.label.replace(/\b\w/g, (c) => c.toUpperCase());
  return `${model} ${kind.type === 'list' ? 'List' : 'Instance'}`;
}

const AUTH_VIEWS: Record<string, string> = {
  login: 'Custom Token Obtain Pair',
  signup: 'Signup View',
  refresh: 'Custom Token Refresh',
  me: 'Current User View',
  logout: 'Logout View',
  'rate-limit-demo': 'Rate Limit Demo View',
};

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

const publicUser = ({ password: _password, ...user }: DemoUser) => user;

const identityKey = (id: Identity) => (id.kind === 'key' ? 'apikey' : `user:${id.user.id}`);

function safeEqual(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** "v1/customers/103/orders/" → "v1/customers/{key}/orders/": counts group by route, not by record. */
function routeName(rel: string): string {
  const segs = rel.split('/');
  if (segs[0] !== 'v1') return rel;
  return segs.map((s, i) => (i >= 2 && s !== '' && !RESOURCES.some((r) => r.relations.some((x) => x.segment === s)) ? '{key}' : s)).join('/');
}

function schemaDocument() {
  return {
    openapi: '3.0.3',
    info: { title: 'Classic Models API (replica)', version: '4.5.1' },
    paths: Object.fromEntries(RESOURCES.flatMap((r) => [[`/classic-models/api/v1/${r.name}/`, {}], [`/classic-models/api/v1/${r.name}/{${r.key.join('}/{')}}/`, {}]])),
  };
}
