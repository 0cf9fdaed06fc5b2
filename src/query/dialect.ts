import { RESOURCES, type ResourceName } from '../catalog/resources.js';
import { SQL_COLUMNS } from '../catalog/sql-columns.js';

/**
 * The SQL a model writes is MySQL's: it knows this database from countless MySQL tutorials. The
 * engine is SQLite. This module reads the query once, token by token, and
 * - refuses anything but one SELECT (or WITH … SELECT): "read-only: one SELECT";
 * - finds the tables it names, so only those are fetched from the API;
 * - translates what the two dialects read differently, so the answer is MySQL's: `/` yields a
 *   fraction, DIV and % on decimals, XOR, backslash escapes, INTERVAL arithmetic, GROUP_CONCAT's
 *   DISTINCT, ORDER BY and SEPARATOR, CAST and CONVERT targets, TIMESTAMPDIFF/EXTRACT units,
 *   POSITION, SUBSTRING … FROM … FOR, TRIM modes, exact SUM and AVG, `<=>`, RLIKE, GROUP BY …
 *   WITH ROLLUP, text compared with literals, sorted and partitioned as MySQL's collation does
 *   (case, accents and trailing spaces aside), and result columns named as MySQL names them;
 * - refuses, in one line naming the construct and what to write instead, what it cannot answer
 *   exactly (statistical aggregates as window functions, functions whose answer changes at every
 *   call, DIV right after *), and tells the engine which columns a query groups or deduplicates,
 *   so that it refuses those whose data MySQL's collation would merge (see QueryEngine).
 * A hand-written tokenizer rather than a parser: node-sql-parser's MySQL build is 276 KB
 * minified, nearly the whole growth the bundle may take, and its AST would still need a printer
 * for SQLite; these rewrites touch only the tokens of the constructs that differ.
 */
export class RefusedQuery extends Error {
  override name = 'RefusedQuery';
}

type Kind = 'space' | 'comment' | 'string' | 'quoted' | 'word' | 'number' | 'op';
interface Token {
  kind: Kind;
  text: string;
  /** For strings: the value. */
  value?: string;
  /** As the query wrote it, for the names of result columns. */
  raw?: string;
  /** Whitespace (or a comment) stood before it. */
  sp?: boolean;
  /** A result column's name, given as an alias after this token (the main select list). */
  alias?: string;
}

const TABLES = new Set<string>(RESOURCES.map((r) => r.name));
const UNITS = new Set(['MICROSECOND', 'SECOND', 'MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR', 'YEAR_MONTH', 'DAY_HOUR']);
const COMPARISON = new Set(['=', '<>', '!=', '<', '>', '<=', '>=', '<=>']);
/** Aggregates SQLite lacks, as application aggregates (which cannot be window functions here). */
const STATS = new Set(['STDDEV', 'STD', 'STDDEV_POP', 'STDDEV_SAMP', 'VARIANCE', 'VAR_POP', 'VAR_SAMP', 'BIT_AND', 'BIT_OR', 'BIT_XOR']);
const VOLATILE = new Set(['RAND', 'UUID', 'UUID_SHORT', 'SLEEP', 'BENCHMARK', 'CONNECTION_ID', 'LAST_INSERT_ID', 'ROW_COUNT', 'FOUND_ROWS', 'GET_LOCK', 'LOAD_FILE']);
const sq = (v: string) => `'${v.replace(/'/g, "''")}'`;

