import { RESOURCES, type ResourceName } from '../catalog/resources.js';

/**
 * The SQL a model writes is MySQL's: it knows this database from countless MySQL tutorials. The
 * engine is SQLite. This module reads the query once, token by token, and
 * - refuses anything but one SELECT (or WITH … SELECT): "read-only: one SELECT";
 * - finds the tables it names, so only those are fetched from the API;
 * - rewrites the few places where the two dialects read the same text differently: `/` divides
 *   integers into a fraction in MySQL (SQLite truncates), `DIV` is MySQL's integer division,
 *   backslash escapes in strings, `#` comments, `INTERVAL 7 DAY`, GROUP_CONCAT's SEPARATOR and a
 *   `classicmodels.` schema prefix.
 * Everything else (backquotes, USING, window functions, LIMIT a, b) SQLite already reads alike.
 */
export class RefusedQuery extends Error {
  override name = 'RefusedQuery';
}

type Kind = 'space' | 'comment' | 'string' | 'quoted' | 'word' | 'number' | 'op';
interface Token {
  kind: Kind;
  text: string;
}

const TABLES = new Set<string>(RESOURCES.map((r) => r.name));
const UNITS = new Set(['SECOND', 'MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR']);

function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: Kind, end: number) => {
    out.push({ kind, text: sql.slice(i, end) });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i];
    const rest = sql.slice(i);
    if (/\s/.test(c)) push('space', i + (/^\s+/.exec(rest)![0].length));
    else if (rest.startsWith('--') || c === '#') push('comment', sql.indexOf('\n', i) < 0 ? sql.length : sql.indexOf('\n', i));
    else if (rest.startsWith('/*')) push('comment', sql.indexOf('*/', i + 2) < 0 ? sql.length : sql.indexOf('*/', i + 2) + 2);
    else if (c === "'") {
      let j = i + 1;
      let value = '';
      for (; j < sql.length; j++) {
        if (sql[j] === '\\' && j + 1 < sql.length) {
          const e = sql[++j];
          value += ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[e] ?? e;
        } else if (sql[j] === "'" && sql[j + 1] === "'") {
          value += "'";
          j++;
        } else if (sql[j] === "'") break;
        else value += sql[j];
      }
      if (j >= sql.length) throw new RefusedQuery('unterminated string: a quote is missing');
      out.push({ kind: 'string', text: `'${value.replace(/'/g, "''")}'` });
      i = j + 1;
    } else if (c === '"' || c === '`' || c === '[') {
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

/** What `/` becomes; unaliased columns are named after their text, so names undo it (see label). */
const FRACTION = '*1.0/';

/** A result column's name as the query wrote it. */
export const label = (column: string) => column.split(FRACTION).join('/');

export interface PreparedQuery {
  /** The query as SQLite should run it. */
  sql: string;
  /** The tables it names, to be fetched and loaded. */
  tables: ResourceName[];
}

export function prepare(input: string): PreparedQuery {
  const tokens = tokenize(input);
  const code = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
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
  const out: string[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    const next = (from = k + 1) => {
      let j = from;
      while (j < tokens.length && (tokens[j].kind === 'space' || tokens[j].kind === 'comment')) j++;
      return j;
    };
    if (t.kind === 'comment') {
      out.push(' ');
      continue;
    }
    if (t.kind === 'word' || t.kind === 'quoted') {
      const name = unquote(t).toLowerCase();
      if (TABLES.has(name)) tables.add(name as ResourceName);
      const upper = t.kind === 'word' ? t.text.toUpperCase() : '';
      // classicmodels.customers: the database's own name as a schema prefix.
      if (name === 'classicmodels' && tokens[next()]?.text === '.') {
        k = next();
        continue;
      }
      if (upper === 'DIV') {
        out.push('/');
        continue;
      }
      if (upper === 'SEPARATOR') {
        out.push(',');
        continue;
      }
      // INTERVAL 7 DAY → '7 DAY', for DATE_ADD and DATE_SUB.
      if (upper === 'INTERVAL') {
        let j = next();
        let sign = '';
        if (tokens[j]?.text === '-') {
          sign = '-';
          j = next(j + 1);
        }
        const amount = tokens[j];
        const unit = tokens[next(j + 1)];
        if (amount && (amount.kind === 'number' || amount.kind === 'string') && unit?.kind === 'word' && UNITS.has(unit.text.toUpperCase())) {
          out.push(`'${sign}${unquote(amount).replace(/^'|'$/g, '')} ${unit.text.toUpperCase()}'`);
          k = next(j + 1);
          continue;
        }
      }
    }
    // MySQL's / always yields a fraction: 7 / 2 is 3.5, not 3.
    if (t.kind === 'op' && t.text === '/') {
      out.push(FRACTION);
      continue;
    }
    out.push(t.text);
  }
  return { sql: out.join('').trim().replace(/;+$/, ''), tables: [...tables] };
}
