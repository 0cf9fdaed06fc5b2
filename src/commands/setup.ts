import { loadDemo } from '../lazy.js';
import { loadConfig, type Loaded } from '../config/config.js';
import { closeContext, createContext, type AppContext } from '../context.js';

/**
 * Builds the context a command runs with: configuration from flags, env and .env, and, with
 * --demo, the replica started in-process on a free loopback port with the client pointed at it.
 */
export async function setup(flags: Record<string, unknown>): Promise<AppContext> {
  const loaded = loadConfig({ flags });
  if (!loaded.config.demo) return createContext(loaded);
  const stop = await useDemo(loaded);
  const ctx = createContext(loaded);
  ctx.onClose.push(stop);
  ctx.logger.info(`demo mode: using the built-in replica at ${loaded.config.apiUrl} (sample data; changes are lost at exit)`);
  return ctx;
}

/**
 * --demo: starts the replica on a free loopback port and points the configuration at it, as
 * the demo user. Returns what stops it. Loaded only on demand: the replica carries the sample
 * data, which a server talking to a real API should not pay for at start-up.
 */
export async function useDemo(loaded: Loaded): Promise<() => Promise<void>> {
  const { startReplica, DEMO_USERS } = await loadDemo();
  const replica = await startReplica({ host: '127.0.0.1', port: 0 });
  const demo = DEMO_USERS[0];
  loaded.config = { ...loaded.config, apiUrl: replica.url, username: demo.username, password: demo.password, apiKey: undefined };
  for (const key of ['apiUrl', 'username', 'password', 'apiKey'] as const) loaded.sources[key] = { source: 'flag', name: '--demo' };
  return () => replica.stop();
}

/** Runs `fn` and always releases what the context holds (sockets, the demo replica). */
export async function withContext(flags: Record<string, unknown>, fn: (ctx: AppContext) => Promise<number>): Promise<number> {
  const ctx = await setup(flags);
  try {
    return await fn(ctx);
  } finally {
    await closeContext(ctx);
  }
}

/** Resolves on the first SIGINT or SIGTERM (and stops listening for them). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
