import { RESOURCES, type FieldDef, type ResourceDef } from '../catalog/resources.js';
import { SQL_COLUMNS } from '../catalog/sql-columns.js';

/**
 * Tables into SQLite: the schema, as MySQL has it (keys and foreign keys indexed), and the rows
 * as one INSERT … VALUES statement, which SQLite parses in C several times faster than rows
 * bound one by one through the WebAssembly boundary.
 */

// Integers stay integers, money compares as numbers, text compares as MySQL's default collation does.
const sqlType = (t: string) => (t === 'int' || t === 'smallint' ? 'INTEGER' : t === 'decimal' ? 'REAL' : 'TEXT COLLATE NOCASE');

/** The catalog's fields in the MySQL table's order, each with its MySQL name. */
const columnsOf = (def: ResourceDef): { field: FieldDef; column: string }[] =>
  SQL_COLUMNS[def.name].map((column) => ({ column, field: def.fields.find((f) => f.name === column.toLowerCase())! }));

export function schema(def: ResourceDef): string[] {
  const key = def.key.length === 1 ? `, PRIMARY KEY (${def.key[0]})` : `, UNIQUE (${def.key.join(', ')})`;
  return [
    `CREATE TABLE ${def.name} (${columnsOf(def).map((c) => `${c.column} ${sqlType(c.field.type)}`).join(', ')}${key})`,
    ...def.fields.filter((f) => f.fk).map((f) => `CREATE INDEX ${def.name}_${f.name} ON ${def.name} (${f.name})`),
  ];
}

export const schemaOfAll = () => RESOURCES.flatMap(schema);

/** SQL literals: text quoted, decimals (strings from the API) as numbers, anything missing as NULL. */
function literal(value: unknown, type: string): string {
  if (value === null || value === undefined) return 'NULL';
  if (type === 'int' || type === 'smallint' || type === 'decimal') {
    const n = Number(value);
    return Number.isFinite(n) ? String(n) : 'NULL';
  }
  return `'${String(value).replace(/'/g, "''")}'`;
}

/** Every row in one INSERT … VALUES statement ('' for none). */
export function insertStatement(def: ResourceDef, rows: Record<string, unknown>[]): string {
  if (!rows.length) return '';
  const columns = columnsOf(def).map((c) => c.field);
  return `INSERT INTO ${def.name} VALUES ${rows.map((r) => `(${columns.map((f) => literal(r[f.name], f.type)).join(',')})`).join(',')}`;
}
