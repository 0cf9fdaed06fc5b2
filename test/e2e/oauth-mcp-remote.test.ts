import { chmodSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { freePort } from '../helpers/ports.js';
import { call, startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';

/**
 * mcp-remote, the bridge that lets stdio-only clients (Claude Desktop's config file, older
 * Cursor) reach a remote server with OAuth: it discovers the sign-in, registers itself, opens
 * "the browser" (here a script that signs in as a person would) and waits on its own callback.
 */
const PROXY = createRequire(import.meta.url).resolve('mcp-remote/dist/proxy.js');
const BROWSER_SCRIPT = fileURLToPath(new URL('../helpers/sign-in-browser.mjs', import.meta.url));

let replica: Replica;
let srv: HttpServerProcess;

beforeAll(async () => {
  replica = await startReplica({ throttles: { read: null, write: null } });
  srv = await startHttpServer(['--oauth'], { CLASSIC_MODELS_API_URL: replica.url, OAUTH_SECRET: 'mcp-remote-test-secret-0123456789abcdefgh' });
});
afterAll(async () => {
  await srv?.stop();
  await replica?.stop();
});

describe('mcp-remote', () => {
  it('signs in through the browser it opens, then calls tools as that person', { timeout: 60_000 }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'cm-mcp-remote-'));
    const browser = join(home, 'browser');
    writeFileSync(browser, `#!/bin/sh\nexec "${process.execPath}" "${BROWSER_SCRIPT}" "$1"\n`);
    chmodSync(browser, 0o755);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [PROXY, `${srv.url}/mcp`, String(await freePort())],
      env: { PATH: process.env.PATH ?? '', HOME: home, MCP_REMOTE_CONFIG_DIR: join(home, 'auth'), BROWSER: browser, CM_SIGN_IN_USER: 'analyst', CM_SIGN_IN_PASSWORD: 'analyst123' },
      stderr: 'pipe',
    });
    let err = '';
    transport.stderr?.on('data', (d) => (err += d));
    const client = new Client({ name: 'via-mcp-remote', version: '1.0.0' });
    try {
      await client.connect(transport);
      const tools = (await client.listTools()).tools;
      // No "allow changes" on the page: a read-only grant.
      expect(tools).toHaveLength(18);
      expect((await call(client, 'classic_models_whoami')).data.username).toBe('analyst');
      expect((await call(client, 'classic_models_get_office', { officecode: '1' })).data.city).toBe('San Francisco');
      // It kept the tokens where its config dir is, as it does for a person.
      expect(readdirSync(join(home, 'auth')).length).toBeGreaterThan(0);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nmcp-remote said:\n${err.slice(-3000)}`);
    } finally {
      await client.close();
    }
  });
});
