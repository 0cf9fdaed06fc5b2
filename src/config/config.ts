import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { RESOURCE_NAMES } from '../catalog/resources.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type Transport = 'stdio' | 'sse';
/** Where a setting's effective value came from, shown by login-check. */
export type Source = 'flag' | 'env' | '.env' | 'file' | 'default';

export interface Config {
  apiUrl: string;
  username: string;
  password: string;
  apiKey: string | undefined;
  /** Every token in it is valid (several allow rotation without downtime). */
  bearerTokens: string[];
  ssePort: number;
  sseHost: string;
  transport: Transport;
  timeoutMs: number;
  sslVerify: boolean;
  logLevel: LogLevel;
  readOnly: boolean;
  toolsets: string[] | undefined;
  maxResultBytes: number;
  maxSessions: number;
  sessionIdleTimeoutMs: number;
  allowedHosts: string[];
  allowedOrigins: string[];
  stateless: boolean;
  usersFile: string | undefined;
  /** Tool calls per minute per bearer token (serve-sse); 0 switches the limit off. */
  rateLimit: number;
  auditLog: string | undefined;
  auditArgs: boolean;
  /** classic_models_query: how long one query may run, how old its tables may be, its memory. */
  queryTimeoutMs: number;
  queryCacheSeconds: number;
  queryMemoryMb: number;
  /** serve-sse as its own OAuth 2.1 authorization server (sign-in with the person's API account). */
  oauth: boolean;
  /** Keys that seal OAuth codes and tokens: the first seals, every one opens (rotation). */
  oauthSecrets: string[] | undefined;
  /** The server's address as clients reach it (behind a proxy): the OAuth issuer and resources. */
  publicUrl: string | undefined;
  /** Client ID Metadata Documents on private, loopback or link-local addresses (tests, intranets). */
  oauthAllowPrivateClientUrls: boolean;
  /** Serve the built-in replica of the API instead of a real one (--demo). */
  demo: boolean;
  /** Started by Claude Desktop's extension: messages name settings as its form shows them. */
  settingsForm: boolean;
}

export type Key = keyof Config;

/**
 * How a setting appears in Claude Desktop's extension form (the MCP Bundle's user_config): its
 * key there, the label and sentence a person reads, its type, and its default. Every optional
 * field has a default: Claude Desktop passes one left empty as the literal `${user_config.x}`.
 */
export interface FormField {
  key: string;
  title: string;
  description: string;
  type: 'string' | 'boolean' | 'number';
  required?: boolean;
  sensitive?: boolean;
  default: string | boolean | number;
}

