import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config.js';

/** One entry of the users file: a bearer token and the API identity requests with it act as. */
export interface UserEntry {
  label: string;
  token: string;
  username?: string;
  password?: string;
  apiKey?: string;
}

/**
 * Reads and checks the users file (--users): JSON, `{"users": [{label, token, username,
 * password} | {label, token, apiKey}]}`. Every problem names the entry and the field.
 */
export function readUsersFile(path: string): UserEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`--users: cannot read ${path} (${code ?? (err as Error).message.split('\n')[0]})`);
  }
  const list = Array.isArray(raw) ? raw : (raw as { users?: unknown })?.users;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`--users: ${path} must hold {"users": [ … ]} with at least one user`);
  const labels = new Set<string>();
  const tokens = new Set<string>();
  return list.map((u, i) => {
    const where = `--users: users[${i}]`;
    if (!u || typeof u !== 'object') throw new ConfigError(`${where} is not an object`);
    const e = u as Record<string, unknown>;
    const str = (k: string) => (typeof e[k] === 'string' && (e[k] as string).trim() !== '' ? (e[k] as string) : undefined);
    const label = str('label');
    const token = str('token');
    if (!label || !/^[\w.@-]{1,64}$/.test(label)) throw new ConfigError(`${where}.label: expected a name of letters, digits, . _ @ - (at most 64)`);
    if (!token || token.length < 16 || /\s/.test(token)) throw new ConfigError(`${where}.token: expected a token of at least 16 characters without spaces (for "${label}")`);
    if (labels.has(label)) throw new ConfigError(`${where}.label: "${label}" appears twice`);
    if (tokens.has(token)) throw new ConfigError(`${where}.token: the token of "${label}" is also another user's`);
    labels.add(label);
    tokens.add(token);
    const apiKey = str('apiKey');
    const username = str('username');
    const password = str('password');
    if (!apiKey && !(username && password)) throw new ConfigError(`${where}: "${label}" needs username and password, or apiKey`);
    if (apiKey && (username || password)) throw new ConfigError(`${where}: "${label}" has both apiKey and username/password; keep one`);
    return { label, token, username, password, apiKey };
  });
}
