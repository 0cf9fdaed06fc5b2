import { z } from 'zod';
import { INT_RANGE, type FieldDef, type ResourceDef } from '../catalog/resources.js';
import { DECIMAL_PATTERN, isIsoDate } from '../catalog/values.js';
import { MAX_LIMIT, METRIC_OPS, OPS, type ColumnKind } from './shaping.js';

/**
 * zod schemas generated from the catalog. The schema is the parser: what tools/list shows the
 * model and what a call is checked against are the same object, so they cannot drift apart.
 */

const listToolOf = (name: string) => `classic_models_list_${name}`;

/** One short description per field: format, limit, example, and which tool lists valid values. */
export function describeField(f: FieldDef): string {
  const parts: string[] = [];
  if (f.type === 'decimal') parts.push('decimal string, ≤2 places, e.g. "48.81"');
  else if (f.type === 'date') parts.push('date YYYY-MM-DD');
  else if (f.type === 'smallint') parts.push('integer −32768..32767');
  else if (f.type === 'int') parts.push('integer');
  else parts.push(f.maxLength ? `text ≤${f.maxLength}` : 'text');
  if (f.hint) parts.push(f.hint);
  if (f.fk) parts.push(`see ${listToolOf(f.fk)}`);
  return parts.join('; ');
}

/** The input schema of one field, with the API's limits, so bad values never reach the API. */
export function fieldInput(f: FieldDef): z.ZodType {
  let s: z.ZodType;
  switch (f.type) {
    case 'string':
    case 'text': {
      // Blank and length are checked here but stated only in the description (text ≤50):
      // the model pays for every schema keyword on every turn.
      const str = textOf(f.maxLength);
      s = f.nullable ? str : str.refine((v) => v.trim() !== '', { error: 'may not be blank' });
      break;
    }
    case 'int':
    case 'smallint': {
      const [min, max] = INT_RANGE[f.type];
      s = z
        .number({ error: 'expected an integer' })
        .int({ error: 'expected an integer' })
        .refine((n) => n >= min && n <= max, { error: `must be from ${min} to ${max}` });
      break;
    }
    case 'decimal':
      s = z.string({ error: 'expected a decimal string like "48.81"' }).refine((v) => DECIMAL_PATTERN.test(v), { error: 'expected a decimal string with at most 2 decimal places (and 8 before the point), like "48.81"' });
      break;
    case 'date':
      s = z.string({ error: 'expected a date YYYY-MM-DD' }).refine(isIsoDate, { error: 'expected a real date as YYYY-MM-DD' });
      break;
  }
  if (f.nullable) s = s.nullable();
  return s.describe(describeField(f));
}

/** A key parameter: identifies a record, so it is never blank and never null. */
export function keyInput(f: FieldDef): z.ZodType {
  const base =
    f.type === 'int' ? z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }) : textOf(f.maxLength ?? 255).refine((v) => v.trim() !== '', { error: 'may not be blank' });
  const where = f.fk ? listToolOf(f.fk) : undefined;
  return base.describe(`${f.type === 'int' ? 'integer' : `text ≤${f.maxLength}`}${f.hint ? `; ${f.hint}` : ''}${where ? `; see ${where}` : ''}`);
}

/** How the list-shaping engine reads each column (derived ones included). */
export function columnsOf(def: ResourceDef): Record<string, ColumnKind> {
  const kind = (t: FieldDef['type'] | 'decimal' | 'int'): ColumnKind => (t === 'int' || t === 'smallint' ? 'number' : t === 'decimal' ? 'decimal' : t === 'date' ? 'date' : 'string');
  const out: Record<string, ColumnKind> = {};
  for (const f of def.fields) out[f.name] = kind(f.type);
  for (const d of def.derived ?? []) out[d.name] = kind(d.type);
  return out;
}

/** Text with a length limit that is enforced but, to keep the schema small, only described. */
const textOf = (max: number | undefined) => {
  const str = z.string({ error: 'expected text' });
  return max ? str.refine((v) => v.length <= max, { error: `at most ${max} characters` }) : str;
};

/** An array whose size limit is enforced but kept out of the schema. */
const upTo = <T extends z.ZodType>(item: T, max: number) => z.array(item).refine((a) => a.length <= max, { error: `at most ${max} items` });

const isScalar = (v: unknown) => v === null || typeof v === 'number' || (typeof v === 'string' && v.length <= 500);

