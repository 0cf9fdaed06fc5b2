import type http from 'node:http';
import type { Logger } from '../log/logger.js';
import type { ApiAuth } from './api-session.js';
import type { Clients } from './clients.js';
import { RESOURCE_PATHS } from './metadata.js';
import type { Sealer } from './seal.js';
import type { SignInBackoff } from './sign-in-backoff.js';

/** What every OAuth endpoint works with: one object, made once by the OAuth server. */
export interface OAuthContext {
  sealer: Sealer;
  clients: Clients;
  backoff: SignInBackoff;
  auth: ApiAuth;
  logger: Logger;
  /** A --read-only server never grants write. */
  readOnly: boolean;
  /** The API's host, named on the sign-in page as where the password goes. */
  apiHost: string;
  publicUrl?: string;
  now(): number;
}

/**
 * The issuer, and the base of every resource identifier: --public-url behind a proxy, else the
 * address the request came to (loopback only; a public bind requires --public-url), so a client
 * that reaches the server as localhost and one that uses 127.0.0.1 each see consistent metadata.
 */
export const issuerOf = (o: Pick<OAuthContext, 'publicUrl'>, req: http.IncomingMessage) => o.publicUrl ?? `http://${req.headers.host ?? '127.0.0.1'}`;

/** The resource identifiers this server answers for: the whole server, /mcp and /sse. */
export const resourcesOf = (issuer: string) => [issuer, ...RESOURCE_PATHS.map((p) => issuer + p)];

/** A resource as clients write it, without a trailing slash, or undefined when it is not ours. */
export function ourResource(issuer: string, given: string): string | undefined {
  const g = given.replace(/\/+$/, '');
  return resourcesOf(issuer).includes(g) ? g : undefined;
}
