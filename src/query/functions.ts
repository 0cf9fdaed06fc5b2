import { registerFamilies } from './families.js';
/**
 * MySQL's functions, for SQLite: what tutorials on this database use. Registered on every
 * database the query worker opens. NULL in, NULL out, as in MySQL. Dates are 'YYYY-MM-DD' text.
 */
type Value = number | string | null | Uint8Array;

/** The names, for the tool's description and for the error that says what is provided. */
export const MYSQL_FUNCTIONS = [
  'YEAR', 'MONTH', 'DAY', 'DAYOFMONTH', 'QUARTER', 'DAYOFWEEK', 'DAYNAME', 'MONTHNAME', 'DATE_FORMAT', 'DATEDIFF', 'DATE_ADD', 'DATE_SUB',
  'CURDATE', 'NOW', 'CONCAT', 'CONCAT_WS', 'IF', 'IFNULL', 'LEFT', 'RIGHT', 'LCASE', 'UCASE', 'LOCATE', 'TRUNCATE', 'GREATEST', 'LEAST', 'FORMAT', 'REGEXP',
  'TIMESTAMPDIFF', 'TIMESTAMPADD', 'LAST_DAY', 'WEEK', 'WEEKDAY', 'YEARWEEK', 'DAYOFYEAR', 'STR_TO_DATE', 'EXTRACT', 'DATE', 'MAKEDATE', 'PERIOD_DIFF', 'PERIOD_ADD',
  'SUBSTRING_INDEX', 'LPAD', 'RPAD', 'CHAR_LENGTH', 'LENGTH', 'MID', 'SUBSTRING', 'POSITION', 'INSTR', 'FIELD', 'ELT', 'REVERSE', 'REPEAT', 'SPACE', 'ASCII', 'HEX', 'STRCMP', 'INSERT',
  'CEILING', 'FLOOR', 'ROUND', 'LN', 'LOG', 'LOG10', 'LOG2', 'EXP', 'SIGN', 'POW', 'SQRT', 'PI', 'DEGREES', 'RADIANS', 'MOD',
  'STDDEV', 'STD', 'VARIANCE', 'VAR_POP', 'VAR_SAMP', 'STDDEV_POP', 'STDDEV_SAMP', 'BIT_AND', 'BIT_OR', 'BIT_XOR', 'GROUP_CONCAT', 'CAST', 'CONVERT',
] as const;

export interface SqlDatabase {
  create_function(name: string, fn: (...args: Value[]) => Value): unknown;
  create_aggregate(name: string, fns: { init: () => unknown; step: (state: any, ...args: Value[]) => unknown; finalize: (state: any) => Value }): unknown;
}

/** Binary floating point noise (0.30000000000000004) off a non-integer result. */
export type { Value };
export const clean = (v: number) => (Number.isInteger(v) || !Number.isFinite(v) ? v : Number(v.toPrecision(15)));

const text = (v: Value): string => (typeof v === 'number' ? String(clean(v)) : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v));

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A date or datetime text as a UTC Date; undefined for what is not one. */
function date(v: Value): Date | undefined {
  if (v === null) return undefined;
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?/.exec(text(v));
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)));
  return Number.isNaN(d.getTime()) ? undefined : d;
}
const daysIn = (y: number, m0: number) => new Date(Date.UTC(y, m0 + 1, 0)).getUTCDate();
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const ymd = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const hms = (d: Date) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
const ordinal = (n: number) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;

function formatDate(d: Date, fmt: string): string {
  const day0 = Date.UTC(d.getUTCFullYear(), 0, 1);
  const codes: Record<string, () => string> = {
    Y: () => String(d.getUTCFullYear()),
    y: () => pad(d.getUTCFullYear() % 100),
    m: () => pad(d.getUTCMonth() + 1),
    c: () => String(d.getUTCMonth() + 1),
    M: () => MONTHS[d.getUTCMonth()],
    b: () => MONTHS[d.getUTCMonth()].slice(0, 3),
    d: () => pad(d.getUTCDate()),
    e: () => String(d.getUTCDate()),
    D: () => ordinal(d.getUTCDate()),
    W: () => DAYS[d.getUTCDay()],
    a: () => DAYS[d.getUTCDay()].slice(0, 3),
    w: () => String(d.getUTCDay()),
    j: () => pad(Math.floor((d.getTime() - day0) / 86_400_000) + 1, 3),
    H: () => pad(d.getUTCHours()),
    k: () => String(d.getUTCHours()),
    h: () => pad(((d.getUTCHours() + 11) % 12) + 1),
    I: () => pad(((d.getUTCHours() + 11) % 12) + 1),
    l: () => String(((d.getUTCHours() + 11) % 12) + 1),
    i: () => pad(d.getUTCMinutes()),
    s: () => pad(d.getUTCSeconds()),
    S: () => pad(d.getUTCSeconds()),
    p: () => (d.getUTCHours() < 12 ? 'AM' : 'PM'),
    T: () => hms(d),
    '%': () => '%',
  };
  return fmt.replace(/%(.)/g, (all, c: string) => codes[c]?.() ?? c);
}

