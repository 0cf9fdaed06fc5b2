import { createHash } from 'node:crypto';
import type http from 'node:http';
import { ClientDocuments } from './client-documents.js';
import { redirectUriProblem } from './redirect-uris.js';
import { SCOPES } from './scopes.js';
import type { Sealer } from './seal.js';

export type AuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';
const AUTH_METHODS: AuthMethod[] = ['none', 'client_secret_post', 'client_secret_basic'];

/** A client this server will sign people in for: registered here (sealed), or one that publishes its metadata. */
export interface OAuthClient {
  id: string;
  /** A short stable digest of the id: what tokens carry instead of a long client_id. */
  ref: string;
  name: string;
  redirectUris: string[];
  authMethod: AuthMethod;
  /** Where the client said it lives (client_uri), shown on the sign-in page when it has one. */
  uri?: string;
  source: 'registered' | 'document';
}

/** What a registered client's sealed client_id holds. */
interface Registration {
  n: string;
  r: string[];
  m: AuthMethod;
  u?: string;
}

const TEN_YEARS_S = 10 * 365 * 24 * 3600;
export const clientRef = (id: string) => createHash('sha256').update(id).digest('base64url').slice(0, 22);

const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A short name a person can read; control characters removed, length capped (it is escaped where shown). */
const cleanName = (v: unknown, fallback: string) => (typeof v === 'string' && v.trim() ? v.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 100) : fallback);

