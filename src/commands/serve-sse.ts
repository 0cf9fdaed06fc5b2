import { ConfigError } from '../config/config.js';
import { buildSurface } from '../server.js';
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
    ...API_OPTIONS,
    DEMO_OPTION,
    ...TOOL_OPTIONS,
  ],
  help: 'Clients send Authorization: Bearer <SSE_BEARER_TOKEN>. Endpoints: GET /sse + POST /messages (HTTP+SSE),\nPOST/GET/DELETE /mcp (Streamable HTTP), GET /healthz (no auth).\nBinding a non-loopback address requires a token other than the default.',
  async run(flags) {
    return withContext(flags, async (ctx) => {
      const c = ctx.config;
      if (c.bearerToken === DEFAULT_TOKEN) {
        if (!isLoopback(c.sseHost)) {
          throw new ConfigError(`SSE_BEARER_TOKEN: refusing to listen on ${c.sseHost} with the default token "${DEFAULT_TOKEN}"; set SSE_BEARER_TOKEN (e.g. to the output of openssl rand -hex 32)`);
        }
        ctx.logger.warn(`SSE_BEARER_TOKEN is the default "${DEFAULT_TOKEN}": fine on loopback for a try, set your own before exposing the server`);
      }
      const { McpHttpServer } = await import('../transports/http.js');
      const surface = buildSurface({ readOnly: c.readOnly, toolsets: c.toolsets });
      const server = new McpHttpServer(ctx, surface, {
        host: c.sseHost,
        port: c.ssePort,
        tokens: [c.bearerToken],
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
      ctx.logger.info(
        `classic-models-mcp ${ctx.version} listening on ${url}: SSE ${url}/sse (+ /messages), Streamable HTTP ${url}/mcp${c.stateless ? ' (stateless)' : ''}, health ${url}/healthz; ${surface.tools.length} tools; API ${c.apiUrl}`,
      );
      const sig = await stopped;
      ctx.logger.info(`${sig}: finishing ${server.inflight.size} call(s) under way, then closing ${server.sessionCount} session(s)`);
      await server.shutdown(5_000);
      return 0;
    });
  },
};