/** A setting in one place: its variables, its flag, its default, how to read it. */
export interface Setting<K extends Key> {
  key: K;
  env: string[];
  /** In the extension's form, or why not (the manifest and its test derive from this). */
  form: FormField | { omit: string };
  /** A variable naming a file that holds the value (Docker and Kubernetes secrets). */
  fileEnv?: string;
  flag?: string;
  secret?: boolean;
  default: Config[K];
  parse(raw: string, name: string): Config[K];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const bool = (raw: string, name: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
};

/** A whole number in [min, max]; `name` (a variable or flag) is what an error names. */
export const int = (min: number, max: number) => (raw: string, name: string): number => {
  const v = raw.trim();
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new ConfigError(`${name}: expected a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(v);
};

const oneOf = <T extends string>(values: readonly T[]) => (raw: string, name: string): T => {
  const v = raw.trim().toLowerCase() as T;
  if (!values.includes(v)) throw new ConfigError(`${name}: expected one of ${values.join(', ')}, got "${raw}"`);
  return v;
};

const text = (raw: string, name: string): string => {
  if (raw.trim() === '') throw new ConfigError(`${name}: must not be empty`);
  return raw;
};

const url = (raw: string, name: string): string => {
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw new ConfigError(`${name}: expected a URL starting with http:// or https://, got "${raw}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${name}: expected a URL starting with http:// or https://, got "${raw}"`);
  }
  if (parsed.search || parsed.hash) throw new ConfigError(`${name}: must not carry a query or fragment, got "${raw}"`);
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
};

/** A toolset per resource, and `query` for classic_models_query. */
const TOOLSET_NAMES: string[] = [...RESOURCE_NAMES, 'query'];

const list = (raw: string, name: string): string[] => {
  const items = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const unknown = items.filter((t) => !TOOLSET_NAMES.includes(t));
  if (unknown.length) throw new ConfigError(`${name}: unknown toolset ${unknown.join(', ')}; valid: ${TOOLSET_NAMES.join(', ')}`);
  if (!items.length) throw new ConfigError(`${name}: name at least one toolset of ${TOOLSET_NAMES.join(', ')}`);
  return items;
};

/** "90s", "30m", "2h" or plain seconds, to milliseconds. */
const duration = (raw: string, name: string): number => {
  const m = /^\s*(\d+)\s*(ms|s|m|h)?\s*$/.exec(raw);
  if (!m || Number(m[1]) === 0) throw new ConfigError(`${name}: expected a duration such as 90s, 30m or 2h, got "${raw}"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
};

const names = (raw: string, name: string): string[] => {
  const items = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = items.find((h) => !/^[a-z0-9.\-\[\]:*]+$/.test(h));
  if (bad) throw new ConfigError(`${name}: "${bad}" is not a host name`);
  return items;
};

const origins = (raw: string, name: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => {
      if (o === '*') return o;
      try {
        const u = new URL(o);
        if (u.origin === 'null' || (u.pathname !== '/' && u.pathname !== '')) throw new Error();
        return u.origin;
      } catch {
        throw new ConfigError(`${name}: "${o}" is not an origin such as https://app.example.com`);
      }
    });

/** Comma-separated, or one per line (as in a secret file); each at least 8 characters. */
const tokens = (raw: string, name: string): string[] => {
  const list = raw
    .split(/[,\n]/)
    .map((t) => t.trim())
    .filter(Boolean);
  if (!list.length) throw new ConfigError(`${name}: must hold at least one token`);
  if (list.some((t) => /\s/.test(t))) throw new ConfigError(`${name}: a token must not contain spaces`);
  return list;
};

/** Comma-separated, or one per line; each long enough to be a key, not a password. */
const keys = (raw: string, name: string): string[] => {
  const list = tokens(raw, name);
  if (list.some((k) => k.length < 32)) throw new ConfigError(`${name}: each key must be at least 32 characters (e.g. the output of openssl rand -hex 32)`);
  return list;
};

