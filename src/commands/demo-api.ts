import { loadConfig } from '../config/config.js';
import { API_OPTIONS, type CommandDef } from './types.js';

export const demoApi: CommandDef = {
  name: 'demo-api',
  description: 'run the built-in replica of the Classic Models API',
  options: API_OPTIONS,
  async run(flags) {
    loadConfig({ flags });
    process.stderr.write('classic-models-mcp: demo-api is not available yet\n');
    return 1;
  },
};
