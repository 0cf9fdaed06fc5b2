import { CheckFailure, runSteps, type Report, type Step } from './report.js';

/** A fetch with a deadline whose failure says what could not be reached. */
async function get(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(5_000) });
  } catch (err) {
    const code = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CheckFailure(`cannot reach ${url} (${code})`, 'is the server running there, and is the address right?');
  }
}

async function jsonOf(res: Response, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new CheckFailure(`${what} is not a JSON object (HTTP ${res.status}: ${text.slice(0, 80).replace(/\s+/g, ' ')})`);
}

/**
 * `login-check --server`: follows a running server's OAuth discovery the way Claude and the SDK
 * do, link by link (401, resource metadata, authorization server metadata, then each endpoint),
 * and says which link is broken. It signs nobody in: the registration it makes is sealed and
 * stored nowhere, and the token request carries a code that cannot work.
 */
export async function oauthChainCheck(server: string): Promise<Report> {
  const given = new URL(server);
  const endpoint = /\/(mcp|sse)\/?$/.test(given.pathname) ? given.href.replace(/\/$/, '') : `${given.origin}${given.pathname.replace(/\/$/, '')}/mcp`;
  let resourceMetadataUrl = '';
  let resource: Record<string, unknown> = {};
  let as: Record<string, unknown> = {};
  const steps: Step[] = [
    {
      name: `401 from ${endpoint}`,
      async run() {
        const res = await get(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'login-check', version: '1' } } }) });
        await res.body?.cancel();
        if (res.status !== 401) throw new CheckFailure(`POST ${endpoint} without a token answered ${res.status}, not 401`, res.status < 300 ? 'the server lets anyone in without signing in' : 'is this the MCP endpoint of a classic-models-mcp serve-sse?');
        const challenge = res.headers.get('www-authenticate') ?? '';
        const m = /resource_metadata="([^"]+)"/.exec(challenge);
        if (!m) throw new CheckFailure(`the 401 has no resource_metadata in WWW-Authenticate ("${challenge.slice(0, 80)}")`, 'clients such as Claude cannot find the sign-in: start serve-sse with --oauth');
        resourceMetadataUrl = m[1];
        const scope = /scope="([^"]*)"/.exec(challenge)?.[1];
        return { detail: [`WWW-Authenticate points at ${resourceMetadataUrl}${scope ? `, scope "${scope}"` : ''}`] };
      },
    },
    {
      name: 'Protected resource metadata (RFC 9728)',
      async run() {
        const res = await get(resourceMetadataUrl);
        if (res.status !== 200) throw new CheckFailure(`${resourceMetadataUrl} answered ${res.status}`, 'behind a proxy, route /.well-known/ to the server (see the README nginx recipe)');
        resource = await jsonOf(res, 'the resource metadata');
        const servers = resource.authorization_servers;
        if (typeof resource.resource !== 'string' || !Array.isArray(servers) || typeof servers[0] !== 'string') throw new CheckFailure('the resource metadata lacks resource or authorization_servers');
        if (!endpoint.startsWith(resource.resource)) {
          throw new CheckFailure(`the metadata names the resource ${resource.resource}, which ${endpoint} is not under`, 'set --public-url to the address clients use (the SDK and Claude refuse a resource that does not match)');
        }
        return { detail: [`resource ${resource.resource}`, `authorization server ${servers[0]}`] };
      },
    },
    {
      name: 'Authorization server metadata (RFC 8414)',
      async run() {
        const issuer = (resource.authorization_servers as string[])[0].replace(/\/$/, '');
        const u = new URL(issuer);
        const url = `${u.origin}/.well-known/oauth-authorization-server${u.pathname === '/' ? '' : u.pathname}`;
        const res = await get(url);
        if (res.status !== 200) throw new CheckFailure(`${url} answered ${res.status}`);
        as = await jsonOf(res, 'the authorization server metadata');
        if (as.issuer !== issuer) throw new CheckFailure(`the metadata's issuer is ${String(as.issuer)}, not ${issuer}`, 'clients refuse metadata whose issuer differs: check --public-url');
        const missing = ['authorization_endpoint', 'token_endpoint'].filter((k) => typeof as[k] !== 'string');
        if (missing.length) throw new CheckFailure(`the metadata lacks ${missing.join(' and ')}`);
        const methods = as.code_challenge_methods_supported;
        if (!Array.isArray(methods) || !methods.includes('S256')) throw new CheckFailure('the metadata does not offer PKCE S256 (code_challenge_methods_supported)', 'MCP clients refuse an authorization server without it');
        const ways = [as.registration_endpoint ? 'Dynamic Client Registration' : '', as.client_id_metadata_document_supported ? 'Client ID Metadata Documents' : ''].filter(Boolean);
        if (!ways.length) throw new CheckFailure('the server offers neither client registration nor Client ID Metadata Documents', 'Claude and ChatGPT need one of them');
        return { detail: [`issuer ${issuer}`, `clients by ${ways.join(' and ')}`, `scopes ${(as.scopes_supported as string[] | undefined)?.join(' ') ?? 'none listed'}`] };
      },
    },
    {
      name: 'Endpoints',
      async run() {
        const detail: string[] = [];
        let clientId: string | undefined;
        if (typeof as.registration_endpoint === 'string') {
          const res = await get(as.registration_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ client_name: 'login-check', redirect_uris: ['http://127.0.0.1:9/callback'], token_endpoint_auth_method: 'none' }) });
          const body = await jsonOf(res, 'the registration answer');
          if (res.status !== 201 || typeof body.client_id !== 'string') throw new CheckFailure(`registration (${as.registration_endpoint}) answered ${res.status}: ${String(body.error_description ?? body.error ?? '')}`);
          clientId = body.client_id;
          detail.push(`registration: 201, a client_id issued`);
        }
        const auth = new URL(as.authorization_endpoint as string);
        if (clientId) {
          for (const [k, v] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: 'http://127.0.0.1:9/callback', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 'login-check' })) auth.searchParams.set(k, v);
        }
        const page = await get(auth.href);
        const html = await page.text();
        if (clientId ? page.status !== 200 || !/<form/i.test(html) : page.status >= 500) throw new CheckFailure(`the sign-in page (${as.authorization_endpoint}) answered ${page.status}${/<form/i.test(html) ? '' : ' without a form'}`);
        detail.push(`sign-in page: ${page.status}${clientId ? ', a form' : ''}`);
        const token = await get(as.token_endpoint as string, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: 'login-check', code_verifier: 'x'.repeat(43), redirect_uri: 'http://127.0.0.1:9/callback', ...(clientId ? { client_id: clientId } : {}) }).toString() });
        const tbody = await jsonOf(token, 'the token endpoint answer');
        const expected = clientId ? 'invalid_grant' : 'invalid_client';
        if (tbody.error !== expected) throw new CheckFailure(`the token endpoint (${as.token_endpoint}) answered ${token.status} ${String(tbody.error ?? '')}, not ${expected} for a code that cannot work`);
        detail.push(`token endpoint: ${token.status} ${expected} for a made-up code, as it should`);
        return { detail };
      },
    },
  ];
  return runSteps(steps);
}
