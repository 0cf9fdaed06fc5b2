import { serveStdio as serve } from '../transports/stdio.js';
import { withContext } from './setup.js';
import { API_OPTIONS, DEMO_OPTION, TOOL_OPTIONS, type CommandDef } from './types.js';

export const serveStdio: CommandDef = {
  name: 'serve-stdio',
  description: 'run the MCP server over stdio (what Claude Desktop starts; the default command)',
  options: [...API_OPTIONS, DEMO_OPTION, ...TOOL_OPTIONS],
  help: 'Logs in lazily on the first tool call. stdout carries only MCP messages; logs go to stderr.\nWith --demo the sample data lives in memory and is lost at exit.',
  async run(flags) {
    return withContext(flags, async (ctx) => {
      await serve(ctx);
      return 0;
    });
  },
};
