import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { call, startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';
import { connectWithOAuth, TestOAuthProvider } from '../helpers/oauth-client.js';
import { authorizeUrl, getPage, pkce, REDIRECT } from '../helpers/oauth.js';
import { selfSignedCert } from '../helpers/tls.js';

/**
 * Client ID Metadata Documents: the client_id is an https URL, and the server fetches the
 * client's metadata from it, fenced in as a fetch made on a stranger's word must be. The
 * documents are served over https on loopback with a throwaway certificate, which the server
 * trusts through NODE_EXTRA_CA_CERTS, as an operator would add a private CA.
 */
let replica: Replica;
let docs: https.Server;
let docsBase: string;
let srv: HttpServerProcess;
let strict: HttpServerProcess;
const fetches: Record<string, number> = {};

function document(path: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({ client_id: `${docsBase}${path}`, client_name: 'Metadata Client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...extra });
}

beforeAll(async () => {
  const tls = selfSignedCert();
  docs = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const path = req.url ?? '/';
    fetches[path] = (fetches[path] ?? 0) + 1;
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(body);
    };
    if (path === '/client.json') return send(200, document(path, { client_name: 'SDK via metadata' }), { 'Cache-Control': 'max-age=60' });
    if (path === '/nostore.json') return send(200, document(path), { 'Cache-Control': 'no-store' });
    if (path === '/large.json') return send(200, document(path, { padding: 'x'.repeat(6_000) }));
    if (path === '/moved.json') return send(302, '', { Location: `${docsBase}/client.json` });
    if (path === '/other.json') return send(200, JSON.stringify({ client_id: `${docsBase}/client.json`, redirect_uris: [REDIRECT] }));
    if (path === '/secret.json') return send(200, document(path, { client_secret: 'x' }));
    if (path === '/evil-redirect.json') return send(200, document(path, { redirect_uris: ['http://evil.example/cb'] }));
    send(404, '{}');
  });
  await new Promise<void>((r) => docs.listen(0, '127.0.0.1', () => r()));
  docsBase = `https://127.0.0.1:${(docs.address() as AddressInfo).port}`;
  replica = await startReplica({ throttles: { read: null, write: null, login: null } });
  const env = { CLASSIC_MODELS_API_URL: replica.url, OAUTH_SECRET: 'documents-test-secret-0123456789abcdefgh', NODE_EXTRA_CA_CERTS: tls.certFile };
  srv = await startHttpServer(['--oauth', '--oauth-allow-private-client-urls'], env);
  strict = await startHttpServer(['--oauth'], env);
});
afterAll(async () => {
  await srv?.stop();
  await strict?.stop();
  await replica?.stop();
  docs?.close();
});

const pageFor = (base: string, path: string) => getPage(authorizeUrl(base, { client_id: `${docsBase}${path}`, redirect_uri: REDIRECT, code_challenge: pkce().challenge }));

describe('Client ID Metadata Documents', () => {
  it("the SDK's client signs in with its metadata URL as client_id, and the document is cached as its headers say", async () => {
    const provider = new TestOAuthProvider({ username: 'demo', password: 'demo123' }, REDIRECT, { clientMetadataUrl: `${docsBase}/client.json` });
    const client = await connectWithOAuth(srv.url, 'mcp', provider);
    expect(provider.info?.client_id).toBe(`${docsBase}/client.json`);
    expect((await call(client, 'classic_models_whoami')).data.username).toBe('demo');
    await client.close();
    const page = await pageFor(srv.url, '/client.json');
    expect(page.html).toContain('<strong>SDK via metadata</strong>');
    expect(fetches['/client.json']).toBe(1);
    await pageFor(srv.url, '/nostore.json');
    await pageFor(srv.url, '/nostore.json');
    expect(fetches['/nostore.json']).toBe(2);
  });

  it('refuses a document that is too large, redirects, names another client_id, carries a secret or an unsafe redirect URI', async () => {
    for (const [path, why] of [
      ['/large.json', 'larger than 5120 bytes'],
      ['/moved.json', 'redirects are not followed'],
      ['/other.json', 'names another client_id than its own URL'],
      ['/secret.json', 'carries a client secret'],
      ['/evil-redirect.json', 'plain http on a host that is not loopback'],
      ['/missing.json', 'answered HTTP 404'],
    ]) {
      const page = await pageFor(srv.url, path);
      expect(page.status, path).toBe(400);
      expect(page.location).toBeUndefined();
      expect(page.html, path).toContain(why);
    }
  });

  it('never fetches from a private or loopback address unless the setting allows it', async () => {
    const before = fetches['/client.json'];
    const page = await pageFor(strict.url, '/client.json');
    expect(page.status).toBe(400);
    expect(page.html).toContain('on a private address (127.0.0.1)');
    expect(fetches['/client.json']).toBe(before);
    const http = await getPage(authorizeUrl(strict.url, { client_id: 'http://example.com/client.json', redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
    expect(http.status).toBe(400);
  });
});
