import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { ConfigError } from '../config/config.js';
import { buildSurface, createMcpServer, queryOptions, type ToolSurface } from '../server.js';
import type { AppContext } from '../context.js';
import { loadHttpTransport } from '../lazy.js';
import { isLoopback } from '../transports/http-guard.js';
import { withContext, untilSignal } from './setup.js';
import { API_OPTIONS, DEMO_OPTION, TOOL_OPTIONS, type CommandDef } from './types.js';

export const DEFAULT_TOKEN = 'demo-token';

export const serveSse: CommandDef = {
  name: 'serve-sse',
  description: 'run the MCP server over HTTP: SSE (/sse) and Streamable HTTP (/mcp), behind a bearer token',
  options: [
    { flags: '--host <address>', description: 'address to bind (env SSE_HOST, default 127.0.0.1)' },
    { flags: '--port <port>', description: 'port (env SSE_PORT or HTTP_PORT, default 3000)' },
    { flags: '--allowed-hosts <list>', description: 'extra Host names to accept, comma-separated (env ALLOWED_HOSTS)' },
    { flags: '--allowed-origins <list>', description: 'extra browser Origins to accept, e.g. https://app.example.com (env ALLOWED_ORIGINS)' },
    { flags: '--max-sessions <n>', description: 'open sessions at most; more get 503 (env MAX_SESSIONS, default 100)' },
    { flags: '--session-idle-timeout <duration>', description: 'close sessions idle this long, e.g. 30m (env SESSION_IDLE_TIMEOUT, default 30m)' },
    { flags: '--stateless', description: 'Streamable HTTP without sessions, for several instances behind a load balancer (env STATELESS)' },
    { flags: '--users <file>', description: 'JSON file mapping each bearer token to its own API credentials (env USERS_FILE; re-read on SIGHUP)' },
    { flags: '--rate-limit <n>', description: 'tool calls per minute per token, 0 for none (env RATE_LIMIT, default 300)' },
    { flags: '--audit-log <file>', description: 'where the one JSON line per tool call goes: a file (appended, mode 0600), "-" for stderr (the default) or "off" (env AUDIT_LOG)' },
    { flags: '--audit-args', description: 'add the call arguments (never secret-looking ones) to audit lines (env AUDIT_ARGS)' },
    { flags: '--oauth', description: 'be an OAuth 2.1 authorization server: people sign in with their own API account in a browser (env OAUTH; keys in OAUTH_SECRET or OAUTH_SECRET_FILE)' },
    { flags: '--public-url <url>', description: 'the address clients reach this server at, e.g. https://mcp.example.com: the OAuth issuer behind a proxy (env PUBLIC_URL)' },
    { flags: '--oauth-allow-private-client-urls', description: 'fetch Client ID Metadata Documents from private and loopback addresses too (env OAUTH_ALLOW_PRIVATE_CLIENT_URLS)' },
    ...API_OPTIONS,
    DEMO_OPTION,
    ...TOOL_OPTIONS,
  ],
  help: [
    'Clients send Authorization: Bearer <token>: one of SSE_BEARER_TOKEN (comma-separated, or one per line in',
    'SSE_BEARER_TOKEN_FILE), or a token of the --users file. Endpoints: GET /sse + POST /messages (HTTP+SSE),',
    'POST/GET/DELETE /mcp (Streamable HTTP), GET /healthz (no auth). Binding a non-loopback address requires a',
    'token other than the default. SIGHUP re-reads the *_FILE secrets and the users file, keeping sessions.',
    'With --oauth, clients such as Claude and ChatGPT discover the sign-in from the 401 (RFC 9728, RFC 8414):',
    'GET /authorize is the sign-in page, POST /token, /register (RFC 7591) and /revoke (RFC 7009).',
  ].join('\n'),
  async run(flags) {
    leanHeap();
    return withContext(flags, async (ctx) => {
      const c = ctx.config;
      const { Identities } = await import('../identity/identities.js');
      const oauthSecrets = c.oauth ? checkOAuthSettings(ctx) : undefined;
      const identities = new Identities(ctx);
      if (identities.sharedTokensActive && c.bearerTokens.includes(DEFAULT_TOKEN)) {
        if (!isLoopback(c.sseHost)) {
          throw new ConfigError(`SSE_BEARER_TOKEN: refusing to listen on ${c.sseHost} with the default token "${DEFAULT_TOKEN}"; set SSE_BEARER_TOKEN (e.g. to the output of openssl rand -hex 32)`);
        }
        ctx.logger.warn(`SSE_BEARER_TOKEN is the default "${DEFAULT_TOKEN}": fine on loopback for a try, set your own before exposing the server`);
      }
      const { openAuditLog, auditArgs } = await import('../audit/audit.js');
      const audit = c.auditLog === 'off' ? undefined : openAuditLog(c.auditLog && c.auditLog !== '-' ? c.auditLog : undefined, c.auditArgs);
      if (audit) ctx.onClose.push(() => audit.close());
      const { McpHttpServer, OAuthServer } = await loadHttpTransport();
      const surface = buildSurface({ readOnly: c.readOnly, toolsets: c.toolsets, query: queryOptions(c) });
      // A read-only OAuth grant sees only the tools that read; both share the tables and the query engine.
      let readSurface: ToolSurface | undefined;
      const surfaceFor = (readOnly: boolean) => (readOnly && !c.readOnly ? (readSurface ??= buildSurface({ readOnly: true, toolsets: c.toolsets, query: queryOptions(c) }, surface)) : surface);
      const oauth = oauthSecrets
        ? new OAuthServer({ api: ctx.api, logger: ctx.logger, secrets: oauthSecrets, publicUrl: c.publicUrl, readOnly: c.readOnly, allowPrivateClientUrls: c.oauthAllowPrivateClientUrls, apiUrl: c.apiUrl })
        : undefined;
      if (oauth) identities.useOAuth(oauth);
      const server = new McpHttpServer(ctx, {
        host: c.sseHost,
        port: c.ssePort,
        identities,
        oauth,
        toolCount: surface.tools.length,
        // Each session's MCP server acts as its token's identity, with fair use and an audit line per call.
        createServer: (identity, inflight, sessionId, readOnly) =>
          createMcpServer(ctx, surfaceFor(readOnly), {
            maxResultBytes: c.maxResultBytes,
            inflight,
            api: identity.api,
            hooks: {
              admit: () => identities.admit(identity),
              record: audit
                ? (e) =>
                    audit.write({
                      time: new Date().toISOString(),
                      identity: identity.id,
                      session: sessionId(),
                      tool: e.tool,
                      outcome: e.outcome,
                      api_status: e.apiStatus,
                      duration_ms: e.ms,
                      ...(audit.includeArgs ? { args: auditArgs(e.args) } : {}),
                    })
                : undefined,
            },
          }),
        allowedHosts: c.allowedHosts,
        allowedOrigins: c.allowedOrigins,
        maxSessions: c.maxSessions,
        idleTimeoutMs: c.sessionIdleTimeoutMs,
        stateless: c.stateless,
      });
      let url: string;
      try {
        url = await server.listen();
      } catch (err) {
        ctx.logger.error(`cannot listen on ${c.sseHost}:${c.ssePort}: ${(err as Error).message}`);
        return 1;
      }
      const stopped = untilSignal();
      // Rotation without downtime: new secrets apply to new requests; open sessions stay.
      const onHangup = () => {
        try {
          ctx.logger.info(`SIGHUP: ${identities.reload()}`);
        } catch (err) {
          ctx.logger.error(`SIGHUP: kept the previous secrets: ${(err as Error).message}`);
        }
      };
      process.on('SIGHUP', onHangup);
      ctx.logger.info(
        `classic-models-mcp ${ctx.version} listening on ${url}: SSE ${url}/sse (+ /messages), Streamable HTTP ${url}/mcp${c.stateless ? ' (stateless)' : ''}, health ${url}/healthz; ${surface.tools.length} tools; API ${c.apiUrl}${oauth ? `; OAuth sign-in as issuer ${c.publicUrl ?? url}` : ''}`,
      );
      const sig = await stopped;
      process.off('SIGHUP', onHangup);
      ctx.logger.info(`${sig}: finishing ${server.inflight.size} call(s) under way, then closing ${server.sessionCount} session(s)`);
      await server.shutdown(5_000);
      return 0;
    });
  },
};