function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: Kind, end: number) => {
    out.push({ kind, text: sql.slice(i, end), raw: sql.slice(i, end) });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i];
    const rest = sql.slice(i);
    if (/\s/.test(c)) push('space', i + /^\s+/.exec(rest)![0].length);
    else if (rest.startsWith('--') || c === '#') push('comment', sql.indexOf('\n', i) < 0 ? sql.length : sql.indexOf('\n', i));
    else if (rest.startsWith('/*')) push('comment', sql.indexOf('*/', i + 2) < 0 ? sql.length : sql.indexOf('*/', i + 2) + 2);
    else if (c === "'" || c === '"') {
      // MySQL reads "…" as a string too (without ANSI_QUOTES), and keeps \% and \_ for LIKE.
      let j = i + 1;
      let value = '';
      for (; j < sql.length; j++) {
        if (sql[j] === '\\' && j + 1 < sql.length) {
          const e = sql[++j];
          value += e === '%' || e === '_' ? `\\${e}` : (({ n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', Z: '\x1a' } as Record<string, string>)[e] ?? e);
        } else if (sql[j] === c && sql[j + 1] === c) {
          value += c;
          j++;
        } else if (sql[j] === c) break;
        else value += sql[j];
      }
      if (j >= sql.length) throw new RefusedQuery('unterminated string: a quote is missing');
      out.push({ kind: 'string', text: sq(value), value, raw: sql.slice(i, j + 1) });
      i = j + 1;
    } else if (c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      while (j < sql.length && !(sql[j] === close && sql[j + 1] !== close)) j += sql[j] === close ? 2 : 1;
      if (j >= sql.length) throw new RefusedQuery(`unterminated identifier: a closing ${close} is missing`);
      push('quoted', j + 1);
    } else if (/[A-Za-z_$\u0080-\uffff]/.test(c)) push('word', i + /^[\w$\u0080-\uffff]+/.exec(rest)![0].length);
    else if (/[0-9.]/.test(c) && /^(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)/.test(rest)) push('number', i + /^(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)/.exec(rest)![0].length);
    else push('op', i + (/^(<=>|<=|>=|<>|!=|==|\|\||<<|>>|::)/.exec(rest)?.[0].length ?? 1));
  }
  return out;
}

const unquote = (t: Token) => (t.kind === 'quoted' ? t.text.slice(1, -1) : t.text);
const upper = (t: Token | undefined) => (t?.kind === 'word' ? t.text.toUpperCase() : '');
const isOp = (t: Token | undefined, ...ops: string[]) => t?.kind === 'op' && ops.includes(t.text);

/** What `/` becomes; unaliased columns are named after their text, so names undo it (see label). */
const FRACTION = '*1.0/';

/** A result column's name as the query wrote it. */
export const label = (column: string) => column.split(FRACTION).join('/');

export interface PreparedQuery {
  /** The query as SQLite should run it. */
  sql: string;
  /** The tables it names, to be fetched and loaded. */
  tables: ResourceName[];
  /**
   * Columns the query compares, groups, sorts or deduplicates (lowercase): where their values
   * end in spaces, MySQL and SQLite disagree, and the engine refuses (see QueryEngine).
   */
  compared: string[];
  /** Columns compared through cm_fold (general_ci's rules for the letters it can fold). */
  folded: string[];
}

const COLUMNS = new Set(Object.values(SQL_COLUMNS).flat().map((c) => c.toLowerCase()));
/** Columns that hold text in every table that has them: only text pads with spaces. */
const TEXT_COLUMNS = new Set(RESOURCES.flatMap((r) => r.fields.filter((f) => f.type === 'string' || f.type === 'text').map((f) => f.name)).filter((n) => !RESOURCES.some((r) => r.fields.some((f) => f.name === n && f.type !== 'string' && f.type !== 'text'))));

/** Whether ts[a, b) is a bare column reference (col, t.col, `col`). */
const isColumnRef = (ts: Token[], a: number, b: number) =>
  b > a && (b - a) % 2 === 1 && ts.slice(a, b).every((t, k) => (k % 2 === 0 ? t.kind === 'word' || t.kind === 'quoted' : isOp(t, '.'))) && TEXT_COLUMNS.has(unquote(ts[b - 1]).toLowerCase());

/** ts[a, b) wrapped as cm_fold(…): text as MySQL's general_ci collation compares it. */
function wrapFold(ts: Token[], a: number, b: number, folded: Set<string>) {
  folded.add(unquote(ts[b - 1]).toLowerCase());
  return wrapCall(ts, a, b);
}

function wrapCall(ts: Token[], a: number, b: number, fn = 'cm_fold') {
  const alias = ts[b - 1].alias;
  ts[b - 1] = { ...ts[b - 1], alias: undefined };
  ts.splice(b, 0, { ...op(')'), alias });
  ts.splice(a, 0, { ...word(fn), sp: ts[a].sp }, op('('));
  ts[a + 2] = { ...ts[a + 2], sp: false };
  return 3;
}

/**
 * MySQL's PAD SPACE, where it can be said exactly: a column compared with a text literal, or
 * with a list of them (IN), is compared without its trailing spaces; a column sorted on or
 * partitioned by sorts and partitions without them. Elsewhere (GROUP BY, DISTINCT, MIN…) the
 * engine refuses when the data has such values (see comparedColumns).
 */
function padSpace(ts: Token[]): string[] {
  const folded = new Set<string>();
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (t.kind === 'op' && COMPARISON.has(t.text) && t.text !== '<=>') {
      if (ts[i + 1]?.kind === 'string') {
        const a = primaryBefore(ts, i);
        if (isColumnRef(ts, a, i)) {
          i += wrapFold(ts, a, i, folded);
          wrapCall(ts, i + 1, i + 2);
          i += 3;
        }
      } else if (ts[i - 1]?.kind === 'string') {
        const b = primaryAfter(ts, i + 1);
        if (isColumnRef(ts, i + 1, b)) {
          const lit = primaryBefore(ts, i);
          wrapCall(ts, lit, i);
          i += 3;
          i += wrapFold(ts, i + 1, primaryAfter(ts, i + 1), folded);
        }
      }
    } else if (upper(t) === 'LIKE' && ts[i + 1]?.kind === 'string') {
      // LIKE folds case and accents as the collation does, but keeps trailing spaces.
      const end = upper(ts[i - 1]) === 'NOT' ? i - 1 : i;
      const a = primaryBefore(ts, end);
      if (isColumnRef(ts, a, end)) {
        const pattern = ts[i + 1];
        wrapCall(ts, i + 1, i + 2, 'cm_unaccent');
        // MySQL's LIKE escapes with a backslash unless ESCAPE says otherwise.
        if (pattern.value!.includes('\\') && upper(ts[i + 5]) !== 'ESCAPE') ts.splice(i + 5, 0, { ...word('ESCAPE'), sp: true }, { ...str('\\'), sp: true });
        i += wrapCall(ts, a, end, 'cm_unaccent');
      }
    } else if (upper(t) === 'IN' && isOp(ts[i + 1], '(') && ts[i + 2]?.kind === 'string') {
      const end = upper(ts[i - 1]) === 'NOT' ? i - 1 : i;
      const a = primaryBefore(ts, end);
      const close = closing(ts, i + 1);
      const items = args(ts, i + 2, close);
      if (isColumnRef(ts, a, end) && items.every(([x, y]) => y === x + 1 && ts[x].kind === 'string')) {
        // The list's literals fold too, last first so the positions before them hold.
        for (const [x] of [...items].reverse()) wrapCall(ts, x, x + 1);
        i += wrapFold(ts, a, end, folded);
      }
    } else if ((upper(t) === 'ORDER' || upper(t) === 'PARTITION') && upper(ts[i + 1]) === 'BY') {
      // Items up to the clause's end: each bare column sorts as MySQL's collation would.
      let k = i + 2;
      for (;;) {
        let e = k;
        while (e < ts.length && !isOp(ts[e], ',', ')') && !['LIMIT', 'ASC', 'DESC', 'ROWS', 'RANGE', 'ORDER', 'UNION', 'WINDOW', 'OFFSET'].includes(upper(ts[e]))) e = isOp(ts[e], '(') ? closing(ts, e) + 1 : e + 1;
        if (isColumnRef(ts, k, e)) e += wrapFold(ts, k, e, folded);
        while (['ASC', 'DESC'].includes(upper(ts[e]))) e++;
        if (!isOp(ts[e], ',')) break;
        k = e + 1;
      }
    }
  }
  return [...folded];
}

