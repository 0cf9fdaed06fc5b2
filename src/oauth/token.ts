import type http from 'node:http';
import { s256 } from './authorize.js';
import type { AuthOutcome } from './api-session.js';
import type { OAuthClient } from './clients.js';
import { issuerOf, ourResource, type OAuthContext } from './context.js';
import { digestOf, issueTokens, type ApiPair, type CodeGrant, type RefreshGrant } from './grants.js';
import { clientAddress, oauthError, readForm, sendJson } from './http-io.js';

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Clients that failed to authenticate get 401 invalid_client: Claude registers again on exactly that. */
export const invalidClient = (res: http.ServerResponse, description: string) =>
  oauthError(res, 401, 'invalid_client', description, { 'WWW-Authenticate': 'Basic realm="classic-models-mcp", charset="UTF-8"' });

/** What an API refusal of a spent refresh token means to the client. */
function rotationFailed(res: http.ServerResponse, r: Exclude<AuthOutcome<ApiPair>, { ok: ApiPair }>, what: string) {
  if ('refused' in r) return oauthError(res, 400, 'invalid_grant', `${what} was already used, revoked or has expired`);
  if ('throttled' in r) return oauthError(res, 503, 'temporarily_unavailable', `the Classic Models API is throttling; retry in ${r.throttled} s`, { 'Retry-After': String(r.throttled) });
  return oauthError(res, 503, 'temporarily_unavailable', 'the Classic Models API cannot be reached; retry shortly');
}

/**
 * POST /token. A code is redeemed by refreshing the API session it carries: the API blacklists
 * that refresh token, so a second redemption, on any instance, is refused by the API itself.
 * Refresh tokens rotate the same way. Concurrent uses of one refresh token on this instance share
 * one rotation, so a client that sends its refresh twice at once is not signed out by it.
 */
export class TokenEndpoint {
  private readonly rotations = new Map<string, Promise<AuthOutcome<ApiPair>>>();

  constructor(private readonly o: OAuthContext) {}

