import { serveStdio as serve } from '../transports/stdio.js';
import { withContext } from './setup.js';
import { API_OPTIONS, DEMO_OPTION, TOOL_OPTIONS, type CommandDef } from './types.js';

export const serveStdio: CommandDef = {
  name: 'serve-stdio',
  description: 'run the MCP server over stdio (what Claude Desktop starts; the default command)',
  options: [...API_OPTIONS, DEMO_OPTION, ...TOOL_OPTIONS],
  help: 'Logs in lazily on the first tool call. stdout carries only MCP messages; logs go to stderr.\nWith --demo the sample data lives in memory and is lost at exit.',
  async run(flags) {
    // Started by hand in a terminal, it would wait in silence for a client that never comes.
    if (process.stdin.isTTY) {
      process.stderr.write('classic-models-mcp: this is an MCP server for a client to start (Claude Desktop, Claude Code, Cursor…), and it waits for one on stdin. Try --help, login-check to test your settings, or --demo to run on the built-in sample data.\n');
    }
    return withContext(flags, async (ctx) => {
      await serve(ctx);
      return 0;
    });
  },
};
