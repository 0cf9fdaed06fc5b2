import type { CorpusQuery } from './hand.js';

/**
 * A seeded generator of MySQL over the eight tables and their join keys: random joins,
 * filters, aggregates, GROUP BY/HAVING, window functions, functions with edge-case arguments
 * (NULL, empty string, month ends, leap days, negatives, .5 halves, trailing spaces),
 * ORDER BY/LIMIT/OFFSET, subqueries and UNION. The same seed gives the same queries, so the
 * answers MariaDB gave can be recorded and replayed. Every query that orders, orders totally
 * (its key last), and only such queries take a LIMIT.
 */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}

interface Table {
  name: string;
  key: string[];
  nums: string[];
  texts: string[];
  dates: string[];
}

const TABLES: Table[] = [
  { name: 'products', key: ['productCode'], nums: ['quantityInStock', 'buyPrice', 'MSRP'], texts: ['productName', 'productLine', 'productVendor', 'productScale'], dates: [] },
  { name: 'customers', key: ['customerNumber'], nums: ['creditLimit', 'salesRepEmployeeNumber'], texts: ['customerName', 'contactFirstName', 'city', 'country', 'state', 'postalCode'], dates: [] },
  { name: 'orders', key: ['orderNumber'], nums: ['customerNumber'], texts: ['status', 'comments'], dates: ['orderDate', 'requiredDate', 'shippedDate'] },
  { name: 'payments', key: ['customerNumber', 'checkNumber'], nums: ['amount'], texts: ['checkNumber'], dates: ['paymentDate'] },
  { name: 'orderdetails', key: ['orderNumber', 'productCode'], nums: ['quantityOrdered', 'priceEach', 'orderLineNumber'], texts: ['productCode'], dates: [] },
  { name: 'employees', key: ['employeeNumber'], nums: ['reportsTo'], texts: ['lastName', 'firstName', 'jobTitle', 'officeCode', 'extension'], dates: [] },
  { name: 'offices', key: ['officeCode'], nums: [], texts: ['city', 'country', 'state', 'territory', 'postalCode'], dates: [] },
];
const table = (n: string) => TABLES.find((t) => t.name === n)!;

/** Join paths: child, parent, and the columns that join them. */
const JOINS: [string, string, string, string][] = [
  ['orders', 'customers', 'customerNumber', 'customerNumber'],
  ['payments', 'customers', 'customerNumber', 'customerNumber'],
  ['orderdetails', 'orders', 'orderNumber', 'orderNumber'],
  ['orderdetails', 'products', 'productCode', 'productCode'],
  ['products', 'productlines', 'productLine', 'productLine'],
  ['employees', 'offices', 'officeCode', 'officeCode'],
  ['customers', 'employees', 'salesRepEmployeeNumber', 'employeeNumber'],
];

const DATES = ["'2004-02-29'", "'2003-02-28'", "'2004-01-31'", "'2004-12-31'", "'2005-03-01'", "'2000-02-29'", "'1999-12-31'", "'2003-11-30'", 'NULL'];
const NUMS = ['0', '-1', '2.5', '-2.5', '0.5', '1.005', '123.456', '-0.125', 'NULL', '10', '7', '-7.5', '99.995'];
const STRS = ["''", "'abc'", "'a,b,c'", "' padded '", "'MiXeD'", 'NULL', "'Ford Mustang'", "'x y z'", "'trail  '", "'Ünïcödé'"];
const UNITS = ['DAY', 'MONTH', 'YEAR', 'WEEK', 'QUARTER'];
const FORMATS = ["'%Y-%m-%d'", "'%d/%m/%Y'", "'%W %M %e'", "'%a %b %D %y'", "'%j'", "'%c/%e'"];

type Rng = ReturnType<typeof prng>;