/** The main SELECT's list: [start, end) of its items. */
function mainList(ts: Token[]): [number, number] | undefined {
  const mainSelect = topLevel(ts, 0, ts.length, (t) => upper(t) === 'SELECT')[0];
  if (mainSelect === undefined) return undefined;
  let start = mainSelect + 1;
  while (['DISTINCT', 'ALL', 'DISTINCTROW', 'SQL_CALC_FOUND_ROWS', 'HIGH_PRIORITY', 'STRAIGHT_JOIN'].includes(upper(ts[start]))) start++;
  const stops = new Set(['FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'UNION', 'WINDOW', 'INTO', 'EXCEPT', 'INTERSECT']);
  return [start, topLevel(ts, start, ts.length, (t) => stops.has(upper(t)))[0] ?? ts.length];
}

/** Calls whose arguments MySQL compares by collation. */
const COMPARING_CALLS = new Set(['MIN', 'MAX', 'COUNT', 'GROUP_CONCAT', 'FIELD', 'STRCMP', 'GREATEST', 'LEAST', 'NULLIF', 'LOCATE', 'INSTR', 'POSITION', 'OVER', 'REPLACE']);

/**
 * The columns a query compares by collation: in the main select list, the operands of a
 * comparison and the arguments of calls that compare (MIN, MAX, COUNT, GROUP_CONCAT, OVER…);
 * everywhere else, every reference (WHERE, GROUP BY, ORDER BY, joins, subqueries), but for
 * LIKE, REGEXP and IS [NOT] NULL, which see the text as it is in both engines, and for a column
 * inside TRIM(), RTRIM() or cm_fold(). All of them under DISTINCT or a set operation.
 */
function comparedColumns(ts: Token[]): string[] {
  const out = new Set<string>();
  const list = mainList(ts);
  const everything = ts.some((t) => ['UNION', 'INTERSECT', 'EXCEPT'].includes(upper(t))) || (list && upper(ts[list[0] - 1]) === 'DISTINCT');
  const calls: string[] = [];
  ts.forEach((t, i) => {
    if (isOp(t, '(')) calls.push(upper(ts[i - 1]));
    else if (isOp(t, ')')) calls.pop();
    if (t.kind !== 'word' && t.kind !== 'quoted') return;
    const name = unquote(t).toLowerCase();
    if (!COLUMNS.has(name) || isOp(ts[i + 1], '(') || isOp(ts[i + 1], '.')) return;
    let start = i;
    while (isOp(ts[start - 1], '.')) start -= 2;
    if (['TRIM', 'RTRIM', 'CM_FOLD', 'CM_UNACCENT'].includes(upper(ts[start - 2])) && isOp(ts[start - 1], '(') && isOp(ts[i + 1], ')')) return;
    if (['LIKE', 'REGEXP', 'RLIKE', 'IS'].includes(upper(ts[i + 1])) || (upper(ts[i + 1]) === 'NOT' && ['LIKE', 'REGEXP', 'RLIKE'].includes(upper(ts[i + 2])))) return;
    const inList = list && i >= list[0] && i < list[1];
    if (inList && !everything) {
      const operand = [ts[i - 1], ts[i + 1]].some((n) => n && ((n.kind === 'op' && COMPARISON.has(n.text)) || ['IN', 'BETWEEN', 'CASE', 'WHEN'].includes(upper(n))));
      if (!operand && !calls.some((c) => COMPARING_CALLS.has(c))) return;
    }
    out.add(name);
  });
  return [...out];
}

/** The index of the token closing the parenthesis opened at `open`. */
function closing(ts: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < ts.length; i++) {
    if (isOp(ts[i], '(')) depth++;
    else if (isOp(ts[i], ')') && --depth === 0) return i;
  }
  throw new RefusedQuery('unbalanced parentheses: a ) is missing');
}

/** The index of the token opening the parenthesis closed at `close`. */
function opening(ts: Token[], close: number): number {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    if (isOp(ts[i], ')')) depth++;
    else if (isOp(ts[i], '(') && --depth === 0) return i;
  }
  throw new RefusedQuery('unbalanced parentheses: a ( is missing');
}