/**
 * --oauth's settings, checked before anything listens; a wrong one stops the server (exit 2)
 * naming the flag or variable. Returns the keys that seal codes and tokens.
 */
function checkOAuthSettings(ctx: AppContext): string[] {
  const c = ctx.config;
  const name = (key: 'publicUrl' | 'oauthSecrets', flag: string) => ctx.sources[key].name ?? flag;
  if (c.publicUrl) {
    const u = new URL(c.publicUrl);
    if (u.pathname !== '/' && u.pathname !== '') throw new ConfigError(`${name('publicUrl', '--public-url')}: give the origin only, e.g. https://mcp.example.com, not "${c.publicUrl}"`);
    if (u.protocol !== 'https:' && !isLoopback(u.hostname)) throw new ConfigError(`${name('publicUrl', '--public-url')}: must be https (OAuth sends codes and tokens to it), got "${c.publicUrl}"`);
  } else if (!isLoopback(c.sseHost)) {
    throw new ConfigError(`--public-url: required with --oauth when listening on ${c.sseHost}: the https address clients reach this server at, e.g. https://mcp.example.com`);
  }
  if (c.oauthSecrets) return c.oauthSecrets;
  const publicHost = c.publicUrl ? new URL(c.publicUrl).hostname : c.sseHost;
  if (!isLoopback(c.sseHost) || !isLoopback(publicHost)) {
    throw new ConfigError('OAUTH_SECRET: required with --oauth off loopback (one key of 32+ characters, e.g. openssl rand -hex 32; several, comma-separated, to rotate), or OAUTH_SECRET_FILE');
  }
  ctx.logger.warn('OAUTH_SECRET is not set: a random key for this process, so sign-ins end when it stops; set OAUTH_SECRET to keep them across restarts');
  const key = randomBytes(32).toString('hex');
  c.oauthSecrets = [key];
  ctx.logger.addSecrets([key]);
  return c.oauthSecrets;
}

/**
 * A server with a hundred busy sessions allocates fast, and V8 answers by growing the young
 * generation and the old one: 170 MB resident for a live heap near 25 MB. Keeping the young
 * generation at its first size and the heap sized for memory holds it near 95 MB for about a
 * quarter fewer calls a second (npm run bench). These are the flags `node --optimize-for-size
 * --semi-space-growth-factor=1` would set, set from inside, because nobody types node flags in
 * front of npx. They only steer the garbage collector's sizing.
 */
function leanHeap() {
  const { setFlagsFromString } = createRequire(process.execPath)('node:v8') as typeof import('node:v8');
  setFlagsFromString('--optimize-for-size');
  setFlagsFromString('--semi-space-growth-factor=1');
}
