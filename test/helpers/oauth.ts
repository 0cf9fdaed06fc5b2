import { createHash, randomBytes } from 'node:crypto';

/** What a client does by hand, step by step: tests drive each step and then break one on purpose. */

export interface Registered {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  [k: string]: unknown;
}

export const REDIRECT = 'http://127.0.0.1:7777/callback';

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function register(base: string, body: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ client_name: 'Test client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...body }) });
  return { status: res.status, body: await res.json() };
}

export async function registered(base: string, body: Record<string, unknown> = {}): Promise<Registered> {
  const r = await register(base, body);
  if (r.status !== 201) throw new Error(`registration: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export interface AuthorizeParams {
  client_id: string;
  redirect_uri?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  scope?: string;
  resource?: string;
  response_type?: string;
}

export const authorizeUrl = (base: string, p: AuthorizeParams) => {
  const u = new URL(`${base}/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', code_challenge_method: 'S256', ...p })) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
};

/** The sealed request the sign-in form carries, read from the page as a browser would see it. */
export const hiddenRequest = (html: string) => /name="request" value="([^"]+)"/.exec(html)?.[1]?.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));

export interface PageAnswer {
  status: number;
  location?: string;
  html: string;
  headers: Headers;
}

export async function getPage(url: string): Promise<PageAnswer> {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location') ?? undefined, html: await res.text(), headers: res.headers };
}

/** Posts the sign-in form as the page would (same Origin), or as told. */
export async function postSignIn(base: string, fields: Record<string, string>, headers: Record<string, string> = { Origin: new URL(base).origin }): Promise<PageAnswer> {
  const res = await fetch(`${base}/authorize`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
  return { status: res.status, location: res.headers.get('location') ?? undefined, html: await res.text(), headers: res.headers };
}

/** Opens the page and signs in: the redirect's code, state and iss, or the page shown instead. */
export async function signIn(base: string, p: AuthorizeParams, who: { username: string; password: string; allowWrite?: boolean }, headers?: Record<string, string>) {
  const page = await getPage(authorizeUrl(base, p));
  if (page.status !== 200) throw new Error(`authorize page: ${page.status} ${page.location ?? page.html.slice(0, 300)}`);
  const request = hiddenRequest(page.html)!;
  const answer = await postSignIn(base, { request, username: who.username, password: who.password, ...(who.allowWrite ? { allow_write: '1' } : {}) }, headers);
  const back = answer.location ? new URL(answer.location) : undefined;
  return { answer, request, code: back?.searchParams.get('code') ?? undefined, state: back?.searchParams.get('state') ?? undefined, iss: back?.searchParams.get('iss') ?? undefined, back };
}

/** A form body; fields set to undefined are left out, as a client that omits them would. */
const formOf = (fields: Record<string, string | undefined>) => new URLSearchParams(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined)).toString();

export async function tokenRequest(base: string, fields: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${base}/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: formOf(fields) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

export async function revokeRequest(base: string, fields: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/revoke`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  return { status: res.status, body: await res.json() };
}

/**
 * The whole flow for one person: register, sign in, redeem, all at `base`. `issuer` is where the
 * server says it is (its --public-url behind a proxy): the page's Origin and the resource.
 */
export async function signedIn(base: string, who: { username: string; password: string; allowWrite?: boolean }, extra: Partial<AuthorizeParams> = {}, issuer = base) {
  const client = await registered(base);
  const { verifier, challenge } = pkce();
  const s = await signIn(base, { client_id: client.client_id, redirect_uri: REDIRECT, state: 'st', code_challenge: challenge, scope: 'classic-models:read classic-models:write', resource: `${issuer}/mcp`, ...extra }, who, { Origin: new URL(issuer).origin });
  if (!s.code) throw new Error(`sign-in: ${s.answer.status} ${s.answer.html.slice(0, 500)}`);
  const t = await tokenRequest(base, { grant_type: 'authorization_code', code: s.code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT });
  if (t.status !== 200) throw new Error(`token: ${t.status} ${JSON.stringify(t.body)}`);
  return { client, code: s.code, verifier, tokens: t.body as { access_token: string; refresh_token: string; expires_in: number; scope: string } };
}

/** A JSON-RPC request straight to /mcp with a bearer, for status codes and headers the SDK hides. */
export async function mcpPost(base: string, token: string | undefined, body: unknown = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) {
  const res = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