/** Top-level positions of `pred` in ts[from, to). */
function topLevel(ts: Token[], from: number, to: number, pred: (t: Token, i: number) => boolean): number[] {
  const out: number[] = [];
  let depth = 0;
  for (let i = from; i < to; i++) {
    if (isOp(ts[i], '(')) depth++;
    else if (isOp(ts[i], ')')) depth--;
    else if (depth === 0 && pred(ts[i], i)) out.push(i);
  }
  return out;
}

/** One operand of a binary operator: the start of the primary ending before `at`. */
function primaryBefore(ts: Token[], at: number): number {
  let s = at - 1;
  if (isOp(ts[s], ')')) {
    s = opening(ts, s);
    if (ts[s - 1]?.kind === 'word') s--;
  }
  while (isOp(ts[s - 1], '.') && (ts[s - 2]?.kind === 'word' || ts[s - 2]?.kind === 'quoted')) s -= 2;
  return s;
}

/** The end of the primary starting at `at` (a sign, a parenthesis, a call, a qualified name). */
function primaryAfter(ts: Token[], at: number): number {
  let e = at;
  if (isOp(ts[e], '-', '+')) e++;
  if (isOp(ts[e], '(')) return closing(ts, e) + 1;
  if (ts[e]?.kind === 'word' && isOp(ts[e + 1], '(')) return closing(ts, e + 1) + 1;
  e++;
  while (isOp(ts[e], '.') && (ts[e + 1]?.kind === 'word' || ts[e + 1]?.kind === 'quoted')) e += 2;
  return e;
}

const word = (text: string): Token => ({ kind: 'word', text });
const op = (text: string): Token => ({ kind: 'op', text });
const str = (value: string): Token => ({ kind: 'string', text: sq(value), value });

/** ts[ls, re) replaced by fn(args…), keeping an alias that was on its last token. */
function callOf(ts: Token[], ls: number, re: number, fn: string, args: Token[][]): void {
  const alias = ts.slice(ls, re).find((t) => t.alias)?.alias;
  const out: Token[] = [{ ...word(fn), sp: ts[ls]?.sp }, op('(')];
  args.forEach((a, i) => out.push(...(i ? [op(',')] : []), ...a));
  out.push({ ...op(')'), alias });
  ts.splice(ls, re - ls, ...out);
}

/**
 * Operators whose MySQL meaning SQLite's namesakes do not have, as function calls on their two
 * operands: DIV (integer part of the quotient, decimals too), % and MOD (decimals too), and
 * date ± INTERVAL n UNIT.
 */
function operators(ts: Token[]): void {
  xor(ts);
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    const U = upper(t);
    if (U === 'INTERVAL' && !isOp(ts[i + 1], '(')) {
      const end = primaryAfter(ts, i + 1);
      const unit = upper(ts[end]);
      if (!UNITS.has(unit)) throw new RefusedQuery(`INTERVAL needs an amount and a unit (DAY, WEEK, MONTH, QUARTER, YEAR…), e.g. INTERVAL 7 DAY`);
      const amount = ts.slice(i + 1, end);
      const interval: Token[] =
        amount.length === 1 && (amount[0].kind === 'number' || amount[0].kind === 'string')
          ? [str(`${amount[0].value ?? amount[0].text} ${unit}`)]
          : [op('('), ...amount, op('||'), str(` ${unit}`), op(')')];
      ts.splice(i, end + 1 - i, ...interval);
      // date + INTERVAL …, date - INTERVAL …, INTERVAL … + date.
      const before = ts[i - 1];
      if (isOp(before, '+', '-')) {
        const ls = primaryBefore(ts, i - 1);
        callOf(ts, ls, i + interval.length, before.text === '+' ? 'date_add' : 'date_sub', [ts.slice(ls, i - 1), interval]);
        i = ls;
      } else if (isOp(ts[i + interval.length], '+')) {
        const re = primaryAfter(ts, i + interval.length + 1);
        callOf(ts, i, re, 'date_add', [ts.slice(i + interval.length + 1, re), interval]);
      }
      continue;
    }
    if (U === 'DIV' || U === 'MOD' || isOp(t, '%')) {
      if (U === 'MOD' && isOp(ts[i + 1], '(')) continue;
      const ls = primaryBefore(ts, i);
      // a * b DIV c is (a * b) DIV c in MySQL; as a call on b alone it would not be.
      if (isOp(ts[ls - 1], '*', '/', '%') || ['DIV', 'MOD'].includes(upper(ts[ls - 1]))) {
        throw new RefusedQuery(`${U || '%'} after * or / is not supported here: put the product in parentheses, e.g. (a * b) ${U || '%'} c`);
      }
      const re = primaryAfter(ts, i + 1);
      callOf(ts, ls, re, U === 'DIV' ? 'cm_div' : 'cm_mod', [ts.slice(ls, i), ts.slice(i + 1, re)]);
      i = ls;
    }
  }
}

