import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connectHttp, connectStdio, startHttpServer, type Connected, type HttpServerProcess } from '../helpers/mcp.js';
import { checkLeniency } from '../helpers/leniency.js';
import { checkSurface, notifications } from '../helpers/surface.js';
import { blacklistRefreshTokens, envFor, KIT_PRESENT, signUp, startRealApi, type RealApi } from './kit.js';

/** Resources, prompts, completions and log notifications against the real API, over stdio and /mcp. */
describe.skipIf(!KIT_PRESENT)('real API: resources, prompts, completions, logging', () => {
  let api: RealApi;
  let stdio: Connected;
  let http: HttpServerProcess;
  beforeAll(async () => {
    api = await startRealApi({ accessLifetime: 2 });
    stdio = await connectStdio(['serve-stdio'], envFor(api));
    http = await startHttpServer(['--audit-log', 'off'], { ...envFor(api), LOG_LEVEL: 'info', SSE_BEARER_TOKEN: 'surface-token' });
  });
  afterAll(async () => {
    await stdio?.close();
    await http?.stop();
    await api?.stop();
  });

  it('stdio: every resource, prompt and completion check', async () => {
    await checkSurface(stdio.client, { exact: false });
  });

  it('/mcp: every resource, prompt and completion check', async () => {
    const client = await connectHttp(http.url, 'mcp', 'surface-token');
    await checkSurface(client, { exact: false });
    await client.close();
  });

  it('lenient arguments and their refusals, over stdio and /mcp', async () => {
    await checkLeniency(stdio.client);
    const client = await connectHttp(http.url, 'mcp', 'surface-token');
    await checkLeniency(client);
    await client.close();
  });

  it('a refresh the real API refuses (blacklisted) is told to the client as a re-login', async () => {
    const user = await signUp(api, 'note');
    const s = await connectStdio(['serve-stdio'], envFor(api, { API_USERNAME: user.username, API_PASSWORD: user.password }));
    const log = notifications(s.client);
    await s.client.setLoggingLevel('info');
    await call(s.client, 'classic_models_whoami');
    expect(await log.next(new RegExp(`^signed in to the Classic Models API as ${user.username}$`))).toMatchObject({ level: 'info' });
    await blacklistRefreshTokens(user.username);
    await new Promise((r) => setTimeout(r, 2_200));
    expect((await call(s.client, 'classic_models_get_office', { officecode: '1' })).isError).toBe(false);
    expect(await log.next(/^signed in again .*\(Token is blacklisted\)$/)).toMatchObject({ level: 'warning' });
    await s.close();
  });
});