function addInterval(v: Value, interval: Value, sign: 1 | -1): Value {
  const d = date(v);
  const m = /^\s*(-?\d+)\s+([A-Za-z]+)\s*$/.exec(interval === null ? '' : text(interval));
  if (!d || !m) return null;
  const n = Number(m[1]) * sign;
  const unit = m[2].toUpperCase();
  // MySQL keeps the day of the month, or the month's last day where it has fewer (Jan 31 + 1 month: Feb 29).
  const months = unit === 'YEAR' ? 12 * n : unit === 'QUARTER' ? 3 * n : unit === 'MONTH' ? n : 0;
  if (months) {
    const target = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
    const y = Math.floor(target / 12);
    const m = target - y * 12;
    d.setUTCFullYear(y, m, Math.min(d.getUTCDate(), daysIn(y, m)));
  } else {
    const ms = ({ WEEK: 7 * 86_400_000, DAY: 86_400_000, HOUR: 3_600_000, MINUTE: 60_000, SECOND: 1_000 } as Record<string, number>)[unit];
    if (!ms) return null;
    d.setTime(d.getTime() + n * ms);
  }
  const hasTime = /\d[ T]\d/.test(text(v)) || ['HOUR', 'MINUTE', 'SECOND'].includes(unit);
  return hasTime ? `${ymd(d)} ${hms(d)}` : ymd(d);
}

const num = (v: Value): number | null => (v === null ? null : typeof v === 'number' ? v : Number.isNaN(Number(text(v))) ? 0 : Number(text(v)));
/** NULL if any argument is; keeps f's arity, which is what SQLite registers the function with. */
const nullIfAny = (f: (...a: Value[]) => Value) => Object.defineProperty((...a: Value[]) => (a.some((x) => x === null) ? null : f(...a)), 'length', { value: f.length });

/** SQLite takes a function's arity from fn.length: variadic ones are registered once per arity. */
function variadic(db: SqlDatabase, name: string, fn: (...a: Value[]) => Value, from: number, to = 16) {
  for (let n = from; n <= to; n++) {
    const g = (...a: Value[]) => fn(...a);
    Object.defineProperty(g, 'length', { value: n });
    db.create_function(name, g);
  }
}

/**
 * MySQL sums decimals exactly (DECIMAL arithmetic) and averages them to 4 more places. Values
 * that are whole cents are summed as integers of cents, so 0.10 + 0.20 is 0.30 and a column of
 * amounts adds up to the cent; anything else is summed with compensation for rounding.
 */
function exactAggregates(db: SqlDatabase) {
  interface State {
    n: number;
    ints: boolean;
    cents: boolean;
    centSum: number;
    floatSum: number;
    carry: number;
  }
  const init = (): State => ({ n: 0, ints: true, cents: true, centSum: 0, floatSum: 0, carry: 0 });
  const step = (s: State, v: Value) => {
    const x = num(v);
    if (x === null) return s;
    s.n++;
    if (!Number.isInteger(x)) s.ints = false;
    const c = Math.round(x * 100);
    if (s.cents && Math.abs(x * 100 - c) < 1e-6 && Math.abs(c) < 2 ** 50) s.centSum += c;
    else {
      if (s.cents) {
        // No longer all cents: move what was counted in cents into the float sum.
        s.cents = false;
        s.floatSum = s.centSum / 100;
      }
      const y = x - s.carry;
      const t = s.floatSum + y;
      s.carry = t - s.floatSum - y;
      s.floatSum = t;
    }
    return s;
  };
  const total = (s: State) => (s.cents ? s.centSum / 100 : s.floatSum);
  // Under their own names: SQLite's sum and avg stay, for window functions (OVER), which
  // application aggregates cannot be here; the query's text is rewritten to use these otherwise.
  db.create_aggregate('cm_sum', { init, step, finalize: (s: State) => (s.n === 0 ? null : clean(total(s))) });
  db.create_aggregate('cm_avg', {
    init,
    step,
    finalize: (s: State) => {
      if (s.n === 0) return null;
      const places = s.ints ? 4 : s.cents ? 6 : undefined;
      const avg = (s.cents ? s.centSum / 100 : s.floatSum) / s.n;
      return places === undefined ? clean(avg) : Number(avg.toFixed(places));
    },
  });
}

