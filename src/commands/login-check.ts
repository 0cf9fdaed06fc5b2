import { loadDiagnose } from '../lazy.js';
import { ConfigError, loadConfig, secretsOf } from '../config/config.js';
import { createLogger, createScrubber } from '../log/logger.js';
import { formatReport } from '../diagnose/report.js';
import { useDemo } from './setup.js';
import { API_OPTIONS, DEMO_OPTION, type CommandDef } from './types.js';

export const loginCheck: CommandDef = {
  name: 'login-check',
  description: 'diagnose credentials and connectivity to the Classic Models API (and optionally a running serve-sse)',
  options: [
    ...API_OPTIONS,
    DEMO_OPTION,
    { flags: '--toolsets <list>', description: 'check only these resources\' reads (env TOOLSETS)' },
    { flags: '--sse-url <url>', description: 'also check a running serve-sse, e.g. http://host:3000' },
    { flags: '--sse-token <token>', description: 'its bearer token (default: SSE_BEARER_TOKEN)' },
    { flags: '--server <url>', description: "follow a running serve-sse's OAuth discovery (401, resource metadata, authorization server, endpoints) and say which link is broken; checks nothing else" },
    { flags: '--json', description: 'print one machine-readable report instead of lines' },
  ],
  help: 'Exit codes: 0 all checks passed, 1 a check failed, 2 bad configuration.\nNo password, token or key is ever printed.',
  async run(flags) {
    if (typeof flags.server === 'string') {
      let url: URL;
      try {
        url = new URL(flags.server);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
      } catch {
        throw new ConfigError(`--server: expected the server's URL, e.g. https://mcp.example.com or http://127.0.0.1:3000/mcp, got "${flags.server}"`);
      }
      const { oauthChainCheck } = await loadDiagnose();
      const report = await oauthChainCheck(url.href);
      const scrub = createScrubber();
      process.stdout.write(scrub(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report)));
      return report.ok ? 0 : 1;
    }
    const loaded = loadConfig({ flags });
    const stopDemo = loaded.config.demo ? await useDemo(loaded) : undefined;
    const sseToken = typeof flags.sseToken === 'string' ? flags.sseToken : undefined;
    // Whatever a check prints passes through this: secrets and JWTs never reach the terminal.
    const scrub = createScrubber([...secretsOf(loaded.config), sseToken]);
    const logger = createLogger(loaded.config.logLevel === 'debug' ? 'debug' : 'error', [...secretsOf(loaded.config), ...(sseToken ? [sseToken] : [])]);
    try {
      const { loginCheck: check } = await loadDiagnose();
      const report = await check(loaded, logger, { sseUrl: typeof flags.sseUrl === 'string' ? flags.sseUrl : undefined, sseToken });
      process.stdout.write(scrub(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report)));
      return report.ok ? 0 : 1;
    } finally {
      await stopDemo?.();
    }
  },
};
