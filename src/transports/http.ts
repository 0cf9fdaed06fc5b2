import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { AppContext } from '../context.js';
import type { Identities } from '../identity/identities.js';
import type { Identity } from '../identity/tokens.js';
import type { OAuthServer } from '../oauth/server.js';
import { checkHost, checkOrigin, isLoopback, type Refusal } from './http-guard.js';
import { Inflight } from './inflight.js';

export interface HttpOptions {
  host: string;
  port: number;
  /** Who may call, and as whom. */
  identities: Pick<Identities, 'resolve'>;
  /** With --oauth: the authorization server, its discovery documents and the sign-in page. */
  oauth?: OAuthServer;
  /**
   * A fresh MCP server for a session acting as `identity` (given the tool-call tracker, the
   * session id once known, and whether it may only read). The caller owns the tools, limits and
   * audit; this transport only carries messages.
   */
  createServer(identity: Identity, inflight: Inflight, sessionId: () => string | undefined, readOnly: boolean): Server;
  /** How many tools the servers offer, for /healthz. */
  toolCount: number;
  allowedHosts: string[];
  allowedOrigins: string[];
  maxSessions: number;
  idleTimeoutMs: number;
  stateless: boolean;
  maxBodyBytes?: number;
}

interface Session {
  kind: 'sse' | 'mcp';
  /** The identity that opened it: every later request must come with a token of the same one. */
  identity: Identity;
  /** Opened with a read-only grant: it offers only the tools that read. */
  readOnly: boolean;
  transport: SSEServerTransport | StreamableHTTPServerTransport;
  server: Server;
  lastSeen: number;
}

const ENDPOINTS = ['/sse', '/messages', '/mcp', '/healthz'];
const ALLOW: Record<string, string> = { '/sse': 'GET', '/messages': 'POST', '/mcp': 'GET, POST, DELETE', '/healthz': 'GET' };
const MB = 1024 * 1024;

/**
 * Remote MCP on one node:http server: the legacy HTTP+SSE transport (/sse + /messages) and
 * Streamable HTTP (/mcp), behind a bearer token, with health, limits and graceful shutdown.
 * Every session's MCP server shares the context's API client: one login for all clients.
 */
export class McpHttpServer {
  readonly inflight = new Inflight();
  /** POSTs to /mcp whose responses are still open: a call's result travels on them. */
  private readonly responses = new Inflight();
  private readonly sessions = new Map<string, Session>();
  private readonly http: http.Server;
  private sweeper?: NodeJS.Timeout;
  private closing = false;
  private health?: { at: number; value: Awaited<ReturnType<AppContext['api']['probe']>> };

