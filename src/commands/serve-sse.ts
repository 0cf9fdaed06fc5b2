import { loadConfig } from '../config/config.js';
import { API_OPTIONS, type CommandDef } from './types.js';

export const serveSse: CommandDef = {
  name: 'serve-sse',
  description: 'run the MCP server over HTTP (SSE and Streamable HTTP) behind a bearer token',
  options: API_OPTIONS,
  async run(flags) {
    loadConfig({ flags });
    process.stderr.write('classic-models-mcp: serve-sse is not available yet\n');
    return 1;
  },
};