/** A condition's value: one scalar, or an array of them for "in". */
const conditionValue = z
  .unknown()
  .refine((v) => isScalar(v) || (Array.isArray(v) && v.length <= 200 && v.every(isScalar)), {
    error: 'expected text (≤500 characters), a number, null, or an array of those (for in)',
  })
  .meta({ jsonSchema: { type: ['string', 'number', 'null', 'array'] } });

/** The list-shaping parameters, the same on every list tool (with that resource's field names). */
/**
 * The list-shaping parameters, the same on every list tool. Field names are checked by the
 * engine against the resource's columns (listed once in the tool description) rather than as
 * enums repeated in three places of every list tool's schema.
 */
export function shapeInput() {
  const name = textOf(64);
  return {
    where: upTo(z.strictObject({ field: name, op: z.enum(OPS, { error: `expected one of ${OPS.join(', ')}` }), value: conditionValue.optional() }), 20)
      .optional()
      .describe('ANDed {field,op,value}; in: array; eq null: empty'),
    fields: upTo(name, 50).optional().describe('columns'),
    sort: upTo(name, 10).optional().describe('["-creditlimit"]: - descends'),
    limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe('default 50'),
    offset: z.number().int().min(0).optional().describe('default 0'),
    group_by: upTo(name, 5).optional().describe('columns'),
    metrics: upTo(z.strictObject({ op: z.enum(METRIC_OPS, { error: `expected one of ${METRIC_OPS.join(', ')}` }), field: name.optional() }), 10)
      .optional()
      .describe('→ columns count, sum_<field>, avg_…; alone: one total row'),
  };
}

// ---------------------------------------------------------------- outputs

/** A record as the API returns it (decimals and dates as strings); extra fields a newer API adds are let through. */
export function recordOutput(def: ResourceDef) {
  const out = (f: FieldDef) => {
    const base = f.type === 'int' || f.type === 'smallint' ? z.number() : z.string();
    return (f.nullable || f.readOnly ? base.nullable() : base).optional();
  };
  return z.looseObject(Object.fromEntries(def.fields.map((f) => [f.name, out(f)])));
}

export const listOutput = z.object({
  total: z.number().int(),
  returned: z.number().int(),
  offset: z.number().int(),
  next_offset: z.number().int().optional(),
  truncated: z.boolean().optional(),
  note: z.string().optional(),
  rows: z.array(z.record(z.string(), z.unknown())),
});

export const userOutput = z.looseObject({ id: z.number().nullable().optional(), username: z.string().optional() });

export function deleteOutput(def: ResourceDef) {
  return z.object({ deleted: z.object(Object.fromEntries(def.key.map((k) => [k, def.fields.find((f) => f.name === k)!.type === 'int' ? z.number() : z.string()]))) });
}

/**
 * zod's JSON Schema, trimmed of what costs the model bytes without telling it anything:
 * the $schema URI, JavaScript's safe-integer bounds, and anyOf wrappers around plain types.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const raw = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    // A schema can carry its own JSON Schema (see conditionValue) where zod's would be longer.
    override: (ctx) => {
      const own = (z.globalRegistry.get(ctx.zodSchema) as { jsonSchema?: object } | undefined)?.jsonSchema;
      if (own) {
        for (const k of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[k];
        Object.assign(ctx.jsonSchema, own);
      }
    },
  }) as Record<string, unknown>;
  delete raw.$schema;
  return compact(raw) as Record<string, unknown>;
}

function compact(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(compact);
  if (!node || typeof node !== 'object') return node;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'minimum' && v === Number.MIN_SAFE_INTEGER) || (k === 'maximum' && v === Number.MAX_SAFE_INTEGER)) continue;
    o[k] = compact(v);
  }
  // {anyOf:[{type:"string",maxLength:50},{type:"null"}]} → {type:["string","null"],maxLength:50}
  const any = o.anyOf as Record<string, unknown>[] | undefined;
  // enum and const constrain every type, so a member carrying them cannot be merged.
  if (Array.isArray(any) && any.every((s) => typeof s.type === 'string' && Object.keys(s).every((k) => !['anyOf', 'items', 'properties', 'enum', 'const'].includes(k)))) {
    const types = any.map((s) => s.type as string);
    const merged: Record<string, unknown> = {};
    for (const s of any) for (const [k, v] of Object.entries(s)) if (k !== 'type') merged[k] = v;
    const clash = any.some((s) => Object.keys(s).some((k) => k !== 'type' && any.some((t) => t !== s && k in t && JSON.stringify(t[k]) !== JSON.stringify(s[k]))));
    if (!clash) {
      delete o.anyOf;
      Object.assign(o, merged, { type: [...new Set(types)] });
    }
  }
  return o;
}

