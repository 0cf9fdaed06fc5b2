import { loadDemo } from '../lazy.js';
import { int } from '../config/config.js';
import { untilSignal } from './setup.js';
import type { CommandDef } from './types.js';

const optionalInt = (raw: unknown, flag: string, min: number, max: number) => (raw === undefined ? undefined : int(min, max)(String(raw), flag));

export const demoApi: CommandDef = {
  name: 'demo-api',
  description: 'run the built-in replica of the Classic Models API (sample data in memory, lost at exit)',
  options: [
    { flags: '--host <address>', description: 'address to bind (default 127.0.0.1)' },
    { flags: '--port <port>', description: 'port to listen on (default 8000; 0 picks a free one)' },
    { flags: '--access-lifetime <seconds>', description: 'access-token lifetime (default 3600), to watch clients refresh' },
    { flags: '--api-key <key>', description: 'also accept this X-API-Key' },
  ],
  help: 'It answers like the real API: the same routes, JWT rotation and blacklisting, throttles, validation\nmessages and HTML error pages. Users: demo/demo123 and analyst/analyst123.',
  async run(flags) {
    const port = optionalInt(flags.port, '--port', 0, 65535) ?? 8000;
    const accessLifetimeSeconds = optionalInt(flags.accessLifetime, '--access-lifetime', 1, 86400 * 30);
    const host = typeof flags.host === 'string' ? flags.host : '127.0.0.1';
    const { startReplica, DEMO_USERS } = await loadDemo();
    let replica;
    try {
      replica = await startReplica({ host, port, accessLifetimeSeconds, apiKey: typeof flags.apiKey === 'string' ? flags.apiKey : undefined });
    } catch (err) {
      process.stderr.write(`classic-models-mcp: demo-api cannot listen on ${host}:${port}: ${(err as Error).message}\n`);
      return 1;
    }
    // Listening for signals before saying "listening": a supervisor may act on that line at once.
    const stopped = untilSignal();
    const users = DEMO_USERS.map((u) => `${u.username}/${u.password}`).join(', ');
    process.stdout.write(
      `Classic Models API replica listening on ${replica.url}/classic-models/api/\n` +
        `  users: ${users}${flags.apiKey ? ' (and the X-API-Key you gave)' : ''}\n` +
        `  try:   CLASSIC_MODELS_API_URL=${replica.url} npx classic-models-mcp login-check\n` +
        `Sample data in memory: changes are lost at exit. Ctrl-C stops it.\n`,
    );
    await stopped;
    await replica.stop();
    return 0;
  },
};
