import { createHash } from 'node:crypto';
import { decodeClaims } from '../api/jwt.js';
import type { Sealer } from './seal.js';

/** The API session a sign-in opened: the person's own simplejwt pair, never shown to anyone. */
export interface ApiPair {
  access: string;
  refresh: string;
}

/** Who a code or token stands for, and what it may do. */
export interface GrantInfo {
  /** The person's API username: the subject. */
  sub: string;
  /** The client's ref (a digest of its client_id). */
  c: string;
  /** The resource (audience) the grant is for. */
  aud: string;
  /** Granted scopes, space-separated. */
  sc: string;
}

export interface CodeGrant extends GrantInfo {
  api: ApiPair;
  /** The redirect URI the code must be redeemed with, and whether the request named it. */
  r: string;
  re: boolean;
  /** PKCE S256 challenge. */
  pk: string;
}

export interface AccessGrant extends GrantInfo {
  a: string;
}

export interface RefreshGrant extends GrantInfo {
  r: string;
  /** The API access token issued with it: what logs the session out when the grant is revoked. */
  a: string;
}

export const CODE_LIFETIME_S = 60;

/** The digest under which concurrent uses of one refresh token are joined (never the token itself). */
export const digestOf = (s: string) => createHash('sha256').update(s).digest('base64url');

/**
 * How much sooner than the API token inside it an access token expires: a call admitted in the
 * token's last moment still reaches the API with a live token. 30 s, or a tenth of a short life.
 */
const marginS = (lifetimeS: number) => Math.min(30, Math.max(1, Math.floor(lifetimeS / 10)));

/**
 * The OAuth token response for a fresh API pair. The access token expires no later than the API
 * token it carries; the refresh token lives as long as the API's refresh token.
 */
export function issueTokens(sealer: Sealer, pair: ApiPair, info: GrantInfo, nowMs = Date.now()) {
  const now = Math.floor(nowMs / 1000);
  const a = decodeClaims(pair.access);
  const r = decodeClaims(pair.refresh);
  const aExp = typeof a?.exp === 'number' ? a.exp : now + 300;
  const lifetime = typeof a?.iat === 'number' ? aExp - a.iat : aExp - now;
  const accessExp = Math.max(now + 1, aExp - marginS(lifetime));
  const refreshExp = typeof r?.exp === 'number' ? r.exp : now + 7 * 24 * 3600;
  const base: GrantInfo = { sub: info.sub, c: info.c, aud: info.aud, sc: info.sc };
  return {
    access_token: sealer.seal('access', { ...base, a: pair.access } satisfies AccessGrant, accessExp),
    token_type: 'Bearer',
    expires_in: accessExp - now,
    refresh_token: sealer.seal('refresh', { ...base, r: pair.refresh, a: pair.access } satisfies RefreshGrant, refreshExp),
    scope: info.sc,
  };
}