const SETTINGS: { [K in Key]: Setting<K> } = {
  apiUrl: { key: 'apiUrl', env: ['CLASSIC_MODELS_API_URL'], form: { key: 'api_url', title: 'Classic Models API URL', description: 'Where the Classic Models API is, e.g. https://classicmodels.example.com (the /classic-models/api/ prefix is added).', type: 'string', required: true, default: 'http://localhost:8000' }, flag: 'apiUrl', default: 'http://localhost:8000', parse: url },
  username: { key: 'username', env: ['API_USERNAME'], form: { key: 'username', title: 'Username', description: 'Your Classic Models API username.', type: 'string', default: '' }, flag: 'username', default: 'demo', parse: text },
  password: { key: 'password', env: ['API_PASSWORD'], form: { key: 'password', title: 'Password', description: 'The password of that user (the Claude Desktop extension keeps it in the system keychain).', type: 'string', sensitive: true, default: '' }, fileEnv: 'API_PASSWORD_FILE', secret: true, default: 'demo123', parse: text },
  apiKey: { key: 'apiKey', env: ['API_KEY'], form: { key: 'api_key', title: 'API key', description: 'Optional: an X-API-Key of the API, used instead of the username and password.', type: 'string', sensitive: true, default: '' }, fileEnv: 'API_KEY_FILE', secret: true, default: undefined, parse: text },
  bearerTokens: { key: 'bearerTokens', env: ['SSE_BEARER_TOKEN', 'HTTP_BEARER_TOKEN'], form: { omit: 'serve-sse only: the extension runs serve-stdio' }, fileEnv: 'SSE_BEARER_TOKEN_FILE', secret: true, default: ['demo-token'], parse: tokens },
  ssePort: { key: 'ssePort', env: ['SSE_PORT', 'HTTP_PORT'], form: { omit: 'serve-sse only' }, flag: 'port', default: 3000, parse: int(0, 65535) },
  sseHost: { key: 'sseHost', env: ['SSE_HOST'], form: { omit: 'serve-sse only' }, flag: 'host', default: '127.0.0.1', parse: text },
  transport: { key: 'transport', env: ['TRANSPORT'], form: { omit: 'the extension always runs serve-stdio' }, default: 'stdio', parse: oneOf(['stdio', 'sse'] as const) },
  timeoutMs: { key: 'timeoutMs', env: ['API_TIMEOUT_MS'], form: { omit: 'advanced: the default suits a desktop' }, flag: 'timeoutMs', default: 30000, parse: int(1, 3_600_000) },
  sslVerify: { key: 'sslVerify', env: ['SSL_VERIFY'], form: { omit: 'advanced: a self-signed API is set up in the hand-written config' }, flag: 'sslVerify', default: true, parse: bool },
  logLevel: { key: 'logLevel', env: ['LOG_LEVEL'], form: { omit: 'Claude Desktop keeps the server log at the default level' }, flag: 'logLevel', default: 'info', parse: oneOf(['error', 'warn', 'info', 'debug'] as const) },
  readOnly: { key: 'readOnly', env: ['READ_ONLY'], form: { key: 'read_only', title: 'Read-only', description: 'Offer only the tools that read: nothing can be created, changed or deleted.', type: 'boolean', default: false }, flag: 'readOnly', default: false, parse: bool },
  toolsets: { key: 'toolsets', env: ['TOOLSETS'], form: { key: 'toolsets', title: 'Toolsets', description: 'Optional: the resources whose tools to offer, comma-separated, e.g. products,customers,query. Empty for all.', type: 'string', default: '' }, flag: 'toolsets', default: undefined, parse: list },
  maxResultBytes: { key: 'maxResultBytes', env: ['MAX_RESULT_BYTES'], form: { omit: 'advanced: the default fits the context of a model' }, flag: 'maxResultBytes', default: 80_000, parse: int(1_000, 10_000_000) },
  maxSessions: { key: 'maxSessions', env: ['MAX_SESSIONS'], form: { omit: 'serve-sse only' }, flag: 'maxSessions', default: 100, parse: int(1, 100_000) },
  sessionIdleTimeoutMs: { key: 'sessionIdleTimeoutMs', env: ['SESSION_IDLE_TIMEOUT'], form: { omit: 'serve-sse only' }, flag: 'sessionIdleTimeout', default: 30 * 60_000, parse: duration },
  allowedHosts: { key: 'allowedHosts', env: ['ALLOWED_HOSTS'], form: { omit: 'serve-sse only' }, flag: 'allowedHosts', default: [], parse: names },
  allowedOrigins: { key: 'allowedOrigins', env: ['ALLOWED_ORIGINS'], form: { omit: 'serve-sse only' }, flag: 'allowedOrigins', default: [], parse: origins },
  stateless: { key: 'stateless', env: ['STATELESS'], form: { omit: 'serve-sse only' }, flag: 'stateless', default: false, parse: bool },
  usersFile: { key: 'usersFile', env: ['USERS_FILE'], form: { omit: 'serve-sse only' }, flag: 'users', default: undefined, parse: text },
  rateLimit: { key: 'rateLimit', env: ['RATE_LIMIT'], form: { omit: 'serve-sse only' }, flag: 'rateLimit', default: 300, parse: int(0, 1_000_000) },
  auditLog: { key: 'auditLog', env: ['AUDIT_LOG'], form: { omit: 'serve-sse only' }, flag: 'auditLog', default: undefined, parse: text },
  auditArgs: { key: 'auditArgs', env: ['AUDIT_ARGS'], form: { omit: 'serve-sse only' }, flag: 'auditArgs', default: false, parse: bool },
  queryTimeoutMs: { key: 'queryTimeoutMs', env: ['QUERY_TIMEOUT_MS'], form: { omit: 'advanced: the default suits a desktop' }, flag: 'queryTimeoutMs', default: 5_000, parse: int(100, 600_000) },
  queryCacheSeconds: { key: 'queryCacheSeconds', env: ['QUERY_CACHE_SECONDS'], form: { omit: 'advanced: the default suits a desktop' }, flag: 'queryCacheSeconds', default: 30, parse: int(0, 86_400) },
  queryMemoryMb: { key: 'queryMemoryMb', env: ['QUERY_MEMORY_MB'], form: { omit: 'advanced: the default suits a desktop' }, flag: 'queryMemoryMb', default: 256, parse: int(32, 4_096) },
  oauth: { key: 'oauth', env: ['OAUTH'], form: { omit: 'serve-sse only' }, flag: 'oauth', default: false, parse: bool },
  oauthSecrets: { key: 'oauthSecrets', env: ['OAUTH_SECRET'], form: { omit: 'serve-sse only' }, fileEnv: 'OAUTH_SECRET_FILE', secret: true, default: undefined, parse: keys },
  publicUrl: { key: 'publicUrl', env: ['PUBLIC_URL'], form: { omit: 'serve-sse only' }, flag: 'publicUrl', default: undefined, parse: url },
  demo: {
    key: 'demo',
    env: ['CLASSIC_MODELS_DEMO'],
    form: { key: 'demo', title: 'Demo mode, no backend', description: 'Use the built-in replica of the API with its sample data instead of a real one (changes are lost when Claude Desktop restarts); the API settings are then not used.', type: 'boolean', default: false },
    flag: 'demo',
    default: false,
    parse: bool,
  },
  settingsForm: { key: 'settingsForm', env: ['CLASSIC_MODELS_SETTINGS_FORM'], form: { omit: 'set by the extension itself, so that messages name its form fields' }, default: false, parse: bool },
  oauthAllowPrivateClientUrls: { key: 'oauthAllowPrivateClientUrls', env: ['OAUTH_ALLOW_PRIVATE_CLIENT_URLS'], form: { omit: 'serve-sse only' }, flag: 'oauthAllowPrivateClientUrls', default: false, parse: bool },
};

