import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { SETTINGS_TABLE } from '../../src/config/config.js';
import { bundleManifest, registryServer, type PackageInfo } from '../../src/packaging/manifest.js';

/** What the extension manifest, server.json and the README derive from the one settings table. */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageInfo;
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('derived from the settings table', () => {
  it('every setting has a place in the extension form, or a stated reason to leave it out', () => {
    const manifest = bundleManifest(pkg);
    for (const s of SETTINGS_TABLE) {
      if ('omit' in s.form) expect(s.form.omit.length, `${s.key}: say why it is not in the form`).toBeGreaterThan(10);
      else {
        expect(manifest.user_config[s.form.key], s.key).toBeDefined();
        expect((manifest.server.mcp_config.env as Record<string, string>)[s.env[0]]).toBe(`\${user_config.${s.form.key}}`);
      }
    }
  });

  it("every setting's variable is in the README's configuration table", () => {
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## ', readme.indexOf('## Configuration') + 5));
    for (const s of SETTINGS_TABLE) expect(table, `${s.env[0]} (${s.key}) is missing from the README's configuration table`).toContain(`\`${s.env[0]}\``);
  });

  it('server.json validates against the registry schema, and holds to what this project adds', () => {
    const server = registryServer(pkg);
    expect(registrySchemaErrors(server)).toEqual([]);
    // Beyond the schema: what the registry checks at publish time, and what Claude's forms need.
    expect(server.$schema).toBe('https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json');
    expect(server.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(server.name).toBe(pkg.mcpName);
    expect(server.packages[0]).toMatchObject({ registryType: 'npm', identifier: pkg.name, version: pkg.version, runtimeHint: 'npx', transport: { type: 'stdio' } });
    const vars = server.packages[0].environmentVariables;
    for (const v of vars) expect(v.name).toMatch(/^[A-Z_][A-Z0-9_]*$/);
    expect(vars.find((v) => v.name === 'API_PASSWORD')).toMatchObject({ isSecret: true, isRequired: false });
    expect(vars.find((v) => v.name === 'API_KEY')).toMatchObject({ isSecret: true, isRequired: false });
    expect(vars.find((v) => v.name === 'CLASSIC_MODELS_API_URL')).toMatchObject({ isRequired: true, default: 'http://localhost:8000' });
  });

  // The schema copy is only worth having if it refuses what the registry refuses.
  it.each([
    ['a description over 100 characters', (s: Doc) => ({ ...s, description: 'x'.repeat(101) })],
    ['a name without its namespace', (s: Doc) => ({ ...s, name: 'classic-models-mcp' })],
    ['no version', ({ version: _v, ...s }: Doc) => s],
    ['a package at "latest"', (s: Doc) => ({ ...s, packages: [{ ...s.packages[0], version: 'latest' }] })],
    ['a package with no transport', (s: Doc) => ({ ...s, packages: [{ ...s.packages[0], transport: undefined }] })],
    ['an unknown transport', (s: Doc) => ({ ...s, packages: [{ ...s.packages[0], transport: { type: 'websocket' } }] })],
    ['a positional argument with neither value nor valueHint', (s: Doc) => ({ ...s, packages: [{ ...s.packages[0], packageArguments: [{ type: 'positional' }] }] })],
    ['an environment variable with no name', (s: Doc) => ({ ...s, packages: [{ ...s.packages[0], environmentVariables: [{ description: 'x' }] }] })],
    ['an input format the registry does not know', (s: Doc) => ({ ...s, packages: [{ ...s.packages[0], environmentVariables: [{ name: 'X', format: 'password' }] }] })],
    ['an icon URL over 255 characters', (s: Doc) => ({ ...s, icons: [{ src: `https://example.com/${'i'.repeat(240)}.png` }] })],
    ['a remote whose URL is not http(s)', (s: Doc) => ({ ...s, remotes: [{ type: 'streamable-http', url: 'ftp://example.com/mcp' }] })],
  ])('the registry schema refuses %s', (_what, spoil) => {
    expect(registrySchemaErrors(JSON.parse(JSON.stringify(spoil(registryServer(pkg))))).length).toBeGreaterThan(0);
  });

  it('a package description the registry would refuse stops the build, naming the field', () => {
    expect(() => registryServer({ ...pkg, description: 'd'.repeat(101) })).toThrow(/description is 101 characters.*at most 100/);
  });
});

type Doc = ReturnType<typeof registryServer>;

function registrySchemaErrors(doc: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  (formats as unknown as (a: Ajv) => void)(ajv);
  const schema = JSON.parse(readFileSync(new URL('../contract/server-json.schema.json', import.meta.url), 'utf8'));
  if (ajv.validate(schema, doc)) return [];
  return (ajv.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}
