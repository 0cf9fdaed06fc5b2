import { INT_RANGE, RESOURCES, type FieldDef, type ResourceDef, type ResourceName } from '../catalog/resources.js';
import { isIsoDate } from '../catalog/values.js';
import seed from './seed.json' with { type: 'json' };

export type Row = Record<string, unknown>;
export type Errors = Record<string, string[]>;

const keyString = (values: unknown[]) => values.map((v) => String(v)).join('\u0000');

/** One table: rows by key, plus the AUTO_INCREMENT counter of tables with a surrogate id. */
class Table {
  readonly rows = new Map<string, Row>();
  nextId = 1;
  constructor(readonly def: ResourceDef) {}
  keyOf(row: Row) {
    return keyString(this.def.key.map((k) => row[k]));
  }
}

/**
 * The replica's database: the sample data in memory, with the constraints MySQL enforces
 * (unique keys, foreign keys on insert and on delete) and the validation DRF's serializers do.
 */
export class Store {
  private tables = new Map<ResourceName, Table>();

  constructor() {
    this.reset();
  }

  /** Back to the sample data, as at every start. */
  reset() {
    this.tables = new Map();
    const data = seed as unknown as Record<string, { columns: string[]; rows: unknown[][] }>;
    for (const def of RESOURCES) {
      const t = new Table(def);
      const { columns, rows } = data[def.name];
      for (const values of rows) {
        const row: Row = {};
        columns.forEach((c, i) => (row[c] = values[i]));
        t.rows.set(t.keyOf(row), row);
        if (typeof row.id === 'number') t.nextId = Math.max(t.nextId, row.id + 1);
      }
      this.tables.set(def.name, t);
    }
  }

  count(name: ResourceName) {
    return this.table(name).rows.size;
  }

  /** Every row, in the order the API lists them. */
  list(name: ResourceName): Row[] {
    const rows = [...this.table(name).rows.values()];
    // The API lists order lines by product, then order (its index order); the rest by key or id.
    const order = name === 'orderdetails' ? ['productcode', 'ordernumber'] : name === 'payments' ? ['id'] : this.table(name).def.key;
    return rows.sort((a, b) => compareBy(a, b, order));
  }

  /** Rows whose `field` equals `value`, in id or key order (as the relationship endpoints list them). */
  where(name: ResourceName, field: string, value: unknown): Row[] {
    const def = this.table(name).def;
    const order = def.fields.some((f) => f.name === 'id') ? ['id'] : def.key;
    return [...this.table(name).rows.values()].filter((r) => r[field] === value).sort((a, b) => compareBy(a, b, order));
  }

  /** The row with these key values as they appear in a URL; undefined when absent or malformed. */
  get(name: ResourceName, rawKey: string[]): Row | undefined {
    const t = this.table(name);
    const key = parseKey(t.def, rawKey);
    return key ? t.rows.get(keyString(key)) : undefined;
  }

  insert(name: ResourceName, data: Row): Row {
    const t = this.table(name);
    const row: Row = {};
    for (const f of t.def.fields) row[f.name] = f.name === 'id' ? t.nextId++ : data[f.name] ?? null;
    t.rows.set(t.keyOf(row), row);
    return row;
  }

  update(name: ResourceName, existing: Row, data: Row): Row {
    const t = this.table(name);
    t.rows.delete(t.keyOf(existing));
    Object.assign(existing, data);
    t.rows.set(t.keyOf(existing), existing);
    return existing;
  }

  /**
   * What still points at a row (MySQL error 1451 on delete): the first child table holding a
   * reference, and the constraint's column, or undefined when the row can go.
   */
  referencedBy(name: ResourceName, row: Row): { child: ResourceName; column: string } | undefined {
    const def = this.table(name).def;
    for (const child of RESOURCES) {
      for (const rel of child.relations.filter((r) => r.parent === name)) {
        const value = row[def.key[0]];
        for (const r of this.table(child.name).rows.values()) if (r[rel.field] === value) return { child: child.name, column: rel.field };
      }
    }
    return undefined;
  }

  delete(name: ResourceName, row: Row) {
    const t = this.table(name);
    t.rows.delete(t.keyOf(row));
  }

  exists(name: ResourceName, keyValue: unknown): boolean {
    return this.table(name).rows.has(keyString([keyValue]));
  }

