import type { Api } from '../api/client.js';
import type { Row, TableCache } from '../api/tables.js';
import { RESOURCES, resource, type ResourceDef, type ResourceName } from '../catalog/resources.js';
import { PROMPTS } from '../prompts/prompts.js';
import { templateUri } from '../resources/resources.js';

/**
 * completion/complete: the values a prompt argument or a resource template variable can take,
 * by prefix, from the API's data (cached briefly, so typing does not cost a GET per key stroke).
 * Anything unknown (a prompt, a template, an argument) completes to nothing, never an error.
 */
const MAX_VALUES = 100;
const MAX_AGE_MS = 60_000;

export interface CompletionContext {
  names: ResourceName[];
  api: Api;
  tables: TableCache;
}

export interface CompleteRequest {
  ref: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };
  argument: { name: string; value: string };
  /** Arguments already chosen (a payment's customernumber narrows its checknumbers). */
  context?: { arguments?: Record<string, string> };
}

interface Source {
  table: ResourceName;
  field: string;
  /** Values come from this field of the rows (the key itself, or a year of a date). */
  value(row: Row): string | undefined;
}

/** Which table an argument draws its values from: keys by name, foreign keys by their target. */
function sourceFor(argument: string, table?: ResourceDef): Source | undefined {
  if (argument === 'year') return { table: 'orders', field: 'orderdate', value: (r) => String(r.orderdate ?? '').slice(0, 4) || undefined };
  const own = table?.fields.find((f) => f.name === argument);
  const target = own?.fk ? resource(own.fk) : own && table ? table : RESOURCES.find((r) => r.key.length === 1 && r.key[0] === argument);
  if (!target) return undefined;
  const field = own && !own.fk ? argument : target.key[0];
  return { table: target.name, field, value: (r) => (r[field] === null || r[field] === undefined ? undefined : String(r[field])) };
}

export async function complete(cx: CompletionContext, req: CompleteRequest): Promise<{ values: string[]; total: number; hasMore: boolean }> {
  const none = { values: [], total: 0, hasMore: false };
  let table: ResourceDef | undefined;
  if (req.ref.type === 'ref/prompt') {
    const name = req.ref.name;
    if (!PROMPTS.some((p) => p.name === name && p.arguments.some((a) => a.name === req.argument.name))) return none;
  } else {
    const uri = req.ref.uri;
    table = RESOURCES.find((r) => templateUri(r) === uri);
    if (!table || !table.key.includes(req.argument.name)) return none;
  }
  const source = sourceFor(req.argument.name, table);
  if (!source || !cx.names.includes(source.table)) return none;
  const { rows } = await cx.tables.read(cx.api, source.table, MAX_AGE_MS);
  // Other key parts already chosen narrow the rows (checknumbers of customer 103).
  const chosen = table?.name === source.table ? Object.entries(req.context?.arguments ?? {}).filter(([k]) => k !== req.argument.name && table.key.includes(k)) : [];
  const def = resource(source.table);
  const typed = req.argument.value.trim().toLowerCase();
  const byKey = new Set<string>();
  const byLabel = new Set<string>();
  for (const row of rows) {
    if (chosen.some(([k, v]) => String(row[k]) !== v)) continue;
    const v = source.value(row);
    if (v === undefined) continue;
    if (v.toLowerCase().startsWith(typed)) byKey.add(v);
    // "atel" finds customer 103, Atelier graphique: the name is what a person remembers.
    else if (typed && source.field === def.key[0] && def.display.some((f) => String(row[f] ?? '').toLowerCase().includes(typed))) byLabel.add(v);
  }
  const numeric = def.fields.find((f) => f.name === source.field)?.type === 'int' || req.argument.name === 'year';
  const sorted = [...byKey].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  const all = [...sorted, ...[...byLabel].filter((v) => !byKey.has(v))];
  return { values: all.slice(0, MAX_VALUES), total: all.length, hasMore: all.length > MAX_VALUES };
}
