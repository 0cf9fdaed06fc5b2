/**
 * The eight resources of the Classic Models API, described once, as data. The MCP tools, the
 * list-shaping engine and the demo replica are all generated from this file, so a field's type,
 * limit or relation is stated in exactly one place (and checked against the real API by the
 * contract tests over ../shared/golden).
 */

export type FieldType = 'string' | 'text' | 'int' | 'smallint' | 'decimal' | 'date';

export interface FieldDef {
  name: string;
  type: FieldType;
  /** Required on create (the API answers "This field is required." without it). */
  required: boolean;
  /** The API accepts and returns null for it. */
  nullable?: boolean;
  maxLength?: number;
  /** Foreign key: the resource whose key this field holds. */
  fk?: ResourceName;
  /** Set by the API (surrogate ids); never sent. */
  readOnly?: boolean;
  /** One short phrase for the model: format hints beyond the type, sample values. */
  hint?: string;
}

/** A computed column, usable in where, sort, fields and metrics like a real one. */
export interface DerivedField {
  name: string;
  type: 'decimal' | 'int';
  hint: string;
  compute(row: Record<string, unknown>): number | null;
}

/**
 * A relationship endpoint `v1/{parent}/{value}/{segment}/`: the rows of this resource whose
 * `field` equals the parent's key. The list tools use these as parent filters instead of
 * fetching whole tables.
 */
export interface RelationDef {
  field: string;
  parent: ResourceName;
  segment: string;
}

export type ResourceName = 'productlines' | 'products' | 'offices' | 'employees' | 'customers' | 'orders' | 'payments' | 'orderdetails';

export interface ResourceDef {
  name: ResourceName;
  singular: string;
  /** Django's verbose name, used in the API's messages ("product line with this ... exists"). */
  label: string;
  /** Fields identifying one record, in URL order: `v1/{name}/{key...}/`. */
  key: string[];
  /** In the order the API returns them (which is also the order of its validation errors). */
  fields: FieldDef[];
  derived?: DerivedField[];
  relations: RelationDef[];
  /** The API has no GET for one record (orderdetails): read the parent's list and pick. */
  noItemGet?: boolean;
  /** Short description for the list tool: what a row is and what to filter by. */
  summary: string;
  /** The fields that tell a person which record this is (beside its key), for titles and completions. */
  display: string[];
}

const str = (name: string, maxLength: number, extra: Partial<FieldDef> = {}): FieldDef => ({ name, type: 'string', required: true, maxLength, ...extra });
const opt = (f: FieldDef): FieldDef => ({ ...f, required: false, nullable: true });

