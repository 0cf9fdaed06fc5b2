import { isIsoDate } from '../catalog/values.js';
import { UserInputError } from './errors.js';
import { canonical, closestFirst } from './names.js';

/**
 * The list-shaping engine: the API has no filtering, sorting or paging (every list is the whole
 * table), so the server does it and returns the model only what it asked for.
 */

export type ColumnKind = 'string' | 'number' | 'decimal' | 'date';
export type Row = Record<string, unknown>;

export const OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'contains', 'in'] as const;
export type Op = (typeof OPS)[number];
export const METRIC_OPS = ['count', 'sum', 'avg', 'min', 'max'] as const;
export type MetricOp = (typeof METRIC_OPS)[number];

export type Scalar = string | number | null;
export interface Condition {
  field: string;
  op: Op;
  value?: Scalar | Scalar[];
}
export interface Metric {
  op: MetricOp;
  field?: string;
}
export interface Shape {
  where?: Condition[];
  fields?: string[];
  sort?: string[];
  limit?: number;
  offset?: number;
  group_by?: string[];
  metrics?: Metric[];
}

export interface ShapedResult {
  /** Rows (or groups) matching, before paging. */
  total: number;
  returned: number;
  offset: number;
  /** The offset of the next page, when there is one. */
  next_offset?: number;
  rows: Row[];
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/**
 * Checks a shape against the columns before anything is fetched, so bad input costs no request,
 * and returns it with every column name in its canonical spelling (creditLimit → creditlimit).
 */
export function resolveShape(input: Shape, columns: Record<string, ColumnKind>): Shape {
  const names = Object.keys(columns);
  const name = (f: string, where: string, valid: string[] = names, label = 'valid fields') => {
    const found = canonical(f, valid);
    if (found === undefined) throw new UserInputError(`${where}: unknown field "${f}"; ${label}: ${closestFirst(f, valid).join(', ')}`);
    return found;
  };
  const shape: Shape = {
    ...input,
    where: input.where?.map((c, i) => ({ ...c, field: name(c.field, `where[${i}].field`) })),
    group_by: input.group_by?.map((f, i) => name(f, `group_by[${i}]`)),
    metrics: input.metrics?.map((m, i) => (m.field === undefined ? m : { ...m, field: name(m.field, `metrics[${i}].field`) })),
  };
  const out = Object.keys(outputColumns(shape, columns));
  shape.sort = input.sort?.map((s, i) => (s.startsWith('-') ? '-' : '') + name(s.replace(/^-/, ''), `sort[${i}]`, out, 'valid'));
  shape.fields = input.fields?.map((f, i) => name(f, `fields[${i}]`, out, 'valid'));
  for (const key of Object.keys(shape) as (keyof Shape)[]) if (shape[key] === undefined) delete shape[key];
  checkShape(shape, columns);
  return shape;
}

function checkShape(shape: Shape, columns: Record<string, ColumnKind>): void {
  const names = Object.keys(columns);
  const known = (f: string, where: string) => {
    if (!(f in columns)) throw new UserInputError(`${where}: unknown field "${f}"; valid fields: ${names.join(', ')}`);
  };
  (shape.where ?? []).forEach((c, i) => {
    known(c.field, `where[${i}].field`);
    if (!OPS.includes(c.op)) throw new UserInputError(`where[${i}].op: unknown op "${c.op}"; valid ops: ${OPS.join(', ')}`);
    const kind = columns[c.field];
    if (c.op === 'in') {
      if (!Array.isArray(c.value)) throw new UserInputError(`where[${i}].value: "in" takes an array of values`);
      c.value.forEach((v) => checkValue(v, kind, `where[${i}].value`, c.field));
      return;
    }
    if (Array.isArray(c.value)) throw new UserInputError(`where[${i}].value: only "in" takes an array`);
    if (c.value === undefined) throw new UserInputError(`where[${i}].value: required`);
    if (c.value === null && c.op !== 'eq' && c.op !== 'ne') throw new UserInputError(`where[${i}].value: null works only with eq and ne`);
    if (c.op !== 'contains') checkValue(c.value, kind, `where[${i}].value`, c.field);
  });
  (shape.group_by ?? []).forEach((f, i) => known(f, `group_by[${i}]`));
  (shape.metrics ?? []).forEach((m, i) => {
    if (!METRIC_OPS.includes(m.op)) throw new UserInputError(`metrics[${i}].op: unknown op "${m.op}"; valid ops: ${METRIC_OPS.join(', ')}`);
    if (m.op === 'count') {
      if (m.field !== undefined) known(m.field, `metrics[${i}].field`);
      return;
    }
    if (!m.field) throw new UserInputError(`metrics[${i}].field: ${m.op} needs a field`);
    known(m.field, `metrics[${i}].field`);
    if ((m.op === 'sum' || m.op === 'avg') && !isNumeric(columns[m.field])) {
      throw new UserInputError(`metrics[${i}].field: ${m.op} needs a numeric field; "${m.field}" is a ${columns[m.field]}`);
    }
  });
  const out = outputColumns(shape, columns);
  (shape.sort ?? []).forEach((s, i) => {
    const f = s.replace(/^-/, '');
    if (!(f in out)) throw new UserInputError(`sort[${i}]: unknown field "${f}"; valid: ${Object.keys(out).join(', ')}`);
  });
  (shape.fields ?? []).forEach((f, i) => {
    if (!(f in out)) throw new UserInputError(`fields[${i}]: unknown field "${f}"; valid: ${Object.keys(out).join(', ')}`);
  });
}

/** Filter, group and aggregate, sort, page and project, in that order. */
export function applyShape(rows: Row[], shape: Shape, columns: Record<string, ColumnKind>): ShapedResult {
  let out = rows;
  for (const c of shape.where ?? []) out = out.filter((r) => matches(r[c.field], c, columns[c.field]));
  const grouped = Boolean(shape.group_by?.length || shape.metrics?.length);
  if (grouped) out = aggregate(out, shape.group_by ?? [], shape.metrics?.length ? shape.metrics : [{ op: 'count' }], columns);
  const kinds = outputColumns(shape, columns);
  if (shape.sort?.length) out = sortRows(grouped ? out : [...out], shape.sort, kinds);
  const total = out.length;
  const offset = shape.offset ?? 0;
  const limit = Math.min(shape.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
  let page = out.slice(offset, offset + limit);
  if (shape.fields?.length) {
    const fields = shape.fields;
    page = page.map((r) => Object.fromEntries(fields.map((f) => [f, r[f] ?? null])));
  }
  const result: ShapedResult = { total, returned: page.length, offset, rows: page };
  if (offset + page.length < total) result.next_offset = offset + page.length;
  return result;
}

/** The columns a shaped row has: the record's, or the group keys plus the metric columns. */
export function outputColumns(shape: Shape, columns: Record<string, ColumnKind>): Record<string, ColumnKind> {
  if (!shape.group_by?.length && !shape.metrics?.length) return columns;
  const out: Record<string, ColumnKind> = {};
  for (const g of shape.group_by ?? []) out[g] = columns[g];
  for (const m of shape.metrics?.length ? shape.metrics : [{ op: 'count' as const }]) {
    out[metricName(m)] = m.op === 'count' || m.op === 'sum' || m.op === 'avg' ? 'number' : columns[m.field!];
  }
  return out;
}

export const metricName = (m: Metric) => (m.field && m.op !== 'count' ? `${m.op}_${m.field}` : m.field ? `count_${m.field}` : 'count');

const isNumeric = (k: ColumnKind | undefined) => k === 'number' || k === 'decimal';

function checkValue(v: Scalar, kind: ColumnKind, where: string, field: string) {
  if (v === null) return;
  if (isNumeric(kind) && (typeof v === 'boolean' || !Number.isFinite(Number(v)) || v === '')) {
    throw new UserInputError(`${where}: "${field}" is numeric; got ${JSON.stringify(v)}`);
  }
  if (kind === 'date' && (typeof v !== 'string' || !isIsoDate(v))) {
    throw new UserInputError(`${where}: "${field}" is a date; use YYYY-MM-DD, got ${JSON.stringify(v)}`);
  }
}

const isEmpty = (v: unknown) => v === null || v === undefined || v === '';

/** Typed comparison: numbers and decimal strings as numbers, dates and text as (case-folded) text. */
function compare(a: unknown, b: unknown, kind: ColumnKind): number {
  if (isNumeric(kind)) return Number(a) - Number(b);
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function matches(v: unknown, c: Condition, kind: ColumnKind): boolean {
  switch (c.op) {
    case 'eq':
      return c.value === null ? isEmpty(v) : !isEmpty(v) && compare(v, c.value, kind) === 0;
    case 'ne':
      return c.value === null ? !isEmpty(v) : isEmpty(v) || compare(v, c.value, kind) !== 0;
    case 'in':
      return (c.value as Scalar[]).some((x) => (x === null ? isEmpty(v) : !isEmpty(v) && compare(v, x, kind) === 0));
    case 'contains':
      return !isEmpty(v) && String(v).toLowerCase().includes(String(c.value).toLowerCase());
    default: {
      if (isEmpty(v)) return false;
      const d = compare(v, c.value, kind);
      return c.op === 'lt' ? d < 0 : c.op === 'lte' ? d <= 0 : c.op === 'gt' ? d > 0 : d >= 0;
    }
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function aggregate(rows: Row[], groupBy: string[], metrics: Metric[], columns: Record<string, ColumnKind>): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = JSON.stringify(groupBy.map((g) => r[g] ?? null));
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(r);
  }
  // Metrics over no rows at all still answer one row ("total payments in 1999": 0).
  if (!groupBy.length && groups.size === 0) groups.set('[]', []);
  const out: Row[] = [];
  for (const members of groups.values()) {
    const row: Row = {};
    for (const g of groupBy) row[g] = members[0]?.[g] ?? null;
    for (const m of metrics) {
      const values = m.field ? members.map((r) => r[m.field!]).filter((v) => !isEmpty(v)) : members;
      const name = metricName(m);
      switch (m.op) {
        case 'count':
          row[name] = values.length;
          break;
        case 'sum':
          row[name] = round2(values.reduce((s: number, v) => s + Number(v), 0));
          break;
        case 'avg':
          row[name] = values.length ? round2(values.reduce((s: number, v) => s + Number(v), 0) / values.length) : null;
          break;
        case 'min':
        case 'max': {
          const kind = columns[m.field!];
          let best: unknown = null;
          for (const v of values) if (best === null || (m.op === 'min' ? compare(v, best, kind) < 0 : compare(v, best, kind) > 0)) best = v;
          row[name] = best;
          break;
        }
      }
    }
    out.push(row);
  }
  return out;
}

function sortRows(rows: Row[], sort: string[], kinds: Record<string, ColumnKind>): Row[] {
  const keys = sort.map((s) => ({ field: s.replace(/^-/, ''), dir: s.startsWith('-') ? -1 : 1 }));
  return rows.sort((a, b) => {
    for (const { field, dir } of keys) {
      const x = a[field];
      const y = b[field];
      // Empty values go last either way: "top 5 by credit limit" should not start with unknowns.
      if (isEmpty(x) || isEmpty(y)) {
        if (isEmpty(x) && isEmpty(y)) continue;
        return isEmpty(x) ? 1 : -1;
      }
      const d = compare(x, y, kinds[field]);
      if (d !== 0) return d * dir;
    }
    return 0;
  });
}
