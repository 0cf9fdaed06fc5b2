import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { call, connectHttp, connectStdio, startHttpServer, type HttpServerProcess, replicaEnv } from '../helpers/mcp.js';
import { checkLeniency } from '../helpers/leniency.js';
import { checkSurface, notifications } from '../helpers/surface.js';

/** Logging, resources, prompts and completions over each transport, against the replica. */
const envFor = (r: Replica) => replicaEnv(r, { LOG_LEVEL: 'info', SSE_BEARER_TOKEN: 'surface-token' });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function connect(kind: 'stdio' | 'sse' | 'mcp', replica: Replica, args: string[] = []): Promise<Client> {
  if (kind === 'stdio') {
    const s = await connectStdio(['serve-stdio', ...args], envFor(replica));
    cleanups.push(() => s.close());
    return s.client;
  }
  const server: HttpServerProcess = await startHttpServer(['--audit-log', 'off', ...args], envFor(replica));
  cleanups.push(() => server.stop());
  const client = await connectHttp(server.url, kind, 'surface-token');
  cleanups.push(() => client.close());
  return client;
}

describe.each(['stdio', 'sse', 'mcp'] as const)('over %s', (kind) => {
  it('declares logging, resources, prompts and completions, and serves them', async () => {
    const replica = await startReplica();
    cleanups.push(() => replica.stop());
    const client = await connect(kind, replica);
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, logging: {}, resources: {}, prompts: {}, completions: {} });
    await checkSurface(client);
  });

  it('takes what clients and models mean, refuses the rest with the field named', async () => {
    const replica = await startReplica();
    cleanups.push(() => replica.stop());
    await checkLeniency(await connect(kind, replica));
  });

  it('log notifications at the level the client set: sign-in, a re-login after a refused refresh, the API gone and back', async () => {
    const replica = await startReplica({ accessLifetimeSeconds: 1 });
    cleanups.push(() => replica.stop());
    const client = await connect(kind, replica);
    const log = notifications(client);
    expect(await client.setLoggingLevel('info')).toEqual({});
    await call(client, 'classic_models_get_office', { officecode: '1' });
    expect(await log.next(/^signed in to the Classic Models API as demo$/)).toMatchObject({ level: 'info', logger: 'classic-models-api' });

    await new Promise((r) => setTimeout(r, 1_100));
    replica.inject({ method: 'POST', path: /^auth\/refresh\/$/, status: 401, body: { detail: 'Token is blacklisted', code: 'token_not_valid' }, times: 1 });
    expect((await call(client, 'classic_models_get_office', { officecode: '2' })).isError).toBe(false);
    expect(await log.next(/^signed in again .*Token is blacklisted/)).toMatchObject({ level: 'warning' });

    // Below the level the client asked for: not sent.
    await client.setLoggingLevel('critical');
    await replica.stop();
    expect((await call(client, 'classic_models_get_office', { officecode: '3' })).text).toMatch(/^cannot reach/);
    await new Promise((r) => setTimeout(r, 200));
    expect(log.seen.some((m) => /cannot reach/.test(String(m.data)))).toBe(false);
    await client.setLoggingLevel('notice');
    await replica.start();
    expect((await call(client, 'classic_models_get_office', { officecode: '4' })).isError).toBe(false);
    expect(await log.next(/answers again/)).toMatchObject({ level: 'notice' });
    expect(JSON.stringify(log.seen)).not.toMatch(/demo123|eyJ/);
  });
});

describe('--toolsets and --read-only with resources and prompts', () => {
  it('--toolsets customers,orders: their templates and tables only; prompts that need other tools are gone', async () => {
    const replica = await startReplica();
    cleanups.push(() => replica.stop());
    const client = await connect('stdio', replica, ['--toolsets', 'customers,orders']);
    expect((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(['classicmodels://customers/{customernumber}', 'classicmodels://orders/{ordernumber}']);
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['classicmodels://schema']);
    const schema = JSON.parse(((await client.readResource({ uri: 'classicmodels://schema' })).contents[0] as { text: string }).text);
    expect(schema.tables.map((t: { name: string }) => t.name)).toEqual(['customers', 'orders']);
    await expect(client.readResource({ uri: 'classicmodels://payments/103/HQ336336' })).rejects.toMatchObject({ code: -32002 });
    expect((await client.listPrompts()).prompts).toEqual([]);
    expect((await client.complete({ ref: { type: 'ref/resource', uri: 'classicmodels://payments/{customernumber}/{checknumber}' }, argument: { name: 'checknumber', value: '' } })).completion.values).toEqual([]);
  });

  it('--read-only keeps every resource and prompt (they only read)', async () => {
    const replica = await startReplica();
    cleanups.push(() => replica.stop());
    const client = await connect('stdio', replica, ['--read-only']);
    expect((await client.listTools()).tools).toHaveLength(18);
    await checkSurface(client);
  });
});