export const RESOURCES: ResourceDef[] = [
  {
    name: 'productlines',
    singular: 'productline',
    label: 'product line',
    key: ['productline'],
    fields: [
      str('productline', 50, { hint: 'e.g. "Classic Cars"' }),
      opt({ name: 'textdescription', type: 'string', required: false, maxLength: 4000 }),
      opt({ name: 'htmldescription', type: 'text', required: false }),
      opt({ name: 'image', type: 'text', required: false, readOnly: true, hint: 'always null' }),
    ],
    relations: [],
    summary: 'Product lines (7 in the sample data)',
    display: [],
  },
  {
    name: 'products',
    singular: 'product',
    label: 'product',
    key: ['productcode'],
    fields: [
      str('productcode', 15, { hint: 'e.g. "S10_1678"' }),
      str('productname', 70),
      str('productscale', 10, { hint: 'e.g. "1:10"' }),
      str('productvendor', 50),
      { name: 'productdescription', type: 'text', required: true },
      { name: 'quantityinstock', type: 'smallint', required: true },
      { name: 'buyprice', type: 'decimal', required: true },
      { name: 'msrp', type: 'decimal', required: true },
      str('productline', 50, { fk: 'productlines' }),
    ],
    relations: [{ field: 'productline', parent: 'productlines', segment: 'products' }],
    summary: 'Products (110)',
    display: ['productname'],
  },
  {
    name: 'offices',
    singular: 'office',
    label: 'office',
    key: ['officecode'],
    fields: [
      str('officecode', 10, { hint: 'e.g. "1"' }),
      str('city', 50),
      str('phone', 50),
      str('addressline1', 50),
      opt(str('addressline2', 50)),
      opt(str('state', 50)),
      str('country', 50),
      str('postalcode', 15),
      str('territory', 10, { hint: 'NA, EMEA, APAC or Japan' }),
    ],
    relations: [],
    summary: 'Sales offices (7)',
    display: ['city', 'country'],
  },
  {
    name: 'employees',
    singular: 'employee',
    label: 'employee',
    key: ['employeenumber'],
    fields: [
      { name: 'employeenumber', type: 'int', required: true, hint: 'e.g. 1002' },
      str('lastname', 50),
      str('firstname', 50),
      str('extension', 10),
      str('email', 100),
      str('jobtitle', 50),
      str('officecode', 10, { fk: 'offices' }),
      { name: 'reportsto', type: 'int', required: false, nullable: true, fk: 'employees', hint: 'manager employeenumber' },
    ],
    relations: [
      { field: 'officecode', parent: 'offices', segment: 'employees' },
      { field: 'reportsto', parent: 'employees', segment: 'reports' },
    ],
    summary: 'Employees (23)',
    display: ['firstname', 'lastname'],
  },
  {
    name: 'customers',
    singular: 'customer',
    label: 'customer',
    key: ['customernumber'],
    fields: [
      { name: 'customernumber', type: 'int', required: true, hint: 'e.g. 103' },
      str('customername', 50),
      str('contactlastname', 50),
      str('contactfirstname', 50),
      str('phone', 50),
      str('addressline1', 50),
      opt(str('addressline2', 50)),
      str('city', 50),
      opt(str('state', 50)),
      opt(str('postalcode', 15)),
      str('country', 50),
      { name: 'creditlimit', type: 'decimal', required: false, nullable: true },
      { name: 'salesrepemployeenumber', type: 'int', required: false, nullable: true, fk: 'employees', hint: 'sales rep employeenumber' },
    ],
    relations: [{ field: 'salesrepemployeenumber', parent: 'employees', segment: 'customers' }],
    summary: 'Customers (122)',
    display: ['customername'],
  },
  {
    name: 'orders',
    singular: 'order',
    label: 'order',
    key: ['ordernumber'],
    fields: [
      { name: 'ordernumber', type: 'int', required: true, hint: 'e.g. 10100' },
      { name: 'orderdate', type: 'date', required: true },
      { name: 'requireddate', type: 'date', required: true },
      { name: 'shippeddate', type: 'date', required: false, nullable: true },
      str('status', 15, { hint: 'Shipped, Resolved, Cancelled, On Hold, Disputed or In Process' }),
      { name: 'comments', type: 'text', required: false, nullable: true },
      { name: 'customernumber', type: 'int', required: true, fk: 'customers' },
    ],
    relations: [{ field: 'customernumber', parent: 'customers', segment: 'orders' }],
    summary: 'Orders (326)',
    display: ['orderdate', 'status'],
  },
  {
    name: 'payments',
    singular: 'payment',
    label: 'payment',
    key: ['customernumber', 'checknumber'],
    fields: [
      { name: 'id', type: 'int', required: false, readOnly: true },
      str('checknumber', 50, { hint: 'e.g. "HQ336336"' }),
      { name: 'paymentdate', type: 'date', required: true },
      { name: 'amount', type: 'decimal', required: true },
      { name: 'customernumber', type: 'int', required: true, fk: 'customers' },
    ],
    relations: [{ field: 'customernumber', parent: 'customers', segment: 'payments' }],
    summary: 'Payments (273)',
    display: ['paymentdate', 'amount'],
  },
  {
    name: 'orderdetails',
    singular: 'orderdetail',
    label: 'order detail',
    key: ['ordernumber', 'productcode'],
    fields: [
      { name: 'id', type: 'int', required: false, readOnly: true },
      { name: 'quantityordered', type: 'int', required: true },
      { name: 'priceeach', type: 'decimal', required: true },
      { name: 'orderlinenumber', type: 'smallint', required: true },
      { name: 'ordernumber', type: 'int', required: true, fk: 'orders' },
      str('productcode', 15, { fk: 'products' }),
    ],
    derived: [
      {
        name: 'linetotal',
        type: 'decimal',
        hint: 'quantityordered × priceeach',
        compute: (r) => (r.quantityordered == null || r.priceeach == null ? null : Math.round(Number(r.quantityordered) * Number(r.priceeach) * 100) / 100),
      },
    ],
    relations: [
      { field: 'ordernumber', parent: 'orders', segment: 'order-details' },
      { field: 'productcode', parent: 'products', segment: 'order-details' },
    ],
    noItemGet: true,
    summary: 'Order lines (2,996)',
    display: ['quantityordered', 'priceeach'],
  },
];

export const RESOURCE_NAMES = RESOURCES.map((r) => r.name);

const byName = new Map(RESOURCES.map((r) => [r.name, r]));
export function resource(name: ResourceName): ResourceDef {
  return byName.get(name)!;
}

/** The fields a client may write: everything but read-only surrogates. */
export const writableFields = (r: ResourceDef) => r.fields.filter((f) => !f.readOnly);

export const field = (r: ResourceDef, name: string) => r.fields.find((f) => f.name === name);

/** The relations in which `r` is the parent: which child lists point at it (for delete messages). */
export function referencesTo(r: ResourceDef): { child: ResourceDef; rel: RelationDef }[] {
  return RESOURCES.flatMap((child) => child.relations.filter((rel) => rel.parent === r.name).map((rel) => ({ child, rel })));
}

export const INT_RANGE: Record<'int' | 'smallint', [number, number]> = {
  int: [-2147483648, 2147483647],
  smallint: [-32768, 32767],
};
