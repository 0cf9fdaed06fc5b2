import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../src/catalog/resources.js';
import { buildSurface } from '../../src/server.js';
import { allTools } from '../../src/tools/registry.js';
import { selectTools } from '../../src/tools/registry.js';

/** Rules that hold for every tool the catalog generates, now and for any resource added later. */
describe('the tool registry', () => {
  const tools = allTools();
  const surface = buildSurface({});

  it('has five tools per resource, whoami and the query tool', () => {
    expect(tools).toHaveLength(RESOURCES.length * 5 + 2);
    expect(new Set(tools.map((t) => t.name)).size).toBe(tools.length);
  });

  it('names every tool classic_models_<verb>_<resource> in snake case', () => {
    for (const t of tools) expect(t.name).toMatch(/^classic_models_(whoami|query|(list|get|create|update|delete)_[a-z]+)$/);
  });

  it('sets every annotation hint the way its kind implies', () => {
    for (const t of tools) {
      const a = t.annotations;
      expect(a.openWorldHint, t.name).toBe(false);
      expect(a.readOnlyHint, t.name).toBe(['list', 'get', 'whoami', 'query'].includes(t.kind));
      expect(a.destructiveHint, t.name).toBe(t.kind === 'delete');
      expect(a.idempotentHint, t.name).toBe(t.kind === 'update' || t.kind === 'delete');
    }
  });

  it('keeps descriptions short and gives every parameter a description', () => {
    for (const t of surface.listing) {
      // The query tool's description is the schema the model writes SQL against.
      expect(t.description!.length, t.name).toBeLessThanOrEqual(t.name === 'classic_models_query' ? 1600 : 400);
      for (const [param, schema] of Object.entries(t.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${t.name}.${param}`).toBeTruthy();
      }
    }
  });

  it('never offers a surrogate id as a parameter', () => {
    for (const t of surface.listing) expect(Object.keys(t.inputSchema.properties ?? {}), t.name).not.toContain('id');
  });

  it('filters in one place: read-only keeps 18 tools, toolsets keep their resources and whoami', () => {
    expect(selectTools({ readOnly: true })).toHaveLength(18);
    expect(selectTools({ readOnly: true }).map((t) => t.name)).toContain('classic_models_query');
    const some = selectTools({ toolsets: ['orders'] }).map((t) => t.name);
    expect(some).toEqual(['classic_models_list_orders', 'classic_models_get_order', 'classic_models_create_order', 'classic_models_update_order', 'classic_models_delete_order', 'classic_models_whoami']);
  });
});

describe('the prebuilt tools/list', () => {
  it('equals what the server computes from the catalog (the bundle embeds it; e2e snapshots the bundle)', async () => {
    const { readFileSync } = await import('node:fs');
    const snapshot = JSON.parse(readFileSync(new URL('../e2e/__snapshots__/tools-list.json', import.meta.url), 'utf8'));
    expect(buildSurface({}).listing).toEqual(snapshot);
  });
});

describe('SQL columns', () => {
  it('name every field of the catalog once, as MySQL spells it', async () => {
    const { SQL_COLUMNS } = await import('../../src/catalog/sql-columns.js');
    const { RESOURCES } = await import('../../src/catalog/resources.js');
    for (const r of RESOURCES) expect(SQL_COLUMNS[r.name].map((c) => c.toLowerCase()).sort()).toEqual(r.fields.map((f) => f.name).sort());
  });
});