/** One scalar function applied to edge-case arguments. */
function scalar(r: Rng): string {
  const d = () => r.pick(DATES);
  const n = () => r.pick(NUMS);
  const s = () => r.pick(STRS);
  const k = () => String(r.int(-2, 3));
  const makers: (() => string)[] = [
    () => `ROUND(${n()})`,
    () => `ROUND(${n()}, ${r.int(0, 2)})`,
    () => `TRUNCATE(${n()}, ${r.int(0, 2)})`,
    () => `ABS(${n()})`,
    () => `SIGN(${n()})`,
    () => `CEILING(${n()})`,
    () => `FLOOR(${n()})`,
    () => `MOD(${n()}, 3)`,
    () => `${n()} * ${n()}`,
    () => `${n()} + ${n()}`,
    () => `${n()} / 4`,
    () => `CAST(${n()} AS DECIMAL(8,1))`,
    () => `CAST(${n()} AS SIGNED)`,
    () => `FORMAT(${n()}, ${r.int(0, 2)})`,
    () => `LAST_DAY(${d()})`,
    () => `DAYOFYEAR(${d()})`,
    () => `WEEK(${d()})`,
    () => `WEEK(${d()}, 1)`,
    () => `WEEKDAY(${d()})`,
    () => `YEARWEEK(${d()})`,
    () => `DATE_ADD(${d()}, INTERVAL ${r.int(-13, 13)} ${r.pick(UNITS)})`,
    () => `DATE_SUB(${d()}, INTERVAL ${r.int(1, 13)} ${r.pick(UNITS)})`,
    () => `DATEDIFF(${d()}, ${d()})`,
    () => `TIMESTAMPDIFF(${r.pick(UNITS)}, ${d()}, ${d()})`,
    () => `MONTHNAME(${d()})`,
    () => `DAYNAME(${d()})`,
    () => `QUARTER(${d()})`,
    () => `DATE_FORMAT(${d()}, ${r.pick(FORMATS)})`,
    () => `SUBSTRING_INDEX(${s()}, ',', ${k()})`,
    () => `LPAD(${s()}, ${r.int(0, 8)}, '*')`,
    () => `RPAD(${s()}, ${r.int(0, 8)}, '-')`,
    () => `CHAR_LENGTH(${s()})`,
    () => `LENGTH(${s()})`,
    () => `UPPER(${s()})`,
    () => `TRIM(${s()})`,
    () => `CONCAT(${s()}, ${s()})`,
    () => `CONCAT_WS('|', ${s()}, ${s()})`,
    () => `LEFT(${s()}, ${k()})`,
    () => `RIGHT(${s()}, ${k()})`,
    () => `MID(${s()}, ${k()}, 2)`,
    () => `LOCATE('b', ${s()})`,
    () => `REPLACE(${s()}, 'a', 'X')`,
    () => `REVERSE(${s()})`,
    () => `IFNULL(${s()}, 'z')`,
    () => `NULLIF(${s()}, 'abc')`,
    () => `${s()} = ${r.pick(["'ABC'", "'abc  '", "''", "'mixed'"])}`,
    () => `${s()} < ${r.pick(["'b'", "'B'", "'a'"])}`,
    () => `${s()} LIKE ${r.pick(["'a%'", "'%B%'", "'_'", "''"])}`,
    () => `${d()} < ${d()}`,
  ];
  return r.pick(makers)();
}

function scalars(r: Rng, i: number): CorpusQuery {
  const cols = Array.from({ length: 3 }, (_, j) => `${scalar(r)} AS c${j}`);
  return { id: `gen-scalar-${i}`, sql: `SELECT ${cols.join(', ')}`, ordered: true };
}

function orderKey(t: Table, alias = '') {
  return t.key.map((k) => `${alias}${k}`).join(', ');
}

function filter(r: Rng, t: Table, alias = ''): string {
  const choices: (() => string)[] = [];
  if (t.nums.length) choices.push(() => `${alias}${r.pick(t.nums)} ${r.pick(['>', '<', '>=', '<=', '=', '<>'])} ${r.pick(['0', '50', '100', '1000', '5000', '60000', '1370', '10150', '3.5'])}`);
  if (t.texts.length) {
    choices.push(() => `${alias}${r.pick(t.texts)} ${r.pick(['LIKE', 'NOT LIKE'])} '${r.pick(['%a%', 'S%', '%e', '_o%', '%1%'])}'`);
    choices.push(() => `${alias}${r.pick(t.texts)} IS ${r.pick(['NULL', 'NOT NULL'])}`);
    choices.push(() => `${alias}${r.pick(t.texts)} ${r.pick(['=', '<', '>'])} '${r.pick(['USA', 'usa', 'France', 'Shipped', 'shipped ', 'Classic Cars', 'M', 'Paris', 'Carine'])}'`);
  }
  if (t.dates.length) {
    choices.push(() => `${alias}${r.pick(t.dates)} ${r.pick(['>', '<', '>='])} '${r.pick(['2003-06-30', '2004-02-29', '2004-12-31', '2005-01-01'])}'`);
    choices.push(() => `YEAR(${alias}${r.pick(t.dates)}) = ${r.pick(['2003', '2004', '2005'])}`);
    choices.push(() => `MONTH(${alias}${r.pick(t.dates)}) IN (1, 2, 12)`);
  }
  return r.pick(choices)();
}

function selectFilter(r: Rng, i: number): CorpusQuery {
  const t = r.pick(TABLES);
  const cols = [...t.key, ...[...t.nums, ...t.texts, ...t.dates].filter((c) => !t.key.includes(c)).filter(() => r.chance(0.4))].slice(0, 5);
  const where = Array.from({ length: r.int(1, 2) }, () => filter(r, t)).join(r.pick([' AND ', ' OR ']));
  const desc = r.chance(0.3) ? ' DESC' : '';
  const order = `${t.key.map((k) => k + desc).join(', ')}`;
  const limit = r.chance(0.6) ? ` LIMIT ${r.int(1, 25)}${r.chance(0.4) ? ` OFFSET ${r.int(0, 30)}` : ''}` : '';
  return { id: `gen-filter-${i}`, sql: `SELECT ${cols.join(', ')} FROM ${t.name} WHERE ${where} ORDER BY ${order}${limit}`, ordered: true };
}

