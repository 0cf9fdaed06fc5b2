import type http from 'node:http';
import type { Api } from '../api/client.js';
import type { Logger } from '../log/logger.js';
import { ApiAuth } from './api-session.js';
import { authorizeGet, authorizePost } from './authorize.js';
import { Clients, RegistrationError } from './clients.js';
import { issuerOf, ourResource, type OAuthContext } from './context.js';
import type { AccessGrant } from './grants.js';
import { oauthError, readJsonBody, sendJson } from './http-io.js';
import { authorizationServer, challenge, protectedResource, RESOURCE_PATHS } from './metadata.js';
import { Sealer } from './seal.js';
import { SignInBackoff } from './sign-in-backoff.js';
import { revoke, TokenEndpoint } from './token.js';

export interface OAuthServerOptions {
  /** The context's API client: it carries each person's login, refresh and logout. */
  api: Api;
  logger: Logger;
  secrets: string[];
  publicUrl?: string;
  readOnly: boolean;
  allowPrivateClientUrls: boolean;
  apiUrl: string;
  now?: () => number;
}

/** A valid access token: who, for what, until when, and the API token to act with. */
export interface VerifiedGrant {
  sub: string;
  scope: string;
  apiToken: string;
  /** Seconds since the epoch. */
  exp: number;
}

const WELL_KNOWN_RESOURCE = '/.well-known/oauth-protected-resource';
const WELL_KNOWN_SERVER = '/.well-known/oauth-authorization-server';
/** Public endpoints a browser-based client may call from any origin: nothing there rides on cookies. */
const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS', 'Access-Control-Allow-Headers': 'Authorization, Content-Type, MCP-Protocol-Version', 'Access-Control-Max-Age': '600' };

/**
 * serve-sse as its own OAuth 2.1 authorization server (MCP authorization, 2025-11-25) and the
 * protected resource for /mcp and /sse. It stores nothing: codes, tokens and registered clients
 * are sealed with the server's key, and each carries the person's own API session.
 */
export class OAuthServer {
  private readonly o: OAuthContext;
  private readonly tokens: TokenEndpoint;

  constructor(opts: OAuthServerOptions) {
    const sealer = new Sealer(opts.secrets);
    this.o = {
      sealer,
      clients: new Clients(sealer, { allowPrivateClientUrls: opts.allowPrivateClientUrls }),
      backoff: new SignInBackoff(),
      auth: new ApiAuth(opts.api),
      logger: opts.logger,
      readOnly: opts.readOnly,
      apiHost: new URL(opts.apiUrl).host,
      publicUrl: opts.publicUrl,
      now: opts.now ?? Date.now,
    };
    this.tokens = new TokenEndpoint(this.o);
  }

  /** New keys (SIGHUP): the first seals from now on, all of them open. */
  rotate(secrets: string[]) {
    this.o.sealer.rotate(secrets);
  }

  /** Whether a path is one of the OAuth endpoints (discovery included). */
  handles(path: string): boolean {
    return path === WELL_KNOWN_SERVER || path === WELL_KNOWN_RESOURCE || RESOURCE_PATHS.some((p) => path === WELL_KNOWN_RESOURCE + p) || ['/authorize', '/token', '/register', '/revoke'].includes(path);
  }

  /** Pages a person opens in a browser: the transport's Origin guard leaves their POST to us. */
  isPage(path: string) {
    return path === '/authorize';
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const issuer = issuerOf(this.o, req);
    if (path !== '/authorize' && method === 'OPTIONS') {
      res.writeHead(204, { ...CORS, 'Content-Length': 0 });
      return void res.end();
    }
    const allow = (methods: string) => {
      if (methods.split(', ').includes(method)) return true;
      sendJson(res, 405, { error: 'method_not_allowed', error_description: `${method} is not allowed on ${path}` }, { Allow: methods, ...CORS });
      return false;
    };
    if (path === WELL_KNOWN_SERVER) return void (allow('GET') && sendJson(res, 200, authorizationServer(issuer), { ...CORS, 'Cache-Control': 'public, max-age=300' }));
    if (path.startsWith(WELL_KNOWN_RESOURCE)) {
      return void (allow('GET') && sendJson(res, 200, protectedResource(issuer, path.slice(WELL_KNOWN_RESOURCE.length)), { ...CORS, 'Cache-Control': 'public, max-age=300' }));
    }
    if (path === '/authorize') {
      if (method === 'GET') return authorizeGet(this.o, req, res, url);
      if (method === 'POST') return authorizePost(this.o, req, res);
      return void allow('GET, POST');
    }
    if (!allow('POST')) return;
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (path === '/token') return this.tokens.handle(req, res);
    if (path === '/revoke') return revoke(this.o, req, res);
    return this.register(req, res);
  }

  private async register(req: http.IncomingMessage, res: http.ServerResponse) {
    const read = await readJsonBody(req);
    if ('error' in read) return oauthError(res, 400, 'invalid_client_metadata', read.error);
    try {
      const registered = this.o.clients.register(read.body, this.o.now());
      this.o.logger.info(`oauth: registered the client "${registered.client_name as string}"`);
      sendJson(res, 201, registered);
    } catch (err) {
      if (err instanceof RegistrationError) return oauthError(res, 400, err.code, err.message);
      throw err;
    }
  }

  /**
   * "Who is this bearer?" for OAuth access tokens: the grant, or why the token is refused, for
   * the 401's error_description (never the token's contents).
   */
  verify(token: string, req: http.IncomingMessage): VerifiedGrant | { error: string } {
    const opened = this.o.sealer.open<AccessGrant>('access', token, this.o.now());
    if ('error' in opened) {
      return {
        error: { malformed: 'The access token is not valid.', unknown_key: 'The access token was sealed with a key this server no longer has; sign in again.', expired: 'The access token has expired; refresh it.' }[opened.error],
      };
    }
    const g = opened.value;
    if (!ourResource(issuerOf(this.o, req), g.aud)) return { error: 'The access token was issued for another resource.' };
    return { sub: g.sub, scope: g.sc, apiToken: g.a, exp: g.exp };
  }

  /** The WWW-Authenticate of a 401 on an MCP endpoint. */
  challenge(req: http.IncomingMessage, path: string, error?: string) {
    return challenge(issuerOf(this.o, req), path, error ? { code: 'invalid_token', description: error } : undefined);
  }
}
