import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { ApiClient } from '../api/client.js';

/** Who a bearer token stands for: a name for logs and limits, and the API client it acts through. */
export interface Identity {
  /** The users file's label, "token-<8 hex>" (a hash, never the token itself), or "oauth:<username>". */
  id: string;
  api: ApiClient;
  /**
   * A person signed in through OAuth presents a new token after each refresh: a session made
   * with an older identity object of the same person carries on with the newer token.
   */
  renew?(newer: Identity): void;
}

/** The bearer token of a request, or undefined when it sends none. */
export const bearerOf = (req: http.IncomingMessage) => /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A short, stable name for a token that cannot be turned back into it. */
export const tokenLabel = (token: string) => `token-${digest(token).toString('hex').slice(0, 8)}`;

/**
 * The bearer tokens a server accepts and whom each stands for. Tokens are compared in constant
 * time: both sides are hashed first, and every entry is compared whatever matched, so neither
 * the length nor the position of a valid token leaks through timing.
 */
export class TokenDirectory {
  private entries: { digest: Buffer; identity: Identity }[] = [];

  constructor(entries: { token: string; identity: Identity }[] = []) {
    this.replace(entries);
  }

  /** Swaps the whole table at once: a removed token fails from the next request on. */
  replace(entries: { token: string; identity: Identity }[]) {
    this.entries = entries.map((e) => ({ digest: digest(e.token), identity: e.identity }));
  }

  get size() {
    return this.entries.length;
  }

  resolve(req: http.IncomingMessage): Identity | undefined {
    const token = bearerOf(req);
    return token === undefined ? undefined : this.resolveToken(token);
  }

  resolveToken(token: string): Identity | undefined {
    const given = digest(token);
    let found: Identity | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, given) && !found) found = e.identity;
    return found;
  }
}
