import { loadConfig } from '../config/config.js';
import { API_OPTIONS, type CommandDef } from './types.js';

export const loginCheck: CommandDef = {
  name: 'login-check',
  description: 'diagnose credentials and connectivity to the Classic Models API',
  options: API_OPTIONS,
  async run(flags) {
    loadConfig({ flags });
    process.stderr.write('classic-models-mcp: login-check is not available yet\n');
    return 1;
  },
};
