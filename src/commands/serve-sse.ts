import { createRequire } from 'node:module';
import { ConfigError } from '../config/config.js';
import { buildSurface, createMcpServer, queryOptions } from '../server.js';
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
    ...API_OPTIONS,
    DEMO_OPTION,
    ...TOOL_OPTIONS,
  ],
  help: [
    'Clients send Authorization: Bearer <token>: one of SSE_BEARER_TOKEN (comma-separated, or one per line in',
    'SSE_BEARER_TOKEN_FILE), or a token of the --users file. Endpoints: GET /sse + POST /messages (HTTP+SSE),',
    'POST/GET/DELETE /mcp (Streamable HTTP), GET /healthz (no auth). Binding a non-loopback address requires a',
    'token other than the default. SIGHUP re-reads the *_FILE secrets and the users file, keeping sessions.',
  ].join('\n'),
  async run(flags) {
    leanHeap();
    return withContext(flags, async (ctx) => {
      const c = ctx.config;
      const { Identities } = await import('../identity/identities.js');
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
      const { McpHttpServer } = await loadHttpTransport();
      const surface = buildSurface({ readOnly: c.readOnly, toolsets: c.toolsets, query: queryOptions(c) });
      const server = new McpHttpServer(ctx, {
        host: c.sseHost,
        port: c.ssePort,
        identities,
        toolCount: surface.tools.length,
        // Each session's MCP server acts as its token's identity, with fair use and an audit line per call.
        createServer: (identity, inflight, sessionId) =>
          createMcpServer(ctx, surface, {
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
        `classic-models-mcp ${ctx.version} listening on ${url}: SSE ${url}/sse (+ /messages), Streamable HTTP ${url}/mcp${c.stateless ? ' (stateless)' : ''}, health ${url}/healthz; ${surface.tools.length} tools; API ${c.apiUrl}`,
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