  async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const read = await readForm(req);
    if ('error' in read) return oauthError(res, 400, 'invalid_request', read.error);
    const form = read.form;
    const client = await this.o.clients.authenticate(req, form);
    if ('error' in client) return invalidClient(res, client.error);
    if (form.grant_type === 'authorization_code') return this.redeem(req, res, form, client);
    if (form.grant_type === 'refresh_token') return this.refresh(req, res, form, client);
    return oauthError(res, 400, form.grant_type ? 'unsupported_grant_type' : 'invalid_request', form.grant_type ? `grant_type ${form.grant_type.slice(0, 40)} is not offered; use authorization_code or refresh_token` : 'grant_type is missing');
  }

  /**
   * The grant sealed in a code or refresh token, if it is one this server issued, unexpired, to
   * this client; otherwise the OAuth error is answered and undefined returned. One place, so no
   * grant is ever used without the check that binds it to its client.
   */
  private grantOf<T extends { c: string }>(res: http.ServerResponse, kind: 'code' | 'refresh', token: string | undefined, client: OAuthClient, expired: string): T | undefined {
    const field = kind === 'code' ? 'code' : 'refresh_token';
    const noun = kind === 'code' ? 'the code' : 'the refresh token';
    if (!token) return void oauthError(res, 400, 'invalid_request', `${field} is missing`);
    const opened = this.o.sealer.open<T>(kind, token, this.o.now());
    if ('error' in opened) return void oauthError(res, 400, 'invalid_grant', opened.error === 'expired' ? expired : `${noun} is not valid`);
    if (opened.value.c !== client.ref) return void oauthError(res, 400, 'invalid_grant', `${noun} was issued to another client`);
    return opened.value;
  }

  private async redeem(req: http.IncomingMessage, res: http.ServerResponse, form: Record<string, string>, client: OAuthClient) {
    const code = this.grantOf<CodeGrant>(res, 'code', form.code, client, 'the code has expired (codes last 60 s)');
    if (!code) return;
    if ((code.re || form.redirect_uri !== undefined) && form.redirect_uri !== code.r) return oauthError(res, 400, 'invalid_grant', 'redirect_uri differs from the one the code was issued for');
    if (!form.code_verifier) return oauthError(res, 400, 'invalid_request', 'code_verifier is missing (PKCE)');
    if (!VERIFIER.test(form.code_verifier) || s256(form.code_verifier) !== code.pk) return oauthError(res, 400, 'invalid_grant', 'the code_verifier does not match the code_challenge');
    if (form.resource !== undefined && ourResource(issuerOf(this.o, req), form.resource) !== code.aud) return oauthError(res, 400, 'invalid_target', 'resource differs from the one the code was issued for');
    const rotated = await this.o.auth.refresh(code.api.refresh, clientAddress(req));
    if (!('ok' in rotated)) return rotationFailed(res, rotated, 'the code');
    this.o.logger.debug(`oauth: code redeemed for "${code.sub}"`);
    sendJson(res, 200, issueTokens(this.o.sealer, rotated.ok, code, this.o.now()));
  }

  private async refresh(req: http.IncomingMessage, res: http.ServerResponse, form: Record<string, string>, client: OAuthClient) {
    const grant = this.grantOf<RefreshGrant>(res, 'refresh', form.refresh_token, client, 'the refresh token has expired; sign in again');
    if (!grant) return;
    let scope = grant.sc;
    if (form.scope !== undefined) {
      const asked = form.scope.split(' ').filter(Boolean);
      const held = grant.sc.split(' ');
      if (!asked.length || asked.some((s) => !held.includes(s))) return oauthError(res, 400, 'invalid_scope', `a refresh may keep or narrow the scope (${grant.sc}), never widen it`);
      scope = held.filter((s) => asked.includes(s)).join(' ');
    }
    const key = digestOf(form.refresh_token);
    let rotation = this.rotations.get(key);
    if (!rotation) {
      rotation = this.o.auth.refresh(grant.r, clientAddress(req)).finally(() => this.rotations.delete(key));
      this.rotations.set(key, rotation);
    }
    const rotated = await rotation;
    if (!('ok' in rotated)) return rotationFailed(res, rotated, 'the refresh token');
    sendJson(res, 200, issueTokens(this.o.sealer, rotated.ok, { ...grant, sc: scope }, this.o.now()));
  }
}

/**
 * POST /revoke (RFC 7009). A refresh token ends its API session (the API's logout blacklists it).
 * An access token cannot be withdrawn before it expires (at most the API's access lifetime): the
 * answer says so instead of pretending.
 */
export async function revoke(o: OAuthContext, req: http.IncomingMessage, res: http.ServerResponse) {
  const read = await readForm(req);
  if ('error' in read) return oauthError(res, 400, 'invalid_request', read.error);
  const form = read.form;
  const client = await o.clients.authenticate(req, form);
  if ('error' in client) return invalidClient(res, client.error);
  if (!form.token) return oauthError(res, 400, 'invalid_request', 'token is missing');
  if (form.token.startsWith('cma_')) {
    return oauthError(res, 400, 'unsupported_token_type', 'access tokens cannot be revoked here; they expire on their own within the API access lifetime. Revoke the refresh token to end the sign-in');
  }
  const opened = o.sealer.open<RefreshGrant>('refresh', form.token, o.now());
  // An invalid token, or another client's, is answered like a revoked one (RFC 7009 §2.2), and nothing is done.
  if ('error' in opened || opened.value.c !== client.ref) return sendJson(res, 200, {});
  const g = opened.value;
  let out = await o.auth.logout({ access: g.a, refresh: g.r });
  if ('refused' in out && out.status === 401) {
    // The access token inside has expired: one rotation gives a live one, and both refresh tokens die.
    const rotated = await o.auth.refresh(g.r, clientAddress(req));
    if ('ok' in rotated) out = await o.auth.logout(rotated.ok);
    else if ('refused' in rotated) out = { ok: true };
  }
  if ('unavailable' in out || 'throttled' in out) return oauthError(res, 503, 'temporarily_unavailable', 'the Classic Models API cannot be reached; the token was not revoked, retry shortly');
  o.logger.info(`oauth: "${g.sub}" signed out (refresh token revoked)`);
  sendJson(res, 200, {});
}
