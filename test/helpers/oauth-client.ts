import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { hiddenRequest } from './oauth.js';

/**
 * The SDK's own OAuth client, with a "browser" that signs in as a person would: it opens the
 * authorization URL, reads the form and posts it from the page's origin. Everything else (DCR,
 * PKCE, the token exchange, refreshing after a 401) is the SDK's doing.
 */
export class TestOAuthProvider implements OAuthClientProvider {
  info?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  code?: string;
  /** Every token response the SDK saved, in order: refreshes show up here. */
  readonly history: OAuthTokens[] = [];
  clientMetadataUrl?: string;

  constructor(
    private readonly who: { username: string; password: string; allowWrite?: boolean },
    readonly redirectUrl = 'http://127.0.0.1:7777/callback',
    opts: { clientMetadataUrl?: string } = {},
  ) {
    this.clientMetadataUrl = opts.clientMetadataUrl;
  }

  get clientMetadata() {
    return { client_name: 'SDK test client', redirect_uris: [String(this.redirectUrl)], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
    this.history.push(tokens);
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }

  async redirectToAuthorization(url: URL) {
    const page = await fetch(url, { redirect: 'manual' });
    const html = await page.text();
    if (page.status !== 200) throw new Error(`sign-in page: ${page.status} ${page.headers.get('location') ?? html.slice(0, 200)}`);
    const fields: Record<string, string> = { request: hiddenRequest(html)!, username: this.who.username, password: this.who.password };
    if (this.who.allowWrite) fields.allow_write = '1';
    const posted = await fetch(new URL('/authorize', url), { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: url.origin }, body: new URLSearchParams(fields).toString() });
    const location = posted.headers.get('location');
    if (posted.status !== 302 || !location) throw new Error(`sign-in: ${posted.status} ${(await posted.text()).slice(0, 300)}`);
    this.code = new URL(location).searchParams.get('code') ?? undefined;
  }
}

type Kind = 'mcp' | 'sse';
const transportFor = (base: string, kind: Kind, provider: OAuthClientProvider) =>
  kind === 'mcp' ? new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { authProvider: provider }) : new SSEClientTransport(new URL(`${base}/sse`), { authProvider: provider });

/** Connects as a client app would the first time: a 401, the sign-in, the code exchanged, connected. */
export async function connectWithOAuth(base: string, kind: Kind, provider: TestOAuthProvider): Promise<Client> {
  const first = transportFor(base, kind, provider);
  const client = new Client({ name: `oauth-${kind}`, version: '1.0.0' });
  try {
    await client.connect(first);
    return client;
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
  }
  if (!provider.code) throw new Error('the sign-in gave no code');
  await first.finishAuth(provider.code);
  const again = new Client({ name: `oauth-${kind}`, version: '1.0.0' });
  await again.connect(transportFor(base, kind, provider));
  return again;
}