  constructor(
    private readonly ctx: AppContext,
    private readonly o: HttpOptions,
  ) {
    this.http = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        ctx.logger.error(`HTTP ${req.method} ${req.url?.split('?')[0]} failed: ${(err as Error).message}`);
        if (!res.headersSent) json(res, 500, { error: 'internal', message: 'internal error' });
        else res.end();
      });
    });
  }

  get sessionCount() {
    return this.sessions.size;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.o.port, this.o.host, () => resolve());
    });
    const every = Math.max(1_000, Math.min(60_000, Math.floor(this.o.idleTimeoutMs / 2)));
    this.sweeper = setInterval(() => this.sweep(), every).unref();
    const { port } = this.http.address() as AddressInfo;
    const host = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host;
    return `http://${host}:${port}`;
  }

  /**
   * Stops accepting, lets tool calls under way finish (up to graceMs), then closes every
   * session and connection.
   */
  async shutdown(graceMs = 5_000): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    const deadline = Date.now() + graceMs;
    // Stateful: stop listening at once (sessions end here anyway). Stateless, behind a load
    // balancer: keep listening while the calls under way finish, answering anything new with a
    // 503 that a proxy retries elsewhere. Closing the listener first would reset the connections
    // waiting in its accept queue, requests a proxy has sent and may not retry.
    let closed = this.o.stateless ? undefined : new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.inflight.idle(graceMs);
    // A finished call's result is still being written: on its POST response (/mcp), or on the
    // session's event stream (/sse), which has no end of its own to wait for.
    await this.responses.idle(Math.max(0, deadline - Date.now()));
    closed ??= new Promise<void>((resolve) => this.http.close(() => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all([...this.sessions.keys()].map((id) => this.drop(id, 'shutdown')));
    this.http.closeAllConnections();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    // A shutdown waits for every POST from the moment it arrives (its body may still be on the
    // way), never cutting one a proxy has sent: it would see a reset and could not retry it.
    // Event streams (GET) have no end of their own and are not waited for.
    if (method === 'POST') void this.responses.track(new Promise((r) => res.on('close', r)));

    const guard = { boundToLoopback: isLoopback(this.o.host), allowedHosts: this.o.allowedHosts, allowedOrigins: this.o.allowedOrigins };
    const oauth = this.o.oauth;
    if (oauth?.handles(path)) {
      // Discovery, registration and tokens are public (any Origin may read them, as browser-based
      // clients do); the sign-in page checks its own POSTs strictly. A rebound Host never passes.
      const host = checkHost(req, guard);
      if (host) return refuse(res, host);
      if (this.closing) return json(res, 503, { error: 'shutting_down', message: 'The server is shutting down; retry.' }, { Connection: 'close', 'Retry-After': '1' });
      return oauth.handle(req, res, path, url);
    }
    const origin = checkOrigin(req, guard);
    if (origin) return refuse(res, origin);
    if (path.startsWith('/.well-known/')) {
      // Clients such as mcp-remote probe these first and must learn fast that there is nothing there.
      return json(res, 404, { error: 'not_found', message: oauth ? `No document ${path} here.` : 'This server uses a static bearer token, not OAuth.' });
    }
    if (!ENDPOINTS.includes(path)) return json(res, 404, { error: 'not_found', message: `No endpoint ${path}. Endpoints: ${ENDPOINTS.join(', ')}` });
    if (!ALLOW[path].split(', ').includes(method)) return json(res, 405, { error: 'method_not_allowed', message: `${method} is not allowed on ${path}` }, { Allow: ALLOW[path] });
    if (path === '/healthz') {
      // A stopping instance says so, and a load balancer's health check takes it out at once.
      if (this.closing) return json(res, 503, { status: 'stopping', version: this.ctx.version }, { Connection: 'close' });
      return this.healthz(res);
    }
    // Stopping: nothing new is processed, and a 503 says so, so a proxy may send the request to
    // another instance (even a POST: this one never touched it).
    if (this.closing) return json(res, 503, { error: 'shutting_down', message: 'The server is shutting down; nothing was done. Retry.' }, { Connection: 'close', 'Retry-After': '1' });

    const who = this.o.identities.resolve(req);
    if ('refused' in who) {
      const message = who.refused ?? (oauth ? 'Sign in: this server is an OAuth authorization server (see WWW-Authenticate), or send a bearer token.' : "Send Authorization: Bearer <token> (the server's SSE_BEARER_TOKEN).");
      const challenge = oauth ? oauth.challenge(req, path, who.refused) : 'Bearer realm="classic-models-mcp"';
      return refuse(res, { status: 401, body: { error: oauth && who.refused ? 'invalid_token' : 'unauthorized', message }, headers: { 'WWW-Authenticate': challenge } });
    }
    const { identity, readOnly } = who;

    let body: unknown;
    if (method === 'POST') {
      const read = await readJson(req, this.o.maxBodyBytes ?? MB);
      if ('refusal' in read) return refuse(res, read.refusal, true);
      body = read.body;
    }

    if (path === '/sse') return this.openSse(identity, readOnly, res);
    if (path === '/messages') return this.postSse(identity, readOnly, url, req, res, body);
    return this.o.stateless ? this.mcpStateless(identity, readOnly, req, res, body) : this.mcp(identity, readOnly, req, res, body);
  }

  private async healthz(res: http.ServerResponse) {
    // Cached briefly: health checks every second must not become an API load of their own.
    if (!this.health || Date.now() - this.health.at > 5_000) this.health = { at: Date.now(), value: await this.ctx.api.probe() };
    const api = this.health.value;
    json(res, 200, {
      status: 'ok',
      version: this.ctx.version,
      sessions: this.sessions.size,
      tools: this.o.toolCount,
      api: { url: this.ctx.config.apiUrl, reachable: api.reachable, status: api.status, latency_ms: api.ms, ...(api.error ? { error: api.error } : {}) },
    });
  }

  // ---------------------------------------------------------------- HTTP+SSE (legacy)

  private async openSse(identity: Identity, readOnly: boolean, res: http.ServerResponse) {
    if (this.sessions.size >= this.o.maxSessions) return this.full(res);
    const transport = new SSEServerTransport('/messages', res);
    const id = transport.sessionId;
    const server = this.newServer(identity, () => id, readOnly);
    this.sessions.set(id, { kind: 'sse', identity, readOnly, transport, server, lastSeen: Date.now() });
    // A dropped connection frees its session at once.
    res.on('close', () => void this.drop(id, 'stream closed'));
    transport.onclose = () => void this.drop(id, 'closed');
    await server.connect(transport);
    this.ctx.logger.debug(`SSE session ${id.slice(0, 8)} opened (${this.sessions.size} open)`);
  }

  private async postSse(identity: Identity, readOnly: boolean, url: URL, req: http.IncomingMessage, res: http.ServerResponse, body: unknown) {
    const id = url.searchParams.get('sessionId') ?? '';
    const s = this.sessions.get(id);
    if (!s || s.kind !== 'sse') return json(res, 404, { error: 'session_not_found', message: 'Unknown or closed SSE session; open /sse again.' });
    if (this.belongs(s, identity, readOnly, req, res)) return;
    await (s.transport as SSEServerTransport).handlePostMessage(req, res, body);
  }

  // ---------------------------------------------------------------- Streamable HTTP

  /**
   * Refuses (and answers) a request for a session that is not this bearer's: a session belongs to
   * its identity (for OAuth, the person, whatever token they refreshed to), and one opened with
   * write access takes only tokens that still grant it. True when it refused.
   */
  private belongs(s: Session, identity: Identity, readOnly: boolean, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (s.identity.id !== identity.id) {
      json(res, 403, { error: 'forbidden', message: 'This session belongs to another token.' });
      return true;
    }
    if (readOnly && !s.readOnly) {
      const challenge = this.o.oauth?.challenge(req, new URL(req.url ?? '/', 'http://local').pathname) ?? 'Bearer realm="classic-models-mcp"';
      json(res, 403, { error: 'insufficient_scope', message: 'This session was opened with write access; this token only reads. Open a new session.' }, { 'WWW-Authenticate': challenge.replace(/^Bearer /, 'Bearer error="insufficient_scope", ') });
      return true;
    }
    if (s.identity !== identity) s.identity.renew?.(identity);
    s.lastSeen = Date.now();
    return false;
  }

  private async mcp(identity: Identity, readOnly: boolean, req: http.IncomingMessage, res: http.ServerResponse, body: unknown) {
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const s = this.sessions.get(sid);
      // 404 tells a client its session is gone, so it initializes a new one (per the spec).
      if (!s || s.kind !== 'mcp') return json(res, 404, { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
      if (this.belongs(s, identity, readOnly, req, res)) return;
      return (s.transport as StreamableHTTPServerTransport).handleRequest(req, res, body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return json(res, 400, { jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: no Mcp-Session-Id header, and not an initialize request' }, id: null });
    }
    if (this.sessions.size >= this.o.maxSessions) return this.full(res);
    const server = this.newServer(identity, () => transport.sessionId, readOnly);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.sessions.set(id, { kind: 'mcp', identity, readOnly, transport, server, lastSeen: Date.now() });
        this.ctx.logger.debug(`MCP session ${id.slice(0, 8)} opened (${this.sessions.size} open)`);
      },
      onsessionclosed: (id) => void this.drop(id, 'deleted by client'),
    });
    transport.onclose = () => {
      if (transport.sessionId) void this.drop(transport.sessionId, 'closed');
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  /** --stateless: a fresh MCP server per request, so any instance behind a load balancer can answer. */
  private async mcpStateless(identity: Identity, readOnly: boolean, req: http.IncomingMessage, res: http.ServerResponse, body: unknown) {
    if (req.method !== 'POST') return json(res, 405, { error: 'method_not_allowed', message: 'This server is stateless: only POST /mcp.' }, { Allow: 'POST' });
    const server = this.newServer(identity, () => undefined, readOnly);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  // ---------------------------------------------------------------- sessions

  private newServer(identity: Identity, sessionId: () => string | undefined, readOnly: boolean) {
    return this.o.createServer(identity, this.inflight, sessionId, readOnly);
  }

  private full(res: http.ServerResponse) {
    json(res, 503, { error: 'too_many_sessions', message: `All ${this.o.maxSessions} sessions are in use; retry later.` }, { 'Retry-After': '5' });
  }

  private async drop(id: string, why: string) {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.ctx.logger.debug(`${s.kind === 'sse' ? 'SSE' : 'MCP'} session ${id.slice(0, 8)} ${why} (${this.sessions.size} open)`);
    try {
      await s.transport.close();
      await s.server.close();
    } catch (err) {
      this.ctx.logger.debug(`closing session ${id.slice(0, 8)}: ${(err as Error).message}`);
    }
  }

  private sweep() {
    const limit = Date.now() - this.o.idleTimeoutMs;
    for (const [id, s] of this.sessions) if (s.lastSeen < limit) void this.drop(id, 'idle');
  }
}

export { OAuthServer } from '../oauth/server.js';

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function refuse(res: http.ServerResponse, r: Refusal, close = false) {
  json(res, r.status, r.body, { ...r.headers, ...(close ? { Connection: 'close' } : {}) });
}

/** Reads a JSON body of at most `max` bytes; a larger one is refused before it is all read. */
function readJson(req: http.IncomingMessage, max: number): Promise<{ body: unknown } | { refusal: Refusal }> {
  const tooLarge: Refusal = { status: 413, body: { error: 'payload_too_large', message: `Request bodies are limited to ${max} bytes.` } };
  if (Number(req.headers['content-length'] ?? 0) > max) {
    req.resume();
    return Promise.resolve({ refusal: tooLarge });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        resolve({ refusal: tooLarge });
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve({ body: text ? JSON.parse(text) : undefined });
      } catch {
        resolve({ refusal: { status: 400, body: { error: 'bad_json', message: 'The request body is not valid JSON.' } } });
      }
    });
    req.on('error', () => {
      if (!done) {
        done = true;
        resolve({ refusal: { status: 400, body: { error: 'bad_request', message: 'The request body could not be read.' } } });
      }
    });
  });
}
