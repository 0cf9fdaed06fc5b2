import { McpError, ErrorCode, type Resource, type ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import type { Api } from '../api/client.js';
import type { Row, TableCache } from '../api/tables.js';
import { dataModel } from '../catalog/model.js';
import { resource, RESOURCES, type ResourceDef, type ResourceName } from '../catalog/resources.js';
import type { ToolDef } from '../tools/definitions.js';

/**
 * MCP resources: context a client can attach without a tool call. The data model, the small
 * reference tables whole, and any one record by its key through a template
 * (classicmodels://customers/103, classicmodels://payments/103/HQ336336), read through the same
 * API client as the tools. resources/list stays small: never the 2,996 order lines.
 */
export const SCHEME = 'classicmodels';
export const SCHEMA_URI = `${SCHEME}://schema`;
/** Tables small enough to list record by record and to read whole (7, 7 and 23 rows). */
export const REFERENCE_TABLES: ResourceName[] = ['productlines', 'offices', 'employees'];
const PAGE_SIZE = 25;
/** Reference rows may be this old in resources/list (they change rarely; reading one is always fresh). */
const LIST_MAX_AGE_MS = 60_000;
/** MCP's code for an unknown resource URI. */
const RESOURCE_NOT_FOUND = -32002;

export interface ResourceContext {
  /** The resources the session's toolsets cover. */
  names: ResourceName[];
  api: Api;
  tables: TableCache;
  /** The get tool of each resource, which reads one record the way the tools do. */
  getTool(name: ResourceName): ToolDef;
  maxResultBytes: number;
  signal?: AbortSignal;
}

const encode = (v: unknown) => encodeURIComponent(String(v));
export const recordUri = (def: ResourceDef, row: Row) => `${SCHEME}://${def.name}/${def.key.map((k) => encode(row[k])).join('/')}`;
export const templateUri = (def: ResourceDef) => `${SCHEME}://${def.name}/{${def.key.join('}/{')}}`;

/** What a person recognises a record by: its key and its display fields. */
export const recordTitle = (def: ResourceDef, row: Row) => [def.key.map((k) => row[k]).join(' / '), ...def.display.map((f) => row[f]).filter((v) => v !== null && v !== undefined && v !== '')].join(' · ');

export function resourceTemplates(names: ResourceName[]): ResourceTemplate[] {
  return RESOURCES.filter((r) => names.includes(r.name)).map((def) => ({
    uriTemplate: templateUri(def),
    name: def.singular,
    title: `${def.label[0].toUpperCase()}${def.label.slice(1)} by ${def.key.join(' and ')}`,
    description: `One ${def.label} as the API holds it (JSON).`,
    mimeType: 'application/json',
  }));
}

const cursorOf = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64url');
function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { offset: unknown };
    if (Number.isInteger(offset) && (offset as number) >= 0) return offset as number;
  } catch {
    // fall through
  }
  throw new McpError(ErrorCode.InvalidParams, 'invalid cursor: pass back the nextCursor of the previous page');
}

/** The schema, each reference table, then its records: one page of them. */
export async function listResources(cx: ResourceContext, cursor?: string): Promise<{ resources: Resource[]; nextCursor?: string }> {
  const offset = offsetOf(cursor);
  const reference = REFERENCE_TABLES.filter((n) => cx.names.includes(n));
  const all: Resource[] = [
    { uri: SCHEMA_URI, name: 'schema', title: 'Classic Models data model', description: 'Tables, columns, types, keys and how the tables join.', mimeType: 'application/json' },
    ...reference.map((n) => {
      const def = resource(n);
      return { uri: `${SCHEME}://${n}`, name: n, title: `All ${def.label}s`, description: def.summary, mimeType: 'application/json' };
    }),
  ];
  for (const n of reference) {
    const def = resource(n);
    const { rows } = await cx.tables.read(cx.api, n, LIST_MAX_AGE_MS);
    for (const row of rows) all.push({ uri: recordUri(def, row), name: `${def.singular} ${def.key.map((k) => row[k]).join('/')}`, title: recordTitle(def, row), mimeType: 'application/json' });
  }
  const page = all.slice(offset, offset + PAGE_SIZE);
  return offset + PAGE_SIZE < all.length ? { resources: page, nextCursor: cursorOf(offset + PAGE_SIZE) } : { resources: page };
}

const notFound = (uri: string, why: string) => new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri} (${why})`, { uri });

export async function readResource(cx: ResourceContext, uri: string): Promise<{ contents: { uri: string; mimeType: string; text: string }[] }> {
  const json = (value: unknown) => ({ contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value) }] });
  const m = new RegExp(`^${SCHEME}://([^/?#]+)((?:/[^/?#]*)*)$`).exec(uri);
  if (!m) throw notFound(uri, `resources here are ${SCHEMA_URI} and ${SCHEME}://<table>/<key>`);
  if (m[1] === 'schema' && !m[2]) return json(dataModel(cx.names));
  const def = RESOURCES.find((r) => r.name === m[1]);
  if (!def || !cx.names.includes(def.name)) throw notFound(uri, `no table "${m[1]}" here; tables: ${cx.names.join(', ')}`);
  const segments = m[2].split('/').slice(1).map(decodeURIComponent);
  if (segments.length === 0 || (segments.length === 1 && segments[0] === '')) {
    if (!REFERENCE_TABLES.includes(def.name)) throw notFound(uri, `${def.name} is read one record at a time (${templateUri(def)}); for lists use classic_models_list_${def.name}`);
    return json((await cx.tables.read(cx.api, def.name, 0)).rows);
  }
  if (segments.length !== def.key.length) throw notFound(uri, `a ${def.label} is named by ${templateUri(def)}`);
  const args: Record<string, unknown> = {};
  for (const [i, k] of def.key.entries()) {
    const field = def.fields.find((f) => f.name === k)!;
    if (field.type === 'int' && !/^-?\d+$/.test(segments[i])) throw notFound(uri, `${k} is a number`);
    args[k] = field.type === 'int' ? Number(segments[i]) : segments[i];
  }
  try {
    return json(await cx.getTool(def.name).run(args, { api: cx.api, signal: cx.signal, maxResultBytes: cx.maxResultBytes }));
  } catch (err) {
    if ((err as Error).name === 'NotFoundError') throw notFound(uri, (err as Error).message);
    throw err;
  }
}
