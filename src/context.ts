import { ApiClient, type ApiClientOptions } from './api/client.js';
import { secretsOf, type Config, type Loaded } from './config/config.js';
import { createLogger, type Logger } from './log/logger.js';

declare const __VERSION__: string;
export const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';

/**
 * Everything a command needs, built once from the command line and passed down: no module
 * reads process.env or keeps a global client of its own.
 */
export interface AppContext {
  config: Config;
  sources: Loaded['sources'];
  /** Secret files read at start, so SIGHUP can read them again. */
  files: Loaded['files'];
  logger: Logger;
  api: ApiClient;
  version: string;
  /** Cleanups to run at exit (the in-process replica of --demo, the client's sockets). */
  onClose: (() => Promise<void> | void)[];
}

/** The API client for a configuration; login-check makes its own with different patience. */
export function apiClientFor(config: Config, logger: Logger, extra: Partial<ApiClientOptions> = {}): ApiClient {
  return new ApiClient({
    baseUrl: config.apiUrl,
    username: config.username,
    password: config.password,
    apiKey: config.apiKey,
    timeoutMs: config.timeoutMs,
    sslVerify: config.sslVerify,
    // In Claude Desktop's extension, settings are the form's fields, named as it shows them.
    credentialNames: config.settingsForm ? 'the Username and Password settings of the Classic Models extension' : undefined,
    logger,
    ...extra,
  });
}

export function createContext(loaded: Loaded, logger?: Logger): AppContext {
  const { config } = loaded;
  const log = logger ?? createLogger(config.logLevel, secretsOf(config));
  const api = apiClientFor(config, log);
  return { config, sources: loaded.sources, files: loaded.files, logger: log, api, version: VERSION, onClose: [() => api.close()] };
}

export async function closeContext(ctx: AppContext) {
  for (const fn of ctx.onClose.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      ctx.logger.debug(`cleanup failed: ${(err as Error).message}`);
    }
  }
}