const XOR_LEFT_STOPS = new Set(['SELECT', 'WHERE', 'ON', 'HAVING', 'WHEN', 'THEN', 'ELSE', 'OR', 'DISTINCT', 'BY', 'ALL', 'AND_THEN']);
const XOR_RIGHT_STOPS = new Set(['FROM', 'WHERE', 'GROUP', 'ORDER', 'LIMIT', 'HAVING', 'THEN', 'END', 'WHEN', 'ELSE', 'OR', 'XOR', 'AS', 'UNION', 'WINDOW', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'CROSS', 'ASC', 'DESC']);

/**
 * a XOR b, as MySQL reads it: below AND and above OR, so each operand runs to the nearest OR,
 * comma, parenthesis or clause. NULL if either is; otherwise 1 when exactly one is true.
 */
function xor(ts: Token[]) {
  for (let i = 0; i < ts.length; i++) {
    if (upper(ts[i]) !== 'XOR') continue;
    let l = i;
    for (let depth = 0; l > 0; l--) {
      const p = ts[l - 1];
      if (isOp(p, ')')) depth++;
      else if (isOp(p, '(')) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (isOp(p, ',') || XOR_LEFT_STOPS.has(upper(p)))) break;
    }
    let r = i + 1;
    for (let depth = 0; r < ts.length; r++) {
      const n = ts[r];
      if (isOp(n, '(')) depth++;
      else if (isOp(n, ')')) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (isOp(n, ',') || XOR_RIGHT_STOPS.has(upper(n)))) break;
    }
    callOf(ts, l, r, 'cm_xor', [ts.slice(l, i), ts.slice(i + 1, r)]);
    i = l;
  }
}

/** Splits ts[from, to) at its top-level commas. */
function args(ts: Token[], from: number, to: number): [number, number][] {
  const commas = topLevel(ts, from, to, (t) => isOp(t, ','));
  const bounds = [from - 1, ...commas, to];
  return bounds.slice(1).map((b, k) => [bounds[k] + 1, b]);
}

/** The main SELECT's items get MySQL's column names as aliases: the text as written, a column's own name. */
function nameColumns(ts: Token[]) {
  const list = mainList(ts);
  if (!list) return;
  const [start, end] = list;
  for (const [a, b] of args(ts, start, end)) {
    const item = ts.slice(a, b);
    if (!item.length) continue;
    const last = item[item.length - 1];
    const prev = item[item.length - 2];
    const aliased =
      item.length >= 2 &&
      (upper(prev) === 'AS' ||
        ((last.kind === 'word' || last.kind === 'quoted' || last.kind === 'string') &&
          !['END', 'NULL', 'TRUE', 'FALSE'].includes(upper(last)) &&
          (prev.kind === 'word' || prev.kind === 'quoted' || isOp(prev, ')')) &&
          !['DISTINCT', 'INTERVAL', 'NOT', 'IS', 'AND', 'OR', 'LIKE', 'REGEXP', 'RLIKE', 'IN', 'BETWEEN', 'THEN', 'ELSE', 'WHEN', 'CASE', 'BINARY', 'COLLATE'].includes(upper(prev))));
    if (aliased || isOp(last, '*')) continue;
    const column = item.every((t, k) => (k % 2 === 0 ? t.kind === 'word' || t.kind === 'quoted' : isOp(t, '.')));
    last.alias = item.length === 1 && last.kind === 'string' ? last.value! : column ? unquote(last) : item.map((t, k) => (k && t.sp ? ' ' : '') + (t.raw ?? t.text)).join('');
  }
}

