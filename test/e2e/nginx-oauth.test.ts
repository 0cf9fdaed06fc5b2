import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica } from '../../src/demo/server.js';
import { call, keepCalling } from '../helpers/mcp.js';
import { NGINX, startCluster } from '../helpers/nginx.js';
import { connectWithOAuth, TestOAuthProvider } from '../helpers/oauth-client.js';
import { mcpPost, REDIRECT, signedIn, tokenRequest } from '../helpers/oauth.js';
import { KIT_PRESENT, signUp, startRealApi } from '../real-api/kit.js';

/**
 * OAuth across instances with no shared store: two stateless instances behind the README's
 * nginx recipe, round-robin on every path, sharing only OAUTH_SECRET. What one instance issued,
 * the other opens; what the API blacklisted, neither accepts. Real API when the kit is there.
 */
describe.skipIf(!NGINX)('OAuth behind nginx: two instances, no shared store', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let stopApi: () => Promise<void>;
  let person: { username: string; password: string };
  const direct = (i: number) => `http://127.0.0.1:${cluster.instances[i].port}`;

  beforeAll(async () => {
    let apiUrl: string;
    if (KIT_PRESENT) {
      const api = await startRealApi({ readRate: '10000000/min' });
      stopApi = () => api.stop();
      person = await signUp(api, 'ng');
      apiUrl = api.url;
    } else {
      const replica = await startReplica({ throttles: { read: null, login: null } });
      stopApi = () => replica.stop();
      person = { username: 'analyst', password: 'analyst123' };
      apiUrl = replica.url;
    }
    cluster = await startCluster({ env: { CLASSIC_MODELS_API_URL: apiUrl, OAUTH_SECRET: 'cluster-secret-0123456789abcdefghijklmnop' }, args: (url) => ['--oauth', '--public-url', url] });
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
    await stopApi?.();
  });

  it('signed in through one instance, the other serves the calls and the refresh; replays fail on both', async () => {
    // The issuer is nginx's address (--public-url): the page posts there, whichever instance serves it.
    const viaA = await signedIn(direct(0), person, {}, cluster.url);
    const { client, code, verifier, tokens } = viaA;
    expect((await mcpPost(direct(1), tokens.access_token)).status).toBe(200);
    const refreshed = await tokenRequest(direct(1), { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id });
    expect(refreshed.status).toBe(200);
    expect((await mcpPost(direct(0), refreshed.body.access_token)).status).toBe(200);
    for (const i of [0, 1]) {
      const code2 = await tokenRequest(direct(i), { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT });
      expect(code2.body.error, `code replayed on instance ${i}`).toBe('invalid_grant');
      const refresh2 = await tokenRequest(direct(i), { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id });
      expect(refresh2.body.error, `refresh token replayed on instance ${i}`).toBe('invalid_grant');
    }
  });

  it("the SDK's OAuth client signs in and calls through nginx while both instances restart in turn: no failed call", { timeout: 120_000 }, async () => {
    const provider = new TestOAuthProvider(person);
    const client = await connectWithOAuth(cluster.url, 'mcp', provider);
    let running = true;
    const load = keepCalling(client, { going: () => running, pick: (i) => (i % 2 ? ['classic_models_whoami', {}] : ['classic_models_get_office', { officecode: '1' }]), pauseMs: 20 });
    await new Promise((r) => setTimeout(r, 1_000));
    const exits = await cluster.rollingRestart();
    running = false;
    const { calls, failures } = await load;
    await client.close();
    expect(exits).toEqual([0, 0]);
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(100);
  });
});
