import { RESOURCES, type FieldDef, type ResourceDef, type ResourceName } from './resources.js';

/**
 * The data model for people and models who want the whole picture at once: tables, columns,
 * types, keys and how the tables join. Derived from the catalog, so it cannot drift from the
 * tools; served as the classicmodels://schema resource.
 */
export interface ColumnModel {
  name: string;
  type: string;
  key?: true;
  required?: true;
  nullable?: true;
  references?: string;
}

export interface TableModel {
  name: ResourceName;
  description: string;
  key: string[];
  columns: ColumnModel[];
}

export const columnType = (f: FieldDef): string =>
  ({ string: `text(${f.maxLength})`, text: 'text', int: 'integer', smallint: 'smallint', decimal: 'decimal(10,2), written "48.81"', date: 'date, written YYYY-MM-DD' })[f.type];

const keyOf = (name: ResourceName) => RESOURCES.find((r) => r.name === name)!.key[0];

export function tableModel(def: ResourceDef): TableModel {
  return {
    name: def.name,
    description: def.summary,
    key: def.key,
    columns: def.fields.map((f) => ({
      name: f.name,
      type: columnType(f),
      ...(def.key.includes(f.name) ? { key: true as const } : {}),
      ...(f.required && !def.key.includes(f.name) ? { required: true as const } : {}),
      ...(f.nullable ? { nullable: true as const } : {}),
      ...(f.fk ? { references: `${f.fk}.${keyOf(f.fk)}` } : {}),
    })),
  };
}

/** How the tables join: every foreign key, as `child.column = parent.key`. */
export function joins(names: ResourceName[]): string[] {
  return RESOURCES.filter((r) => names.includes(r.name)).flatMap((r) => r.fields.filter((f) => f.fk && names.includes(f.fk)).map((f) => `${r.name}.${f.name} = ${f.fk}.${keyOf(f.fk!)}`));
}

export function dataModel(names: ResourceName[] = RESOURCES.map((r) => r.name)) {
  return {
    database: 'classicmodels (the Classic Models API)',
    tables: RESOURCES.filter((r) => names.includes(r.name)).map(tableModel),
    joins: joins(names),
    notes: [
      'Column names are lowercase with no separators (customerNumber is customernumber).',
      'payments and orderdetails have composite keys; their id column is a surrogate the API never looks records up by.',
      'An order line is worth quantityordered × priceeach; an order is worth the sum of its lines.',
    ],
  };
}
