import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, rereadSecretFiles } from '../../src/config/config.js';
import { closeContext, createContext, type AppContext } from '../../src/context.js';
import { startReplica, type Replica } from '../../src/demo/server.js';
import { Identities } from '../../src/identity/identities.js';
import { silentLogger } from '../../src/log/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'cm-rotation-'));
let replica: Replica | undefined;
let ctx: AppContext | undefined;
afterEach(async () => {
  if (ctx) await closeContext(ctx);
  await replica?.stop();
});

describe('secret files', () => {
  it('are read with the trailing newline trimmed, marked as from a file, and read again on demand', () => {
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'first-password\r\n');
    const loaded = loadConfig({ env: { API_PASSWORD_FILE: pw }, cwd: dir });
    expect(loaded.config.password).toBe('first-password');
    expect(loaded.sources.password).toEqual({ source: 'file', name: 'API_PASSWORD_FILE' });
    writeFileSync(pw, 'second-password\n');
    expect(rereadSecretFiles(loaded)).toEqual({ password: 'second-password' });
  });

  it('a token file holds several tokens, one per line or comma-separated', () => {
    const t = join(dir, 'tokens');
    writeFileSync(t, 'token-one-123456\ntoken-two-123456, token-three-1234\n');
    expect(loadConfig({ env: { SSE_BEARER_TOKEN_FILE: t }, cwd: dir }).config.bearerTokens).toEqual(['token-one-123456', 'token-two-123456', 'token-three-1234']);
  });
});

describe('rotating the API password (SIGHUP)', () => {
  it('the re-read password is used at the next login', async () => {
    replica = await startReplica();
    const pw = join(dir, 'api-pw');
    writeFileSync(pw, 'not-the-password\n');
    ctx = createContext(loadConfig({ env: { CLASSIC_MODELS_API_URL: replica.url, API_PASSWORD_FILE: pw }, cwd: dir }), silentLogger);
    const identities = new Identities(ctx);
    await expect(ctx.api.request('GET', ['auth', 'me'])).rejects.toThrow(/Invalid credentials/);
    writeFileSync(pw, 'demo123\n');
    expect(identities.reload()).toBe('re-read API_PASSWORD_FILE; 1 tokens valid; sessions kept');
    await expect(ctx.api.request('GET', ['auth', 'me'])).resolves.toMatchObject({ username: 'demo' });
  });
});
