import { canonical } from './names.js';

/** The part of JSON Schema the tools' input schemas use. */
export interface InputSchema {
  type?: string | string[];
  properties?: Record<string, InputSchema>;
  items?: InputSchema;
  enum?: unknown[];
  anyOf?: InputSchema[];
}

const types = (s: InputSchema): string[] => [...(Array.isArray(s.type) ? s.type : s.type ? [s.type] : []), ...(s.anyOf ?? []).flatMap(types)];

const INTEGER = /^\s*-?\d+\s*$/;
const NUMBER = /^\s*-?(\d+\.?\d*|\.\d+)\s*$/;

/**
 * Real clients and models send what they mean in the wrong shape: the MCP Inspector sends
 * `officecode=1` as the number 1, models send "103" for an integer, `where` as a JSON string,
 * "-creditlimit" for a sort list, `customerNumber` for a parameter. One pass over the arguments,
 * driven by the tool's own input schema, turns what is unambiguous into the canonical form; the
 * strict schema then judges the rest, so anything still wrong is refused with the field named.
 */
export function coerceArguments(value: unknown, schema: InputSchema): unknown {
  const accepts = types(schema);
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (((accepts.includes('object') || accepts.includes('array')) && trimmed.startsWith('{')) || (accepts.includes('array') && trimmed.startsWith('['))) {
      try {
        return coerceArguments(JSON.parse(trimmed), schema);
      } catch {
        return value;
      }
    }
    if (accepts.includes('string')) return schema.enum ? (canonical(value, schema.enum.map(String)) ?? value) : value;
    if (accepts.includes('integer') && INTEGER.test(value)) return Number(value);
    if (accepts.includes('number') && NUMBER.test(value)) return Number(value);
    if (accepts.includes('array') && schema.items && types(schema.items).includes('string')) {
      // "a,b,c" for a list of column names; names never hold commas.
      return trimmed === '' ? [] : trimmed.split(',').map((s) => coerceArguments(s.trim(), schema.items!));
    }
    return value;
  }
  if (typeof value === 'number' && !accepts.includes('number') && !accepts.includes('integer') && accepts.includes('string') && Number.isFinite(value)) {
    return String(value);
  }
  if (Array.isArray(value)) return schema.items && accepts.includes('array') ? value.map((v) => coerceArguments(v, schema.items!)) : value;
  if (value && typeof value === 'object') {
    // One object where a list of them is expected: a list of one.
    if (!accepts.includes('object') && accepts.includes('array') && schema.items) return [coerceArguments(value, schema.items)];
    const props = schema.properties;
    if (!props) return value;
    const names = Object.keys(props);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const name = canonical(key, names);
      // An unknown name, or one whose canonical spelling is also given, stays for the schema to refuse.
      const target = name && !(name !== key && name in (value as object)) ? name : key;
      out[target] = props[target] ? coerceArguments(v, props[target]) : v;
    }
    return out;
  }
  return value;
}