/** Every setting, for what derives from the table (the extension manifest, server.json, the README check). */
export const SETTINGS_TABLE = Object.values(SETTINGS) as Setting<Key>[];

export const SECRET_KEYS: Key[] = (Object.values(SETTINGS) as Setting<Key>[]).filter((s) => s.secret).map((s) => s.key);

/** Commander's camelCase option name → the "--kebab-case" spelling a user typed. */
const flagName = (flag: string) => '--' + flag.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/**
 * Whether a variable holds a value. Empty or blank is unset, and so is `${user_config.x}`:
 * Claude Desktop passes an extension setting left empty as that literal text.
 */
const given = (v: string | undefined): v is string => v !== undefined && v.trim() !== '' && !/^\$\{user_config\.[^}]*\}$/.test(v.trim());

export interface LoadOptions {
  /** Parsed command-line options (commander's camelCase names); undefined means "not given". */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Folder holding the optional .env file; the working directory by default. */
  cwd?: string;
}

export interface Loaded {
  config: Config;
  sources: Record<Key, { source: Source; name?: string }>;
  /** The secret files read, by setting, so SIGHUP can read them again. */
  files: Partial<Record<Key, string>>;
}

/**
 * Flags override the environment, which overrides a .env file, which overrides defaults.
 * The .env file is parsed with Node's own parser into a separate map, so process.env is
 * never modified and login-check can tell the two sources apart.
 */