export function registerMysqlFunctions(db: SqlDatabase, now: () => Date = () => new Date()) {
  /** A function of one date: NULL for NULL or for text that is no date, as MySQL answers. */
  const part = (name: string, f: (d: Date) => Value) => db.create_function(name, (v: Value) => {
    const d = date(v);
    return d ? f(d) : null;
  });
  part('year', (d) => d.getUTCFullYear());
  part('month', (d) => d.getUTCMonth() + 1);
  part('day', (d) => d.getUTCDate());
  part('dayofmonth', (d) => d.getUTCDate());
  part('quarter', (d) => Math.floor(d.getUTCMonth() / 3) + 1);
  part('dayofweek', (d) => d.getUTCDay() + 1);
  part('dayname', (d) => DAYS[d.getUTCDay()]);
  part('monthname', (d) => MONTHS[d.getUTCMonth()]);
  db.create_function('date_format', (v: Value, fmt: Value) => {
    const d = date(v);
    return d && fmt !== null ? formatDate(d, text(fmt)) : null;
  });
  db.create_function('datediff', (a: Value, b: Value) => {
    const x = date(a);
    const y = date(b);
    return x && y ? Math.round((Date.UTC(x.getUTCFullYear(), x.getUTCMonth(), x.getUTCDate()) - Date.UTC(y.getUTCFullYear(), y.getUTCMonth(), y.getUTCDate())) / 86_400_000) : null;
  });
  db.create_function('date_add', (v: Value, i: Value) => addInterval(v, i, 1));
  db.create_function('adddate', (v: Value, i: Value) => addInterval(v, i, 1));
  db.create_function('date_sub', (v: Value, i: Value) => addInterval(v, i, -1));
  db.create_function('subdate', (v: Value, i: Value) => addInterval(v, i, -1));
  for (const name of ['curdate', 'current_date']) db.create_function(name, () => ymd(now()));
  for (const name of ['now', 'current_timestamp', 'sysdate']) db.create_function(name, () => `${ymd(now())} ${hms(now())}`);
  variadic(db, 'concat', nullIfAny((...a) => a.map(text).join('')), 1);
  variadic(db, 'concat_ws', (sep, ...a) => (sep === null ? null : a.filter((x) => x !== null).map(text).join(text(sep))), 2);
  db.create_function('left', nullIfAny((s, n) => text(s).slice(0, Math.max(0, num(n)!))));
  db.create_function('right', nullIfAny((s, n) => (num(n)! <= 0 ? '' : text(s).slice(-num(n)!))));
  db.create_function('lcase', nullIfAny((s) => text(s).toLowerCase()));
  db.create_function('ucase', nullIfAny((s) => text(s).toUpperCase()));
  db.create_function('locate', nullIfAny((sub, s) => text(s).toLowerCase().indexOf(text(sub).toLowerCase()) + 1));
  db.create_function('locate', nullIfAny((sub, s, pos) => text(s).toLowerCase().indexOf(text(sub).toLowerCase(), Math.max(0, num(pos)! - 1)) + 1));
  db.create_function('truncate', nullIfAny((x, d) => {
    const f = 10 ** num(d)!;
    return clean(Math.trunc(num(x)! * f) / f);
  }));
  variadic(db, 'greatest', nullIfAny((...a) => a.reduce((m, x) => (compare(x, m) > 0 ? x : m))), 2);
  variadic(db, 'least', nullIfAny((...a) => a.reduce((m, x) => (compare(x, m) < 0 ? x : m))), 2);
  db.create_function('format', nullIfAny((x, d) => num(x)!.toLocaleString('en-US', { minimumFractionDigits: num(d)!, maximumFractionDigits: num(d)! })));
  db.create_function('regexp', (pattern: Value, s: Value) => (pattern === null || s === null ? null : new RegExp(text(pattern), 'i').test(text(s)) ? 1 : 0));
  exactAggregates(db);
  registerFamilies(db, { date, text, num, ymd, hms, nullIfAny, variadic, daysIn, DAYS, MONTHS, addInterval, onDate: part });
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0;
}
