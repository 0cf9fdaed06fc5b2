import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getMcpConfigForManifest, hasRequiredConfigMissing, unpackExtension } from '@anthropic-ai/mcpb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTools } from '../../src/tools/registry.js';
import { PROMPTS } from '../../src/prompts/prompts.js';
import { call } from '../helpers/mcp.js';
import { KIT_PRESENT, signUp, startRealApi, type RealApi } from '../real-api/kit.js';

/**
 * The MCP Bundle as Claude Desktop installs it: built with one command, validated with the
 * bundle tooling's own validator, unpacked, its command, args and env resolved from a set of
 * settings with the tooling's own substitution, and started from exactly that command through
 * the SDK's stdio client, on the replica (demo mode) and on the real API.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const MCPB = join(ROOT, `build/${pkg.name}-${pkg.version}.mcpb`);
const CLI = join(ROOT, 'node_modules/@anthropic-ai/mcpb/dist/cli/cli.js');

let dir: string;
let manifest: any;

beforeAll(async () => {
  const built = spawnSync(process.execPath, ['build.mjs', '--package-only'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build.mjs --package-only: ${built.stderr}${built.stdout}`);
  dir = mkdtempSync(join(tmpdir(), 'cm-mcpb-'));
  await unpackExtension({ mcpbPath: MCPB, outputDir: dir, silent: true });
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
}, 60_000);

/** The form as a person submits it: every field pre-filled with its default, then what they typed. */
const filled = (entries: Record<string, unknown>) => ({ ...Object.fromEntries(Object.entries<any>(manifest.user_config).map(([k, f]) => [k, f.default])), ...entries });

/** The server as Claude Desktop would start it for these settings: the manifest's command, resolved. */
async function install(entries: Record<string, unknown>) {
  const userConfig = filled(entries);
  const config = await getMcpConfigForManifest({ manifest, extensionPath: dir, systemDirs: { HOME: dir, DATA: dir, DOCUMENTS: dir, DESKTOP: dir, DOWNLOADS: dir }, userConfig: userConfig as never, pathSeparator: '/' });
  if (!config) throw new Error('Claude Desktop would not start it: required configuration is missing');
  const transport = new StdioClientTransport({ command: config.command, args: config.args, env: { PATH: process.env.PATH ?? '', ...config.env }, stderr: 'pipe' });
  const client = new Client({ name: 'claude-desktop-like', version: '1.0.0' });
  await client.connect(transport);
  return { client, config };
}

describe('the MCP Bundle (.mcpb)', () => {
  it('passes mcpb validate, and holds the manifest, the one-file server and a 512×512 icon', () => {
    const v = spawnSync(process.execPath, [CLI, 'validate', join(ROOT, 'build/mcpb/manifest.json')], { encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/Manifest schema validation passes/);
    expect(readFileSync(join(dir, manifest.server.entry_point))).toEqual(readFileSync(join(ROOT, 'dist/classic-models-mcp.js')));
    const png = readFileSync(join(dir, 'icon.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
  });

  it('is derived: the tools and prompts the server offers, the settings of src/config with defaults', () => {
    expect(manifest).toMatchObject({ manifest_version: '0.3', server: { type: 'node' }, compatibility: { platforms: ['darwin', 'win32', 'linux'], runtimes: { node: '>=20.0.0' } } });
    expect(manifest.tools.map((t: { name: string }) => t.name)).toEqual(allTools().map((t) => t.name));
    expect(manifest.prompts.map((p: { name: string }) => p.name)).toEqual(PROMPTS.map((p) => p.name));
    expect(Object.keys(manifest.user_config)).toEqual(['api_url', 'username', 'password', 'api_key', 'read_only', 'toolsets', 'demo']);
    expect(manifest.user_config.api_url).toMatchObject({ required: true, default: 'http://localhost:8000', title: 'Classic Models API URL' });
    expect(manifest.user_config.password.sensitive).toBe(true);
    expect(manifest.user_config.api_key).toMatchObject({ sensitive: true, required: false });
    for (const [key, field] of Object.entries<any>(manifest.user_config)) if (!field.required) expect(field.default, `${key} needs a default`).toBeDefined();
  });

  it('demo mode, no backend: starts from exactly its command and answers from the replica', async () => {
    const { client, config } = await install({ demo: true });
    expect(config.command).toBe('node');
    expect(config.args).toEqual([`${dir}/server/classic-models-mcp.js`, 'serve-stdio']);
    expect(config.env).toMatchObject({ CLASSIC_MODELS_DEMO: 'true', API_KEY: '', CLASSIC_MODELS_API_URL: 'http://localhost:8000' });
    expect(client.getServerVersion()?.icons?.[0]).toMatchObject({ mimeType: 'image/png', sizes: ['512x512'] });
    expect((await client.listTools()).tools).toHaveLength(42);
    expect((await call(client, 'classic_models_whoami')).data.username).toBe('demo');
    expect((await call(client, 'classic_models_get_office', { officecode: '1' })).data.city).toBe('San Francisco');
    await client.close();
  });

  it('a required setting left empty: Claude Desktop would not start it and says the configuration is missing', async () => {
    const emptied = filled({ api_url: '' });
    expect(hasRequiredConfigMissing({ manifest, userConfig: emptied as never })).toBe(true);
    expect(await getMcpConfigForManifest({ manifest, extensionPath: dir, systemDirs: {}, userConfig: emptied as never, pathSeparator: '/' })).toBeUndefined();
    expect(hasRequiredConfigMissing({ manifest, userConfig: filled({}) as never })).toBe(false);
  });

  it('read-only from the form: only the tools that read', async () => {
    const { client } = await install({ demo: true, read_only: true, toolsets: 'offices,query' });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['classic_models_get_office', 'classic_models_list_offices', 'classic_models_query', 'classic_models_whoami']);
    await client.close();
  });
});

describe.skipIf(!KIT_PRESENT)('the MCP Bundle on the real API', () => {
  let api: RealApi;
  beforeAll(async () => {
    api = await startRealApi();
  });
  afterAll(() => api?.stop());

  it('signs in with the username and password of the form; a wrong password is one line naming the form fields', async () => {
    const person = await signUp(api, 'mcpb');
    const right = await install({ api_url: api.url, username: person.username, password: person.password });
    expect((await call(right.client, 'classic_models_whoami')).data.username).toBe(person.username);
    expect((await call(right.client, 'classic_models_get_customer', { customernumber: 103 })).data.customername).toBe('Atelier graphique');
    await right.client.close();
    const wrong = await install({ api_url: api.url, username: person.username, password: 'not-the-password' });
    const r = await call(wrong.client, 'classic_models_whoami');
    expect(r.isError).toBe(true);
    expect(r.text.split('\n')).toHaveLength(1);
    expect(r.text).toContain('the Username and Password settings of the Classic Models extension');
    expect(r.text).not.toContain('not-the-password');
    await wrong.client.close();
  });
});