export function prepare(input: string): PreparedQuery {
  const all = tokenize(input);
  const code = all.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  // One statement: a semicolon may only end it.
  const semi = code.findIndex((t) => t.kind === 'op' && t.text === ';');
  if (semi >= 0 && code.slice(semi + 1).some((t) => !(t.kind === 'op' && t.text === ';'))) {
    throw new RefusedQuery('read-only: one SELECT; this is several statements');
  }
  const first = code.find((t) => !(t.kind === 'op' && t.text === '('));
  const verb = first?.kind === 'word' ? first.text.toUpperCase() : '';
  if (!['SELECT', 'WITH', 'VALUES'].includes(verb)) {
    throw new RefusedQuery(`read-only: one SELECT (or WITH … SELECT)${verb ? `; ${verb} is not allowed here` : ''}`);
  }
  const tables = new Set<ResourceName>();
  for (const t of code) {
    const name = unquote(t).toLowerCase();
    if ((t.kind === 'word' || t.kind === 'quoted') && TABLES.has(name)) tables.add(name as ResourceName);
  }
  const ts: Token[] = [];
  let gap = false;
  for (const t of all) {
    if (t.kind === 'comment' || t.kind === 'space') {
      gap = true;
      continue;
    }
    ts.push({ ...t, sp: gap });
    gap = false;
  }
  while (isOp(ts[ts.length - 1], ';')) ts.pop();
  refuse(ts);
  const folded = padSpace(ts);
  const compared = comparedColumns(ts);
  nameColumns(ts);
  operators(ts);
  return { sql: (rollup(ts) ?? emit(ts, 0, ts.length)).trim(), tables: [...tables], compared, folded };
}

const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'GROUP_CONCAT', 'CM_SUM', 'CM_AVG', ...[...STATS].map((x) => `CM_${x}`), ...STATS]);
const quoteName = (n: string) => `"${n.replace(/"/g, '""')}"`;

/**
 * GROUP BY … WITH ROLLUP, as MariaDB answers it: the groups, then for each prefix of the
 * grouping columns a super-aggregate row with NULL in the columns rolled up, all sorted by the
 * grouping columns with each super-aggregate after its group. Built as one SELECT per level,
 * UNION ALL, in an outer query that sorts them so. Every select item must be a grouping
 * expression or an aggregate (anything else has no one value on a rolled-up row).
 */
function rollup(ts: Token[]): string | undefined {
  const w = topLevel(ts, 0, ts.length, (t, k) => upper(t) === 'WITH' && upper(ts[k + 1]) === 'ROLLUP')[0];
  if (w === undefined) return undefined;
  const top = (word: string) => topLevel(ts, 0, ts.length, (t) => upper(t) === word);
  if (top('UNION').length || top('INTERSECT').length || top('EXCEPT').length) throw new RefusedQuery('WITH ROLLUP in a UNION is not supported here; roll up each SELECT on its own');
  if (topLevel(ts, w, ts.length, (t) => upper(t) === 'ORDER').length) throw new RefusedQuery('MariaDB refuses ORDER BY with WITH ROLLUP ("Incorrect usage of CUBE/ROLLUP and ORDER BY"): sort in an outer query, SELECT * FROM (… WITH ROLLUP) t ORDER BY …');
  if (topLevel(ts, w, ts.length, (t) => upper(t) === 'HAVING').length) throw new RefusedQuery('HAVING with WITH ROLLUP is not supported here; filter in an outer query, SELECT * FROM (… WITH ROLLUP) t WHERE …');
  const list = mainList(ts)!;
  const groupAt = topLevel(ts, list[1], w, (t, k) => upper(t) === 'GROUP' && upper(ts[k + 1]) === 'BY')[0];
  if (groupAt === undefined) throw new RefusedQuery('WITH ROLLUP needs a GROUP BY');
  const text = (a: number, b: number) => ts.slice(a, b).map((t) => t.raw ?? t.text).join(' ').toLowerCase();
  const groups = args(ts, groupAt + 2, w);
  const items = args(ts, list[0], list[1]).map(([a, b], position) => {
    const last = ts[b - 1];
    const explicit = upper(ts[b - 2]) === 'AS' ? b - 2 : undefined;
    const label = last.alias ?? unquote(last).replace(/^'|'$/g, '');
    const exprEnd = explicit ?? (last.alias !== undefined ? b : b - 1);
    const group = groups.findIndex(([x, y]) => {
      const g = text(x, y);
      return g === text(a, exprEnd) || g === label.toLowerCase() || g === String(position + 1);
    });
    const aggregate = ts.slice(a, b).some((t, k) => AGGREGATES.has(upper(t)) && isOp(ts[a + k + 1], '('));
    if (group < 0 && !aggregate) throw new RefusedQuery(`WITH ROLLUP: the column ${label} is neither a GROUP BY expression nor an aggregate, so a rolled-up row has no value for it`);
    return { a, b, label, group };
  });
  const hidden = groups.map((g, j) => (items.some((it) => it.group === j) ? undefined : g));
  const rest = emit(ts, list[1], groupAt);
  const levels = [];
  for (let k = groups.length; k >= 0; k--) {
    const cols = items.map((it) => (it.group >= k ? `NULL AS ${quoteName(it.label)}` : emit(ts, it.a, it.b).trim()));
    hidden.forEach((g, j) => g && cols.push(`${j >= k ? 'NULL' : emit(ts, g[0], g[1]).trim()} AS "__g${j}"`));
    cols.push(`${k} AS "__level"`);
    levels.push(`SELECT ${cols.join(', ')} ${rest.trim()}${k ? ` GROUP BY ${groups.slice(0, k).map(([x, y]) => emit(ts, x, y).trim()).join(', ')}` : ''}`);
  }
  const keyOf = (j: number) => quoteName(items.find((it) => it.group === j)?.label ?? `__g${j}`);
  const order = groups.map((_, j) => `("__level" <= ${j}), cm_fold(${keyOf(j)})`).join(', ');
  return `SELECT ${items.map((it) => quoteName(it.label)).join(', ')} FROM (${levels.join(' UNION ALL ')}) ORDER BY ${order}${emit(ts, w + 2, ts.length)}`;
}