export function loadConfig(opts: LoadOptions = {}): Loaded {
  const flags = opts.flags ?? {};
  const env = opts.env ?? process.env;
  const dotenv = readDotenv(opts.cwd ?? process.cwd());
  const config = {} as Record<Key, unknown>;
  const sources = {} as Loaded['sources'];
  const files: Loaded['files'] = {};
  const lookup = (n: string) => (given(env[n]) ? env[n] : given(dotenv[n]) ? dotenv[n] : undefined);

  for (const s of Object.values(SETTINGS) as Setting<Key>[]) {
    const fileVar = s.fileEnv;
    const filePath = fileVar ? lookup(fileVar) : undefined;
    if (fileVar && filePath !== undefined) {
      const direct = s.env.find((n) => lookup(n) !== undefined);
      if (direct) throw new ConfigError(`${direct} and ${fileVar} are both set; keep one of them`);
      config[s.key] = s.parse(readSecretFile(filePath, fileVar), fileVar);
      sources[s.key] = { source: 'file', name: fileVar };
      files[s.key] = resolve(opts.cwd ?? process.cwd(), filePath);
      continue;
    }
    const flagValue = s.flag ? flags[s.flag] : undefined;
    if (flagValue !== undefined) {
      config[s.key] = typeof flagValue === 'string' ? s.parse(flagValue, flagName(s.flag!)) : flagValue;
      sources[s.key] = { source: 'flag', name: flagName(s.flag!) };
      continue;
    }
    const fromEnv = s.env.find((n) => given(env[n]));
    const fromDotenv = fromEnv ? undefined : s.env.find((n) => given(dotenv[n]));
    if (fromEnv) {
      config[s.key] = s.parse(env[fromEnv]!, fromEnv);
      sources[s.key] = { source: 'env', name: fromEnv };
    } else if (fromDotenv) {
      config[s.key] = s.parse(dotenv[fromDotenv]!, `${fromDotenv} (in .env)`);
      sources[s.key] = { source: '.env', name: fromDotenv };
    } else {
      config[s.key] = s.default;
      sources[s.key] = { source: 'default' };
    }
  }
  return { config: config as unknown as Config, sources, files };
}

/** A secret file's content, its trailing newline trimmed (as editors and `echo` leave one). */
function readSecretFile(path: string, name: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new ConfigError(`${name}: ${path} is empty`);
  return value;
}

/**
 * Reads the secret files again (on SIGHUP): the new values of the settings that came from
 * files. A bad file throws, and the caller keeps what it had.
 */
export function rereadSecretFiles(loaded: Loaded): Partial<Config> {
  const out: Record<string, unknown> = {};
  for (const [key, path] of Object.entries(loaded.files) as [Key, string][]) {
    const s = SETTINGS[key] as Setting<Key>;
    out[key] = s.parse(readSecretFile(path, s.fileEnv!), s.fileEnv!);
  }
  return out as Partial<Config>;
}

function readDotenv(cwd: string): Record<string, string> {
  const file = resolve(cwd, '.env');
  if (!existsSync(file)) return {};
  try {
    return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (err) {
    throw new ConfigError(`.env: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The secret values of a configuration, so that loggers and reports can scrub them. */
export function secretsOf(config: Config): string[] {
  return SECRET_KEYS.flatMap((k) => config[k] as string | string[] | undefined).filter((v): v is string => typeof v === 'string' && v.length >= 3);
}

/** A value safe to show: secrets become "set (N chars)" so a user can still tell them apart. */
export function displayValue(key: Key, config: Config): string {
  const v = config[key];
  if (SECRET_KEYS.includes(key)) {
    if (v === undefined) return 'unset';
    return Array.isArray(v) ? `***** (${v.length} token${v.length === 1 ? '' : 's'})` : `***** (set, ${String(v).length} chars)`;
  }
  if (v === undefined) return 'unset';
  return Array.isArray(v) ? v.join(',') : String(v);
}

export const SETTING_ENV_NAMES: Record<Key, string[]> = Object.fromEntries(
  (Object.values(SETTINGS) as Setting<Key>[]).map((s) => [s.key, s.env]),
) as Record<Key, string[]>;

