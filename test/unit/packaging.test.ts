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

  it('server.json validates and names every form setting as an environment variable', () => {
    const server = registryServer(pkg);
    const ajv = new Ajv({ allErrors: true, strict: false });
    (formats as unknown as (a: Ajv) => void)(ajv);
    const schema = JSON.parse(readFileSync(new URL('../contract/server-json.schema.json', import.meta.url), 'utf8'));
    const valid = ajv.validate(schema, server);
    expect(ajv.errors ?? [], JSON.stringify(ajv.errors)).toEqual([]);
    expect(valid).toBe(true);
    expect(server.name).toBe(pkg.mcpName);
    expect(server.packages[0]).toMatchObject({ registryType: 'npm', identifier: pkg.name, version: pkg.version, runtimeHint: 'npx', transport: { type: 'stdio' } });
    const vars = server.packages[0].environmentVariables;
    expect(vars.find((v) => v.name === 'API_PASSWORD')).toMatchObject({ isSecret: true, isRequired: false });
    expect(vars.find((v) => v.name === 'CLASSIC_MODELS_API_URL')).toMatchObject({ isRequired: true, default: 'http://localhost:8000' });
  });
});