export class RegistrationError extends Error {
  constructor(
    readonly code: 'invalid_redirect_uri' | 'invalid_client_metadata',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The clients: Dynamic Client Registration (RFC 7591) hands out a client_id that is the sealed
 * registration itself, and a secret derived from it, so every instance with the key knows every
 * client and none keeps a list; Client ID Metadata Documents are fetched from the client's URL.
 */
export class Clients {
  readonly documents: ClientDocuments;

  constructor(
    private readonly sealer: Sealer,
    opts: { allowPrivateClientUrls: boolean },
  ) {
    this.documents = new ClientDocuments({ allowPrivate: opts.allowPrivateClientUrls });
  }

  /** RFC 7591 §3.1: the registration, or a RegistrationError naming the field. */
  register(body: unknown, nowMs = Date.now()): Record<string, unknown> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new RegistrationError('invalid_client_metadata', 'the registration must be a JSON object');
    const b = body as Record<string, unknown>;
    if (!strings(b.redirect_uris) || !(b.redirect_uris as string[]).length) throw new RegistrationError('invalid_redirect_uri', 'redirect_uris: give at least one redirect URI');
    const uris = b.redirect_uris as string[];
    if (uris.length > 20) throw new RegistrationError('invalid_redirect_uri', 'redirect_uris: at most 20');
    for (const u of uris) {
      const problem = redirectUriProblem(u);
      if (problem) throw new RegistrationError('invalid_redirect_uri', `redirect_uris: ${problem}`);
    }
    const method = (b.token_endpoint_auth_method ?? 'client_secret_basic') as AuthMethod;
    if (!AUTH_METHODS.includes(method)) throw new RegistrationError('invalid_client_metadata', `token_endpoint_auth_method: expected one of ${AUTH_METHODS.join(', ')}`);
    if (b.grant_types !== undefined && (!strings(b.grant_types) || (b.grant_types as string[]).some((g) => g !== 'authorization_code' && g !== 'refresh_token'))) {
      throw new RegistrationError('invalid_client_metadata', 'grant_types: this server offers authorization_code and refresh_token');
    }
    if (b.response_types !== undefined && (!strings(b.response_types) || (b.response_types as string[]).some((r) => r !== 'code'))) {
      throw new RegistrationError('invalid_client_metadata', 'response_types: this server offers code');
    }
    if (b.scope !== undefined && (typeof b.scope !== 'string' || b.scope.split(' ').filter(Boolean).some((s) => !SCOPES.includes(s)))) {
      throw new RegistrationError('invalid_client_metadata', `scope: this server grants ${SCOPES.join(' and ')}`);
    }
    const clientUri = typeof b.client_uri === 'string' && /^https:\/\//.test(b.client_uri) ? b.client_uri.slice(0, 300) : undefined;
    const reg: Registration = { n: cleanName(b.client_name, 'an unnamed application'), r: uris, m: method, ...(clientUri ? { u: clientUri } : {}) };
    const issuedAt = Math.floor(nowMs / 1000);
    const id = this.sealer.seal('client', reg, issuedAt + TEN_YEARS_S);
    return {
      client_id: id,
      ...(method === 'none' ? {} : { client_secret: this.sealer.clientSecret(id), client_secret_expires_at: 0 }),
      client_id_issued_at: issuedAt,
      client_name: reg.n,
      redirect_uris: uris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: method,
      scope: SCOPES.join(' '),
      ...(clientUri ? { client_uri: clientUri } : {}),
    };
  }

  /** The client a client_id names, or why there is none (safe to show). */
  async find(clientId: string): Promise<OAuthClient | { error: string }> {
    if (!clientId) return { error: 'no client_id was given' };
    if (clientId.startsWith('https://')) return this.fromDocument(clientId);
    const opened = this.sealer.open<Registration>('client', clientId);
    if ('error' in opened) return { error: opened.error === 'unknown_key' ? 'this client was registered with a key this server no longer has; register again' : 'this client_id is not one this server issued' };
    const r = opened.value;
    return { id: clientId, ref: clientRef(clientId), name: r.n, redirectUris: r.r, authMethod: r.m, uri: r.u, source: 'registered' };
  }

  private async fromDocument(clientId: string): Promise<OAuthClient | { error: string }> {
    let url: URL;
    try {
      url = new URL(clientId);
    } catch {
      return { error: 'the client_id is not a valid URL' };
    }
    if (url.pathname === '/' || url.hash || url.username || url.password) return { error: 'a client_id URL must be https with a path, and no fragment or credentials' };
    const got = await this.documents.get(clientId);
    if ('error' in got) return got;
    const d = got.doc;
    if (d.client_id !== clientId) return { error: "the client's metadata document names another client_id than its own URL" };
    if (!strings(d.redirect_uris) || !(d.redirect_uris as string[]).length) return { error: "the client's metadata document has no redirect_uris" };
    for (const u of d.redirect_uris as string[]) {
      const problem = redirectUriProblem(u);
      if (problem) return { error: `the client's metadata document: ${problem}` };
    }
    if ('client_secret' in d || 'client_secret_expires_at' in d) return { error: "the client's metadata document carries a client secret, which a public document may not" };
    const method = (d.token_endpoint_auth_method ?? 'none') as string;
    if (method !== 'none') return { error: `the client's metadata document asks for ${method.slice(0, 40)}; this server accepts "none" for such clients` };
    const uri = typeof d.client_uri === 'string' && /^https:\/\//.test(d.client_uri) ? d.client_uri : undefined;
    return { id: clientId, ref: clientRef(clientId), name: cleanName(d.client_name, url.host), redirectUris: d.redirect_uris as string[], authMethod: 'none', uri, source: 'document' };
  }

  /**
   * Client authentication at the token and revocation endpoints: client_secret_basic,
   * client_secret_post, or none (a public client, which PKCE protects instead).
   */
  async authenticate(req: http.IncomingMessage, form: Record<string, string>): Promise<OAuthClient | { error: string }> {
    let id = form.client_id;
    let secret = form.client_secret;
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { error: 'the Basic credentials are malformed' };
      const [bid, bsecret] = [decoded.slice(0, colon), decoded.slice(colon + 1)].map((s) => {
        try {
          return decodeURIComponent(s.replace(/\+/g, ' '));
        } catch {
          return s;
        }
      });
      if (id && id !== bid) return { error: 'client_id in the body and in the Authorization header differ' };
      if (secret && secret !== bsecret) return { error: 'two different client secrets were sent' };
      id = bid;
      secret = bsecret;
    }
    if (!id) return { error: 'no client_id was given' };
    const client = await this.find(id);
    if ('error' in client) return client;
    if (client.authMethod === 'none') return secret ? { error: 'this client was registered without a secret, but one was sent' } : client;
    if (!secret || !this.sealer.checkClientSecret(id, secret)) return { error: 'the client secret is wrong or missing' };
    return client;
  }
}
