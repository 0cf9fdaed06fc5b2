import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { AppContext } from '../context.js';
import { buildSurface, createMcpServer, queryOptions } from '../server.js';
import { untilSignal } from '../commands/setup.js';

/**
 * MCP over stdin/stdout. stdout carries protocol messages only (every log goes to stderr).
 * Returns when the client closes stdin or on SIGINT/SIGTERM.
 */
export async function serveStdio(ctx: AppContext): Promise<void> {
  const surface = buildSurface({ readOnly: ctx.config.readOnly, toolsets: ctx.config.toolsets, query: queryOptions(ctx.config) });
  const server = createMcpServer(ctx, surface, { maxResultBytes: ctx.config.maxResultBytes });
  const transport = new StdioServerTransport();
  const stdinClosed = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  const stopped = untilSignal();
  await server.connect(transport);
  ctx.logger.info(`classic-models-mcp ${ctx.version}: ${surface.tools.length} tools over stdio, API ${ctx.config.apiUrl}${ctx.config.apiKey ? ' (API key)' : ` as ${ctx.config.username}`}`);
  await Promise.race([stdinClosed, stopped]);
  await server.close();
}