  /**
   * DRF-style validation of a create (partial=false), a PUT (partial=false, existing set) or a
   * PATCH (partial=true). Returns the clean values or the error map, messages as DRF words them.
   */
  validate(name: ResourceName, body: unknown, opts: { partial: boolean; existing?: Row }): { data: Row } | { errors: Errors } {
    const def = this.table(name).def;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      const got = Array.isArray(body) ? 'list' : body === null ? 'NoneType' : typeof body === 'string' ? 'str' : typeof body === 'number' ? 'int' : typeof body;
      return { errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`] } };
    }
    const input = body as Row;
    const errors: Errors = {};
    const data: Row = {};
    for (const f of def.fields) {
      if (f.readOnly) continue;
      if (!(f.name in input)) {
        if (opts.partial) continue;
        if (f.required) errors[f.name] = ['This field is required.'];
        else data[f.name] = null;
        continue;
      }
      const result = this.validateField(f, input[f.name]);
      if ('error' in result) errors[f.name] = [result.error];
      else data[f.name] = result.value;
    }
    if (Object.keys(errors).length) return { errors };

    // Unique keys: a single key field reports on the field, a composite one as non_field_errors.
    const merged = { ...(opts.existing ?? {}), ...data };
    const t = this.table(name);
    const clash = t.rows.get(t.keyOf(merged));
    if (clash && clash !== opts.existing) {
      if (def.key.length === 1) return { errors: { [def.key[0]]: [`${def.label} with this ${def.key[0]} already exists.`] } };
      return { errors: { non_field_errors: [`The fields ${def.key.join(', ')} must make a unique set.`] } };
    }
    return { data };
  }

  private validateField(f: FieldDef, v: unknown): { value: unknown } | { error: string } {
    if (v === null) return f.nullable ? { value: null } : { error: 'This field may not be null.' };
    let value: unknown;
    switch (f.type) {
      case 'string':
      case 'text': {
        if (typeof v === 'number') v = String(v);
        if (typeof v !== 'string') return { error: 'Not a valid string.' };
        const s = v.trim();
        if (s === '' && !f.nullable) return { error: 'This field may not be blank.' };
        if (f.maxLength !== undefined && s.length > f.maxLength) return { error: `Ensure this field has no more than ${f.maxLength} characters.` };
        value = s;
        break;
      }
      case 'int':
      case 'smallint': {
        if (f.fk) {
          // PrimaryKeyRelatedField: a value that cannot be a pk is an "incorrect type".
          const n = toInt(v);
          if (n === undefined) return { error: `Incorrect type. Expected pk value, received ${pyType(v)}.` };
          value = n;
          break;
        }
        const n = toInt(v);
        if (n === undefined) return { error: 'A valid integer is required.' };
        const [min, max] = INT_RANGE[f.type];
        if (n > max) return { error: `Ensure this value is less than or equal to ${max}.` };
        if (n < min) return { error: `Ensure this value is greater than or equal to ${min}.` };
        value = n;
        break;
      }
      case 'decimal': {
        const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : undefined;
        const m = s === undefined ? null : /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
        if (!m || (m[2] === '' && !m[3])) return { error: 'A valid number is required.' };
        const whole = m[2].replace(/^0+/, '');
        const frac = m[3] ?? '';
        if (whole.length + frac.length > 10) return { error: 'Ensure that there are no more than 10 digits in total.' };
        if (frac.length > 2) return { error: 'Ensure that there are no more than 2 decimal places.' };
        if (whole.length > 8) return { error: 'Ensure that there are no more than 8 digits before the decimal point.' };
        value = Number(s).toFixed(2);
        break;
      }
      case 'date': {
        if (typeof v !== 'string' || !isIsoDate(v)) return { error: 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.' };
        value = v;
        break;
      }
    }
    if (f.fk && !this.exists(f.fk, value)) return { error: `Invalid pk "${String(value)}" - object does not exist.` };
    return { value };
  }

  private table(name: ResourceName): Table {
    return this.tables.get(name)!;
  }
}

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*[+-]?\d+(\.0*)?\s*$/.test(v)) return Number(v.trim().replace(/\.0*$/, ''));
  return undefined;
}

const pyType = (v: unknown) => (typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? 'list' : typeof v === 'number' ? 'float' : 'dict');

/** URL segments to typed key values; undefined when a segment cannot be that key (a 404). */
function parseKey(def: ResourceDef, raw: string[]): unknown[] | undefined {
  if (raw.length !== def.key.length) return undefined;
  const out: unknown[] = [];
  for (let i = 0; i < raw.length; i++) {
    const f = def.fields.find((x) => x.name === def.key[i])!;
    if (f.type === 'int' || f.type === 'smallint') {
      if (!/^-?\d+$/.test(raw[i])) return undefined;
      out.push(Number(raw[i]));
    } else out.push(raw[i]);
  }
  return out;
}

function compareBy(a: Row, b: Row, fields: string[]): number {
  for (const f of fields) {
    const x = a[f];
    const y = b[f];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}
