import { createHash } from 'node:crypto';
import type http from 'node:http';
import { isLoopback } from '../transports/http-guard.js';
import { issuerOf, ourResource, type OAuthContext } from './context.js';
import { CODE_LIFETIME_S, type CodeGrant } from './grants.js';
import { clientAddress, readForm, redirect, sendHtml, withQuery } from './http-io.js';
import { errorPage, pageHeaders, signInPage } from './page.js';
import { redirectUriMatches } from './redirect-uris.js';
import { grantedScope, requestedScopes, SCOPE_WRITE } from './scopes.js';

/** The authorization request, checked once on GET and carried sealed in the form. */
interface PendingRequest {
  /** client_id, its name and ref. */
  c: string;
  n: string;
  cr: string;
  u?: string;
  r: string;
  re: boolean;
  s?: string;
  pk: string;
  res: string;
  sc: string[];
}

const REQUEST_LIFETIME_S = 15 * 60;
const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** Where the person goes back to, as the page names it: the host, or an app's own scheme. */
function returnTo(uri: string) {
  const u = new URL(uri);
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.host : `the app at ${u.protocol}//`;
}

/**
 * GET /authorize. Until the client and its redirect URI are known good, every problem is a page
 * for the person and never a redirect (an open redirector is how codes get stolen); after that,
 * problems go back to the client as OAuth errors, with state and iss.
 */
export async function authorizeGet(o: OAuthContext, req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
  const q = url.searchParams;
  const fail = (status: number, title: string, message: string) => sendHtml(res, status, errorPage(title, message), pageHeaders());
  for (const name of ['client_id', 'redirect_uri', 'response_type', 'state', 'code_challenge', 'code_challenge_method', 'scope']) {
    if (q.getAll(name).length > 1) return fail(400, 'This sign-in link is not valid', `The link gives ${name} more than once.`);
  }
  const clientId = q.get('client_id') ?? '';
  if (!clientId) return fail(400, 'This sign-in link is not valid', 'The link does not say which application is asking (client_id is missing).');
  const client = await o.clients.find(clientId);
  if ('error' in client) return fail(400, 'Unknown application', `This server does not know the application that sent you here: ${client.error}.`);
  const given = q.get('redirect_uri');
  const redirectUri = given ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri) return fail(400, 'This sign-in link is not valid', 'The link does not say where to send you back (redirect_uri), and the application registered more than one address.');
  if (!redirectUriMatches(client.redirectUris, redirectUri)) {
    return fail(400, 'This sign-in link is not valid', 'The address the link would send you back to is not one the application registered, so this server will not send you there.');
  }
  const issuer = issuerOf(o, req);
  const state = q.get('state') ?? undefined;
  const back = (error: string, description: string) => redirect(res, withQuery(redirectUri, { error, error_description: description, state, iss: issuer }));
  if (q.get('response_type') !== 'code') return back('unsupported_response_type', 'response_type must be code');
  const challenge = q.get('code_challenge');
  if (!challenge) return back('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256');
  if (q.get('code_challenge_method') !== 'S256') return back('invalid_request', 'code_challenge_method must be S256 (plain is not accepted)');
  if (!PKCE_CHALLENGE.test(challenge)) return back('invalid_request', 'code_challenge must be the base64url SHA-256 of the verifier (43 characters)');
  const scopes = requestedScopes(q.get('scope') ?? undefined);
  if ('error' in scopes) return back('invalid_scope', scopes.error);
  const resources = q.getAll('resource');
  if (resources.length > 1) return back('invalid_target', 'give one resource');
  const resource = resources.length ? ourResource(issuer, resources[0]) : issuer;
  if (!resource) return back('invalid_target', `this server issues tokens for ${issuer}/mcp and ${issuer}/sse only`);
  const pending: PendingRequest = { c: client.id, n: client.name, cr: client.ref, u: client.uri, r: redirectUri, re: given !== null, s: state, pk: challenge, res: resource, sc: scopes.scopes };
  const request = o.sealer.seal('request', pending, Math.floor(o.now() / 1000) + REQUEST_LIFETIME_S);
  sendHtml(res, 200, signInPage(view(o, pending, request)), pageHeaders(redirectUri));
}