const AGGS = ['COUNT(*)', 'COUNT(DISTINCT {c})', 'SUM({n})', 'AVG({n})', 'MIN({n})', 'MAX({n})', 'MIN({c})', 'MAX({c})'];

function groupJoin(r: Rng, i: number): CorpusQuery {
  const [child, parent, ck, pk] = r.pick(JOINS);
  const c = table(child);
  const p = table(parent) ?? { name: parent, key: [pk], nums: [], texts: ['textDescription'], dates: [] };
  const groupCol = r.chance(0.5) && p.texts.length ? `p.${r.pick(p.texts)}` : `p.${pk}`;
  const numCol = c.nums.length ? `c.${r.pick(c.nums)}` : 'c.' + c.key[0];
  const textCol = c.texts.length ? `c.${r.pick(c.texts)}` : numCol;
  const aggs = Array.from({ length: r.int(1, 3) }, (_, j) => `${r.pick(AGGS).replace('{n}', numCol).replace('{c}', textCol)} AS a${j}`);
  const where = r.chance(0.5) ? ` WHERE ${filter(r, c, 'c.')}` : '';
  const having = r.chance(0.4) ? ` HAVING COUNT(*) ${r.pick(['>', '>=', '<'])} ${r.int(1, 10)}` : '';
  const ordered = r.chance(0.7);
  const order = ordered ? ` ORDER BY a0 DESC, ${groupCol}` : '';
  const limit = ordered && r.chance(0.5) ? ` LIMIT ${r.int(1, 10)}` : '';
  // An ordered query is total only when the group column identifies the group.
  return { id: `gen-group-${i}`, sql: `SELECT ${groupCol}, ${aggs.join(', ')} FROM ${child} c JOIN ${parent} p ON c.${ck} = p.${pk}${where} GROUP BY ${groupCol}${having}${order}${limit}`, ordered: ordered && !limit ? false : ordered && groupCol === `p.${pk}` };
}

function windowed(r: Rng, i: number): CorpusQuery {
  const t = r.pick(TABLES.filter((x) => x.nums.length));
  const part = r.pick([...t.texts, ...t.nums].filter((c) => !t.key.includes(c)));
  const n = r.pick(t.nums);
  const fn = r.pick([
    'ROW_NUMBER()',
    'RANK()',
    'DENSE_RANK()',
    `SUM(${n})`,
    `AVG(${n})`,
    `COUNT(*)`,
    `MAX(${n})`,
    `LAG(${n})`,
    `LEAD(${n}, 2)`,
    `FIRST_VALUE(${n})`,
    'NTILE(3)',
    'CUME_DIST()',
    'PERCENT_RANK()',
  ]);
  const frame = /^(SUM|AVG|COUNT|MAX)/.test(fn) && r.chance(0.5) ? ` ROWS BETWEEN ${r.pick(['1 PRECEDING', 'UNBOUNDED PRECEDING', '2 PRECEDING'])} AND CURRENT ROW` : '';
  const over = `OVER (PARTITION BY ${part} ORDER BY ${r.chance(0.5) ? `${n}, ` : ''}${orderKey(t)}${frame})`;
  const where = r.chance(0.5) ? ` WHERE ${filter(r, t)}` : '';
  return { id: `gen-window-${i}`, sql: `SELECT ${orderKey(t)}, ${part}, ${n}, ${fn} ${over} AS w FROM ${t.name}${where} ORDER BY ${orderKey(t)}`, ordered: true };
}

function subqueryOrUnion(r: Rng, i: number): CorpusQuery {
  const kind = r.int(0, 2);
  if (kind === 0) {
    const threshold = r.pick(['10000', '50000', '100000']);
    return { id: `gen-sub-${i}`, sql: `SELECT customerNumber, customerName FROM customers WHERE customerNumber ${r.pick(['IN', 'NOT IN'])} (SELECT customerNumber FROM payments WHERE amount > ${threshold}) ORDER BY customerNumber`, ordered: true };
  }
  if (kind === 1) {
    const t = r.pick(TABLES.filter((x) => x.nums.length));
    const n = r.pick(t.nums);
    return { id: `gen-sub-${i}`, sql: `SELECT ${orderKey(t)}, ${n} FROM ${t.name} WHERE ${n} ${r.pick(['>', '<'])} (SELECT AVG(${n}) FROM ${t.name}) ORDER BY ${orderKey(t)}${r.chance(0.5) ? ` LIMIT ${r.int(1, 20)}` : ''}`, ordered: true };
  }
  const col = r.pick(['city', 'country', 'state', 'postalCode']);
  return { id: `gen-union-${i}`, sql: `SELECT ${col} FROM offices UNION${r.chance(0.5) ? ' ALL' : ''} SELECT ${col} FROM customers WHERE ${filter(r, table('customers'))} ORDER BY 1`, ordered: false };
}

export function generate(seed: number, count: number): CorpusQuery[] {
  const r = prng(seed);
  const makers = [scalars, scalars, scalars, selectFilter, groupJoin, windowed, subqueryOrUnion];
  return Array.from({ length: count }, (_, i) => r.pick(makers)(r, i));
}
