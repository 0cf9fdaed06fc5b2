import type { LogLevel } from '../config/config.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  level: LogLevel;
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  enabled(level: LogLevel): boolean;
  /** Adds values that must never be printed (a token learnt at run time, a rotated secret). */
  addSecrets(values: Iterable<string | undefined>): void;
  /** The text with every known secret and token masked, for output that is not a log line. */
  scrub(text: string): string;
}

/** JWTs look alike whatever their owner, so they are scrubbed by shape as well as by value. */
const JWT_SHAPE = /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g;
/** So are the OAuth server's sealed codes, tokens and requests (src/oauth/seal.ts names their prefixes). */
const SEALED_SHAPE = /\bcm[carq]_[\w-]{20,}/g;

/**
 * Writes to stderr only: in serve-stdio, stdout belongs to the MCP protocol, and a stray line
 * there corrupts the client's stream.
 */
export interface Scrubber {
  (text: string): string;
  add(values: Iterable<string | undefined>): void;
}

/** Replaces known secrets and JWT-shaped strings; shared by the logger and printed reports. */
export function createScrubber(secrets: Iterable<string | undefined> = []): Scrubber {
  const known = new Set<string>();
  const scrub = ((text: string) => {
    let out = text.replace(JWT_SHAPE, '[token]').replace(SEALED_SHAPE, '[token]');
    for (const s of known) if (out.includes(s)) out = out.split(s).join('*****');
    return out;
  }) as Scrubber;
  scrub.add = (values) => {
    for (const v of values) if (v && v.length >= 3) known.add(v);
  };
  scrub.add(secrets);
  return scrub;
}

export function createLogger(level: LogLevel, secrets: Iterable<string> = [], write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const scrub = createScrubber(secrets);
  const add = scrub.add;
  const log = (at: LogLevel) => (msg: string) => {
    if (RANK[at] <= RANK[level]) write(`[classic-models-mcp] ${at}: ${scrub(msg)}\n`);
  };
  return {
    level,
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    enabled: (at) => RANK[at] <= RANK[level],
    addSecrets: add,
    scrub,
  };
}

/** For code paths (tests, benchmarks) that want no output at all. */
export const silentLogger: Logger = createLogger('error', [], () => {});