const view = (o: OAuthContext, p: PendingRequest, request: string, extra: { username?: string; error?: string } = {}) => ({
  clientName: p.n,
  returnTo: returnTo(p.r),
  clientUri: p.u,
  request,
  offerWrite: !o.readOnly && p.sc.includes(SCOPE_WRITE),
  readOnlyServer: o.readOnly,
  apiHost: o.apiHost,
  ...extra,
});

/**
 * Whether a POST came from this server's own page. Browsers send Origin with every POST; one
 * that is absent or "null" (a privacy setting) is accepted only when Sec-Fetch-Site, which no
 * page can forge, says the request is same-origin.
 */
function fromOwnPage(o: OAuthContext, req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  const own = new URL(issuerOf(o, req)).origin;
  if (typeof origin === 'string' && origin !== 'null') return origin === own || (!o.publicUrl && sameLoopbackServer(origin, own));
  return req.headers['sec-fetch-site'] === 'same-origin';
}

/** On loopback, localhost and 127.0.0.1 with the same port are the same server. */
function sameLoopbackServer(origin: string, own: string) {
  try {
    const a = new URL(origin);
    const b = new URL(own);
    return a.protocol === b.protocol && a.port === b.port && isLoopback(a.hostname) && isLoopback(b.hostname);
  } catch {
    return false;
  }
}

/** POST /authorize: the sign-in itself. The password goes to the API's auth/login/ and is forgotten. */
export async function authorizePost(o: OAuthContext, req: http.IncomingMessage, res: http.ServerResponse) {
  if (!fromOwnPage(o, req)) return sendHtml(res, 403, errorPage('Sign-in refused', 'This sign-in did not come from this server’s own page, so it was not processed.'), pageHeaders());
  const read = await readForm(req);
  if ('error' in read) return sendHtml(res, 400, errorPage('Sign-in refused', read.error), pageHeaders());
  const form = read.form;
  const opened = o.sealer.open<PendingRequest>('request', form.request ?? '', o.now());
  if ('error' in opened) return sendHtml(res, 400, errorPage('This sign-in page has expired', 'Start again from the application.'), pageHeaders());
  const p = opened.value;
  const issuer = issuerOf(o, req);
  const headers = pageHeaders(p.r);
  if (form.cancel) return redirect(res, withQuery(p.r, { error: 'access_denied', error_description: 'the person declined', state: p.s, iss: issuer }));
  const username = (form.username ?? '').trim();
  const password = form.password ?? '';
  const again = (status: number, error: string) => sendHtml(res, status, signInPage(view(o, p, form.request, { username, error })), headers);
  if (!username || !password) return again(400, 'Enter your username and password.');
  if (username.length > 150 || password.length > 1_000) return again(400, 'That username or password is too long.');
  const address = clientAddress(req);
  const wait = o.backoff.wait(username, address, o.now());
  if (wait > 0) return again(429, `Too many failed sign-ins. Try again in ${wait} s.`);
  const login = await o.auth.login(username, password, address);
  if ('refused' in login) {
    o.backoff.failed(username, address, o.now());
    o.logger.info(`oauth: sign-in refused for "${username}" (from ${address})`);
    return again(400, 'The username or password is wrong.');
  }
  if ('throttled' in login) return again(429, `The Classic Models API is refusing sign-ins from your address for now. Try again in ${login.throttled} s.`);
  if ('unavailable' in login) {
    o.logger.warn(`oauth: sign-in for "${username}" could not reach the API: ${login.unavailable}`);
    return again(503, 'The Classic Models API cannot be reached right now. Try again in a minute.');
  }
  o.backoff.succeeded(username, address);
  const scope = grantedScope(p.sc, !o.readOnly && form.allow_write === '1');
  const grant: CodeGrant = { sub: login.ok.username, c: p.cr, aud: p.res, sc: scope, api: { access: login.ok.access, refresh: login.ok.refresh }, r: p.r, re: p.re, pk: p.pk };
  const code = o.sealer.seal('code', grant, Math.floor(o.now() / 1000) + CODE_LIFETIME_S);
  o.logger.info(`oauth: "${grant.sub}" signed in for "${p.n}" (${scope})`);
  redirect(res, withQuery(p.r, { code, state: p.s, iss: issuer }));
}

