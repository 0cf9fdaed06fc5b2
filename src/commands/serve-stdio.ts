import { loadConfig } from '../config/config.js';
import { API_OPTIONS, type CommandDef } from './types.js';

export const serveStdio: CommandDef = {
  name: 'serve-stdio',
  description: 'run the MCP server over stdio (what Claude Desktop starts)',
  options: API_OPTIONS,
  async run(flags) {
    loadConfig({ flags });
    process.stderr.write('classic-models-mcp: serve-stdio is not available yet\n');
    return 1;
  },
};