/** What cannot be answered exactly here, refused in one line with what to write instead. */
function refuse(ts: Token[]) {
  ts.forEach((t, i) => {
    const U = upper(t);
    if (isOp(ts[i + 1], '(') && VOLATILE.has(U)) throw new RefusedQuery(`${U}() gives another answer at every call, so it is not supported here`);
    if (isOp(ts[i + 1], '(') && STATS.has(U) && upper(ts[closing(ts, i + 1) + 1]) === 'OVER') {
      throw new RefusedQuery(`${U}() as a window function is not supported here; compute it in a subquery grouped by the partition and join that`);
    }
  });
}

const CAST_TARGETS = 'DECIMAL(p,s), SIGNED, UNSIGNED, CHAR, DATE, DATETIME and DOUBLE';

/** CAST(expr AS type) and CONVERT(expr, type), with MySQL's rounding and parsing. */
function castTo(expr: string, type: Token[]): string {
  const T = upper(type[0]);
  const nums = type.filter((t) => t.kind === 'number').map((t) => Number(t.text));
  if (['DECIMAL', 'DEC', 'NUMERIC', 'FIXED'].includes(T)) return `cm_decimal(${expr}, ${nums[0] ?? 10}, ${nums[1] ?? 0})`;
  if (['SIGNED', 'INT', 'INTEGER'].includes(T)) return `cm_signed(${expr})`;
  if (T === 'UNSIGNED') return `cm_unsigned(${expr})`;
  if (['CHAR', 'NCHAR', 'VARCHAR', 'CHARACTER'].includes(T)) return nums.length ? `cm_char(${expr}, ${nums[0]})` : `cm_char(${expr})`;
  if (T === 'DATE') return `cm_date(${expr})`;
  if (T === 'DATETIME' || T === 'TIMESTAMP') return `cm_datetime(${expr})`;
  if (['DOUBLE', 'FLOAT', 'REAL'].includes(T)) return `cm_double(${expr})`;
  throw new RefusedQuery(`CAST to ${type.map((t) => t.text).join(' ') || 'nothing'} is not supported here; the targets are ${CAST_TARGETS}`);
}

/** A MySQL function call (or a construct written like one) at ts[i], its ( at i+1 and ) at close; undefined: as written. */
function call(ts: Token[], i: number, close: number): string | undefined {
  const U = upper(ts[i]);
  const e = (a: number, b: number) => emit(ts, a, b).trim();
  const inner = i + 2;
  switch (U) {
    case 'GROUP_CONCAT': {
      let a = inner;
      const distinct = upper(ts[a]) === 'DISTINCT';
      if (distinct) a++;
      const orderAt = topLevel(ts, a, close, (t, k) => upper(t) === 'ORDER' && upper(ts[k + 1]) === 'BY')[0];
      const sepAt = topLevel(ts, a, close, (t) => upper(t) === 'SEPARATOR')[0];
      const exprs = args(ts, a, orderAt ?? sepAt ?? close).map(([x, y]) => e(x, y));
      const expr = exprs.length > 1 ? `concat(${exprs.join(', ')})` : exprs[0];
      const order = orderAt !== undefined ? ` ORDER BY ${e(orderAt + 2, sepAt ?? close)}` : '';
      const sep = sepAt !== undefined ? e(sepAt + 1, close) : "','";
      return `${distinct ? 'cm_group_concat_distinct' : 'group_concat'}(${expr}, ${sep}${order})`;
    }
    case 'CAST': {
      const asAt = topLevel(ts, inner, close, (t) => upper(t) === 'AS').pop();
      if (asAt === undefined) throw new RefusedQuery('CAST needs AS and a type, e.g. CAST(amount AS DECIMAL(10,1))');
      return castTo(e(inner, asAt), ts.slice(asAt + 1, close));
    }
    case 'CONVERT': {
      const usingAt = topLevel(ts, inner, close, (t) => upper(t) === 'USING')[0];
      if (usingAt !== undefined) return `(${e(inner, usingAt)})`;
      const comma = topLevel(ts, inner, close, (t) => isOp(t, ',')).pop();
      if (comma === undefined) throw new RefusedQuery('CONVERT needs a type, e.g. CONVERT(amount, DECIMAL(10,1))');
      return castTo(e(inner, comma), ts.slice(comma + 1, close));
    }
    case 'TIMESTAMPDIFF':
    case 'TIMESTAMPADD': {
      const unit = upper(ts[inner]) || (ts[inner]?.value ?? '').toUpperCase();
      if (!UNITS.has(unit) || !isOp(ts[inner + 1], ',')) throw new RefusedQuery(`${U} needs a unit first: ${U}(MONTH, a, b); units: ${[...UNITS].join(', ')}`);
      return `${U.toLowerCase()}('${unit}', ${e(inner + 2, close)})`;
    }
    case 'EXTRACT': {
      const unit = upper(ts[inner]);
      if (!UNITS.has(unit) || upper(ts[inner + 1]) !== 'FROM') throw new RefusedQuery('EXTRACT is written EXTRACT(YEAR FROM orderDate)');
      return `cm_extract('${unit}', ${e(inner + 2, close)})`;
    }
    case 'POSITION': {
      const inAt = topLevel(ts, inner, close, (t) => upper(t) === 'IN')[0];
      return inAt === undefined ? undefined : `locate(${e(inner, inAt)}, ${e(inAt + 1, close)})`;
    }
    case 'SUBSTRING':
    case 'SUBSTR':
    case 'MID': {
      const fromAt = topLevel(ts, inner, close, (t) => upper(t) === 'FROM')[0];
      if (fromAt === undefined) return `substring(${e(inner, close)})`;
      const forAt = topLevel(ts, fromAt, close, (t) => upper(t) === 'FOR')[0];
      return `substring(${e(inner, fromAt)}, ${e(fromAt + 1, forAt ?? close)}${forAt !== undefined ? `, ${e(forAt + 1, close)}` : ''})`;
    }
    case 'TRIM': {
      const fromAt = topLevel(ts, inner, close, (t) => upper(t) === 'FROM')[0];
      if (fromAt === undefined) return undefined;
      const mode = ['BOTH', 'LEADING', 'TRAILING'].includes(upper(ts[inner])) ? upper(ts[inner]) : 'BOTH';
      const remStart = mode === upper(ts[inner]) ? inner + 1 : inner;
      const rem = remStart < fromAt ? e(remStart, fromAt) : "' '";
      return `cm_trim_${mode.toLowerCase()}(${rem}, ${e(fromAt + 1, close)})`;
    }
    case 'SUM':
    case 'AVG':
      // SQLite's own for window functions; exact decimal sums otherwise (see functions.ts).
      return `${upper(ts[close + 1]) === 'OVER' ? U.toLowerCase() : `cm_${U.toLowerCase()}`}(${e(inner, close)})`;
    case 'INSERT':
      return `cm_insert(${e(inner, close)})`;
    default:
      return STATS.has(U) ? `cm_${U.toLowerCase()}(${e(inner, close)})` : undefined;
  }
}

/** A string literal as SQLite should read it here. */
function literal(ts: Token[], i: number): string {
  const t = ts[i];
  const prev = ts[i - 1];
  // MySQL takes a quoted alias (AS 'total'); SQLite wants an identifier there.
  if (upper(prev) === 'AS') return `"${t.value!.replace(/"/g, '""')}"`;
  let v = t.value!;
  // MySQL compares text without its trailing spaces (PAD SPACE): 'France  ' = 'France'.
  if ((prev && COMPARISON.has(prev.text)) || (ts[i + 1] && COMPARISON.has(ts[i + 1].text))) v = v.replace(/ +$/, '');
  let out = `${sq(v)} COLLATE NOCASE`;
  // LIKE's escape character is a backslash in MySQL unless ESCAPE says otherwise.
  if (['LIKE'].includes(upper(prev)) && v.includes('\\') && upper(ts[i + 1]) !== 'ESCAPE') out += " ESCAPE '\\'";
  return out;
}

/** The SQLite text of ts[from, to). */
function emit(ts: Token[], from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const t = ts[i];
    const U = upper(t);
    const gap = t.sp ? ' ' : '';
    let last = t;
    if (t.kind === 'word' && isOp(ts[i + 1], '(')) {
      const close = closing(ts, i + 1);
      const text = call(ts, i, close);
      if (text !== undefined) {
        out += gap + text;
        last = ts[close];
        i = close;
        if (last.alias !== undefined) out += ` AS "${last.alias.replace(/"/g, '""')}"`;
        continue;
      }
    }
    // classicmodels.customers: the database's own name as a schema prefix.
    if ((t.kind === 'word' || t.kind === 'quoted') && unquote(t).toLowerCase() === 'classicmodels' && isOp(ts[i + 1], '.')) {
      i++;
      out += gap;
      continue;
    }
    let text = t.text;
    if (U === 'RLIKE') text = 'REGEXP';
    else if (isOp(t, '<=>')) text = ' IS ';
    // MySQL's / always yields a fraction: 7 / 2 is 3.5, not 3.
    else if (isOp(t, '/')) text = FRACTION;
    else if (t.kind === 'string') text = literal(ts, i);
    out += gap + text;
    if (t.alias !== undefined) out += ` AS "${t.alias.replace(/"/g, '""')}"`;
  }
  return out;
}
