/**
 * MySQL's function families beyond the tutorial basics, with MySQL's own semantics where
 * SQLite's namesake differs (found by the differential tests against MariaDB): decimal rounding
 * half away from zero, CAST targets, TIMESTAMPDIFF's whole units, LENGTH in bytes, SUBSTRING's
 * position 0, case-insensitive INSTR and FIELD, week numbers, and the statistical and bit
 * aggregates. Each takes NULL to NULL unless MySQL says otherwise.
 */
import type { SqlDatabase, Value } from './functions.js';

interface Helpers {
  date(v: Value): Date | undefined;
  text(v: Value): string;
  num(v: Value): number | null;
  ymd(d: Date): string;
  hms(d: Date): string;
  nullIfAny(f: (...a: Value[]) => Value): (...a: Value[]) => Value;
  variadic(db: SqlDatabase, name: string, fn: (...a: Value[]) => Value, from: number, to?: number): void;
  daysIn(y: number, m0: number): number;
  DAYS: string[];
  MONTHS: string[];
  addInterval(v: Value, interval: Value, sign: 1 | -1): Value;
  /** Registers a function of one date (functions.ts's, so there is one rule for NULL and non-dates). */
  onDate(name: string, f: (d: Date) => Value): unknown;
}

/**
 * `x` rounded to `places` decimal places, half away from zero, as MySQL rounds DECIMAL values:
 * on the shortest decimal text of the double (1.005 is 1.005, not 1.00499…), never on its binary.
 */
export function roundDecimal(x: number, places: number): number {
  if (!Number.isFinite(x)) return x;
  const neg = x < 0;
  // The shortest text that reads back as the same double: 1.005 for a DECIMAL 1.005, and
  // 14165.384999999998 for a double just under the half, which MySQL rounds down.
  const digits = String(Math.abs(x));
  const [int, frac = ''] = (digits.includes('e') ? Math.abs(x).toFixed(20) : digits).split('.');
  if (places < 0) {
    const unit = 10 ** -places;
    const n = Math.abs(Number(int));
    const r = Math.floor(n / unit + 0.5 + 1e-9) * unit;
    return neg && r ? -r : r;
  }
  const kept = (int + frac.padEnd(places + 1, '0')).slice(0, int.length + places + 1);
  let whole = BigInt(kept.slice(0, -1) || '0');
  if (Number(kept.slice(-1)) >= 5) whole += 1n;
  const s = whole.toString().padStart(places + 1, '0');
  const r = Number(places ? `${s.slice(0, -places)}.${s.slice(-places)}` : s);
  return neg && r ? -r : r;
}

/** MySQL's whole-unit difference: complete months (or years…) from a to b, by calendar. */
function monthsBetween(a: Date, b: Date): number {
  const sign = b >= a ? 1 : -1;
  const [x, y] = sign > 0 ? [a, b] : [b, a];
  let months = (y.getUTCFullYear() - x.getUTCFullYear()) * 12 + (y.getUTCMonth() - x.getUTCMonth());
  const xRest = ((x.getUTCDate() * 24 + x.getUTCHours()) * 60 + x.getUTCMinutes()) * 60 + x.getUTCSeconds();
  const yRest = ((y.getUTCDate() * 24 + y.getUTCHours()) * 60 + y.getUTCMinutes()) * 60 + y.getUTCSeconds();
  if (yRest < xRest) months--;
  return sign * months;
}

const daysInYear = (y: number) => (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 366 : 365);

/** MySQL's calc_week: the week number and the year it belongs to, for a week behaviour (mode bits). */
function calcWeek(d: Date, behaviour: number): { week: number; year: number } {
  const mondayFirst = (behaviour & 1) !== 0;
  let weekYear = (behaviour & 2) !== 0;
  const firstWeekday = (behaviour & 4) !== 0;
  let year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  const daynr = Date.UTC(year, month - 1, day) / 86_400_000;
  let firstDaynr = Date.UTC(year, 0, 1) / 86_400_000;
  const jan1 = new Date(Date.UTC(year, 0, 1)).getUTCDay();
  let weekday = mondayFirst ? (jan1 + 6) % 7 : jan1;
  const late = () => (firstWeekday && weekday !== 0) || (!firstWeekday && weekday >= 4);
  if (month === 1 && day <= 7 - weekday) {
    if (!weekYear && late()) return { week: 0, year };
    weekYear = true;
    year--;
    const days = daysInYear(year);
    firstDaynr -= days;
    weekday = (weekday + 53 * 7 - days) % 7;
  }
  const days = late() ? daynr - (firstDaynr + (7 - weekday)) : daynr - (firstDaynr - weekday);
  if (weekYear && days >= 52 * 7) {
    weekday = (weekday + daysInYear(year)) % 7;
    if ((!firstWeekday && weekday < 4) || (firstWeekday && weekday === 0)) return { week: 1, year: year + 1 };
  }
  return { week: Math.floor(days / 7) + 1, year };
}

/** MySQL's week_mode: the mode a person writes, as calc_week's behaviour bits. */
const weekMode = (mode: number) => {
  let f = mode & 7;
  if (!(f & 1)) f ^= 4;
  return f;
};
const week = (d: Date, mode: number) => calcWeek(d, weekMode(mode)).week;

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');
/**
 * How MySQL's default collation (utf8mb4_general_ci) compares text: case, accents and trailing
 * spaces do not count. Letters whose accent comes off (é, ü, å, ñ…) fold exactly; the engine
 * refuses a query over data holding any other non-ASCII letter (see QueryEngine).
 */
export const foldText = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ +$/, '')
    .toLowerCase();

export function registerFamilies(db: SqlDatabase, h: Helpers) {
  const { date, text, num, ymd, hms, nullIfAny, variadic, onDate } = h;
  const fn = (name: string, f: (...a: Value[]) => Value) => db.create_function(name, f);
  const dateOut = (d: Date, withTime: boolean) => (withTime ? `${ymd(d)} ${hms(d)}` : ymd(d));
  /** A date and a whole-number mode (WEEK, YEARWEEK): NULL when either is missing or no date. */
  const onDateAndMode = (name: string, f: (d: Date, mode: number) => Value) =>
    fn(name, (v: Value, m: Value) => {
      const d = date(v);
      return d && m !== null ? f(d, Math.trunc(num(m)!)) : null;
    });

  fn('cm_unaccent', (v: Value) => (v === null ? null : typeof v === 'number' ? v : text(v).normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()));
  // SQLite's UPPER and LOWER change ASCII letters only: 'Natürlich' must become 'NATÜRLICH'.
  for (const name of ['upper', 'ucase']) fn(name, nullIfAny((s) => text(s).toUpperCase()));
  for (const name of ['lower', 'lcase']) fn(name, nullIfAny((s) => text(s).toLowerCase()));
  fn('cm_fold', (v: Value) => (v === null ? null : typeof v === 'number' ? v : foldText(text(v))));

  // ---- numbers
  fn('round', nullIfAny((x) => roundDecimal(num(x)!, 0)));
  fn('round', nullIfAny((x, p) => roundDecimal(num(x)!, Math.trunc(num(p)!))));
  fn('cm_decimal', (x: Value, _p: Value, s: Value) => (x === null ? null : roundDecimal(num(x)!, Number(s))));
  for (const name of ['ceiling', 'ceil']) fn(name, nullIfAny((x) => Math.ceil(num(x)!)));
  fn('floor', nullIfAny((x) => Math.floor(num(x)!)));
  fn('sign', nullIfAny((x) => Math.sign(num(x)!)));
  fn('abs', nullIfAny((x) => Math.abs(num(x)!)));
  const positive = (f: (x: number) => number) => nullIfAny((x) => (num(x)! <= 0 ? null : f(num(x)!)));
  fn('ln', positive(Math.log));
  fn('log', positive(Math.log));
  fn('log', nullIfAny((b, x) => (num(b)! <= 0 || num(b)! === 1 || num(x)! <= 0 ? null : Math.log(num(x)!) / Math.log(num(b)!))));
  fn('log10', positive(Math.log10));
  fn('log2', positive(Math.log2));
  fn('exp', nullIfAny((x) => Math.exp(num(x)!)));
  for (const name of ['pow', 'power']) fn(name, nullIfAny((x, y) => num(x)! ** num(y)!));
  fn('sqrt', nullIfAny((x) => (num(x)! < 0 ? null : Math.sqrt(num(x)!))));
  fn('pi', () => Math.PI);
  fn('degrees', nullIfAny((x) => (num(x)! * 180) / Math.PI));
  fn('radians', nullIfAny((x) => (num(x)! * Math.PI) / 180));
  const truncMod = (a: Value, b: Value) => (a === null || b === null || num(b) === 0 ? null : num(a)! % num(b)!);
  fn('mod', truncMod);
  fn('cm_mod', truncMod);
  fn('cm_xor', (a: Value, b: Value) => (a === null || b === null ? null : (num(a) !== 0) !== (num(b) !== 0) ? 1 : 0));
  fn('cm_div', (a: Value, b: Value) => (a === null || b === null || num(b) === 0 ? null : Math.trunc(num(a)! / num(b)!)));

  // ---- CAST / CONVERT targets
  const signed = (v: Value) => {
    if (v === null) return null;
    if (typeof v === 'number') return roundDecimal(v, 0);
    const m = /^\s*[-+]?\d+/.exec(text(v));
    return m ? Number(m[0]) : 0;
  };
  fn('cm_signed', signed);
  fn('cm_unsigned', (v: Value) => {
    const n = signed(v);
    return n === null ? null : n < 0 ? 2 ** 64 + n : n;
  });
  fn('cm_char', (v: Value) => (v === null ? null : text(v)));
  fn('cm_char', (v: Value, n: Value) => (v === null ? null : text(v).slice(0, Number(n))));
  onDate('cm_date', (d) => ymd(d));
  onDate('cm_datetime', (d) => dateOut(d, true));
  fn('cm_double', (v: Value) => (v === null ? null : num(v)));

  // ---- text
  fn('char_length', nullIfAny((s) => [...text(s)].length));
  fn('character_length', nullIfAny((s) => [...text(s)].length));
  fn('length', nullIfAny((s) => utf8Bytes(text(s))));
  fn('octet_length', nullIfAny((s) => utf8Bytes(text(s))));
  const substring = (s: Value, p: Value, l?: Value) => {
    if (s === null || p === null || l === null) return null;
    const chars = [...text(s)];
    let pos = Math.trunc(num(p)!);
    if (pos === 0 || -pos > chars.length) return '';
    pos = pos > 0 ? pos - 1 : chars.length + pos;
    const len = l === undefined ? chars.length : Math.trunc(num(l)!);
    return len <= 0 ? '' : chars.slice(pos, pos + len).join('');
  };
  for (const name of ['substring', 'substr', 'mid']) {
    fn(name, (s: Value, p: Value) => substring(s, p));
    fn(name, (s: Value, p: Value, l: Value) => substring(s, p, l));
  }
  fn('substring_index', nullIfAny((s, d, c) => {
    const str = text(s);
    const delim = text(d);
    const count = Math.trunc(num(c)!);
    if (!delim || count === 0) return '';
    const parts = str.split(delim);
    return count > 0 ? parts.slice(0, count).join(delim) : parts.slice(Math.max(0, parts.length + count)).join(delim);
  }));
  const pad = (left: boolean) =>
    nullIfAny((s, n, p) => {
      const str = [...text(s)];
      const len = Math.trunc(num(n)!);
      if (len < 0) return null;
      if (str.length >= len) return str.slice(0, len).join('');
      const filler = [...text(p)];
      if (!filler.length) return null;
      const fill = Array.from({ length: len - str.length }, (_, i) => filler[i % filler.length]).join('');
      return left ? fill + str.join('') : str.join('') + fill;
    });
  fn('lpad', pad(true));
  fn('rpad', pad(false));
  fn('instr', nullIfAny((s, sub) => text(s).toLowerCase().indexOf(text(sub).toLowerCase()) + 1));
  fn('reverse', nullIfAny((s) => [...text(s)].reverse().join('')));
  fn('repeat', nullIfAny((s, n) => (num(n)! <= 0 ? '' : text(s).repeat(Math.trunc(num(n)!)))));
  fn('space', nullIfAny((n) => (num(n)! <= 0 ? '' : ' '.repeat(Math.trunc(num(n)!)))));
  fn('ascii', nullIfAny((s) => (text(s) === '' ? 0 : Buffer.from(text(s), 'utf8')[0])));
  fn('hex', nullIfAny((v) => (typeof v === 'number' ? Math.trunc(roundDecimal(v, 0)).toString(16).toUpperCase() : Buffer.from(text(v), 'utf8').toString('hex').toUpperCase())));
  fn('strcmp', nullIfAny((a, b) => {
    const x = foldText(text(a));
    const y = foldText(text(b));
    return x < y ? -1 : x > y ? 1 : 0;
  }));
  fn('cm_insert', nullIfAny((s, p, l, n) => {
    const chars = [...text(s)];
    const pos = Math.trunc(num(p)!);
    if (pos < 1 || pos > chars.length) return text(s);
    const len = Math.trunc(num(l)!);
    return [...chars.slice(0, pos - 1), text(n), ...chars.slice(len < 0 ? chars.length : pos - 1 + len)].join('');
  }));
  const same = (a: Value, b: Value) => (typeof a === 'number' && typeof b === 'number' ? a === b : foldText(text(a)) === foldText(text(b)));
  h.variadic(db, 'field', (x, ...list) => (x === null ? 0 : list.findIndex((y) => y !== null && same(x, y)) + 1), 2);
  h.variadic(db, 'elt', (n, ...list) => {
    const i = n === null ? 0 : Math.trunc(num(n)!);
    return i >= 1 && i <= list.length ? list[i - 1] : null;
  }, 2);
  for (const mode of ['both', 'leading', 'trailing']) {
    fn(`cm_trim_${mode}`, nullIfAny((r, s) => {
      const rem = text(r);
      let str = text(s);
      if (!rem) return str;
      if (mode !== 'trailing') while (str.startsWith(rem)) str = str.slice(rem.length);
      if (mode !== 'leading') while (str.endsWith(rem)) str = str.slice(0, -rem.length);
      return str;
    }));
  }

  // ---- dates
  const unitDiff = (unit: string, a: Date, b: Date): number | null => {
    const ms = b.getTime() - a.getTime();
    switch (unit) {
      case 'MICROSECOND': return ms * 1000;
      case 'SECOND': return Math.trunc(ms / 1000);
      case 'MINUTE': return Math.trunc(ms / 60_000);
      case 'HOUR': return Math.trunc(ms / 3_600_000);
      case 'DAY': return Math.trunc(ms / 86_400_000);
      case 'WEEK': return Math.trunc(ms / (7 * 86_400_000));
      case 'MONTH': return monthsBetween(a, b);
      case 'QUARTER': return Math.trunc(monthsBetween(a, b) / 3);
      case 'YEAR': return Math.trunc(monthsBetween(a, b) / 12);
      default: return null;
    }
  };
  fn('timestampdiff', (u: Value, a: Value, b: Value) => {
    const x = date(a);
    const y = date(b);
    return x && y && u !== null ? unitDiff(text(u).toUpperCase(), x, y) : null;
  });
  fn('timestampadd', (u: Value, n: Value, v: Value) => (u === null || n === null ? null : h.addInterval(v, `${Math.trunc(num(n)!)} ${text(u).toUpperCase()}`, 1)));
  onDate('last_day', (d) => ymd(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), h.daysIn(d.getUTCFullYear(), d.getUTCMonth())))));
  onDate('dayofyear', (d) => Math.round((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1);
  onDate('weekday', (d) => (d.getUTCDay() + 6) % 7);
  onDate('week', (d) => week(d, 0));
  onDateAndMode('week', week);
  onDate('weekofyear', (d) => week(d, 3));
  const yearweek = (d: Date, mode: number) => {
    const r = calcWeek(d, weekMode(mode) | 2);
    return r.year * 100 + r.week;
  };
  onDate('yearweek', (d) => yearweek(d, 0));
  onDateAndMode('yearweek', yearweek);
  onDate('date', (d) => ymd(d));
  fn('makedate', nullIfAny((y, n) => {
    const day = Math.trunc(num(n)!);
    if (day <= 0) return null;
    return ymd(new Date(Date.UTC(Math.trunc(num(y)!), 0, day)));
  }));
  const period = (p: number) => {
    const y = Math.trunc(p / 100);
    return (y < 70 ? 2000 + y : y < 100 ? 1900 + y : y) * 12 + (p % 100) - 1;
  };
  fn('period_diff', nullIfAny((a, b) => period(num(a)!) - period(num(b)!)));
  fn('period_add', nullIfAny((p, n) => {
    const m = period(num(p)!) + Math.trunc(num(n)!);
    return Math.floor(m / 12) * 100 + (m % 12) + 1;
  }));
  fn('cm_extract', (u: Value, v: Value) => {
    const d = date(v);
    if (!d || u === null) return null;
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + 1;
    return (
      ({
        YEAR: y,
        MONTH: m,
        DAY: d.getUTCDate(),
        QUARTER: Math.floor((m - 1) / 3) + 1,
        WEEK: week(d, 0),
        HOUR: d.getUTCHours(),
        MINUTE: d.getUTCMinutes(),
        SECOND: d.getUTCSeconds(),
        YEAR_MONTH: y * 100 + m,
        DAY_HOUR: d.getUTCDate() * 100 + d.getUTCHours(),
      } as Record<string, number>)[text(u).toUpperCase()] ?? null
    );
  });
  fn('str_to_date', nullIfAny((s, f) => strToDate(text(s), text(f), h)));

  // ---- aggregates MySQL has and SQLite lacks (not as window functions: see dialect.ts)
  interface Moments {
    n: number;
    mean: number;
    m2: number;
  }
  const moments = () => ({ init: (): Moments => ({ n: 0, mean: 0, m2: 0 }), step: (s: Moments, v: Value) => {
    const x = num(v);
    if (x === null) return s;
    s.n++;
    const d = x - s.mean;
    s.mean += d / s.n;
    s.m2 += d * (x - s.mean);
    return s;
  } });
  const variance = (sample: boolean) => (s: Moments) => (s.n === 0 || (sample && s.n < 2) ? null : s.m2 / (sample ? s.n - 1 : s.n));
  for (const name of ['cm_std', 'cm_stddev', 'cm_stddev_pop']) db.create_aggregate(name, { ...moments(), finalize: (s: Moments) => { const v = variance(false)(s); return v === null ? null : Math.sqrt(v); } });
  db.create_aggregate('cm_stddev_samp', { ...moments(), finalize: (s: Moments) => { const v = variance(true)(s); return v === null ? null : Math.sqrt(v); } });
  for (const name of ['cm_variance', 'cm_var_pop']) db.create_aggregate(name, { ...moments(), finalize: variance(false) });
  db.create_aggregate('cm_var_samp', { ...moments(), finalize: variance(true) });
  const bits = (name: string, start: bigint, op: (a: bigint, b: bigint) => bigint) =>
    db.create_aggregate(name, {
      init: () => ({ v: start }),
      step: (s: { v: bigint }, x: Value) => {
        if (x !== null) s.v = op(s.v, BigInt.asUintN(64, BigInt(Math.trunc(num(x)!))));
        return s;
      },
      finalize: (s: { v: bigint }) => Number(s.v),
    });
  bits('cm_bit_and', (1n << 64n) - 1n, (a, b) => a & b);
  bits('cm_bit_or', 0n, (a, b) => a | b);
  bits('cm_bit_xor', 0n, (a, b) => a ^ b);
  // GROUP_CONCAT(DISTINCT x, sep): SQLite's takes DISTINCT with one argument only. Values that
  // MySQL's collation deems equal (case, trailing spaces) count once, the first one seen.
  db.create_aggregate('cm_group_concat_distinct', {
    init: () => ({ seen: new Set<string>(), out: [] as string[], sep: ',' }),
    step: (s: { seen: Set<string>; out: string[]; sep: string }, v: Value, sep: Value) => {
      if (sep !== null && sep !== undefined) s.sep = text(sep);
      if (v === null) return s;
      const key = foldText(text(v));
      if (!s.seen.has(key)) {
        s.seen.add(key);
        s.out.push(text(v));
      }
      return s;
    },
    finalize: (s: { out: string[]; sep: string }) => (s.out.length ? s.out.join(s.sep) : null),
  });
}

/** STR_TO_DATE for the common format codes; NULL for text that does not fit or a date that does not exist. */
function strToDate(s: string, f: string, h: Helpers): Value {
  let i = 0;
  let y = 0;
  let m = 1;
  let d = 1;
  let hh = 0;
  let mi = 0;
  let ss = 0;
  let time = false;
  const take = (re: RegExp) => {
    const got = re.exec(s.slice(i));
    if (!got) throw new Error('no match');
    i += got[0].length;
    return got[0];
  };
  try {
    for (let k = 0; k < f.length; k++) {
      if (f[k] !== '%') {
        if (s[i] !== f[k]) return null;
        i++;
        continue;
      }
      const c = f[++k];
      if (c === 'Y') y = Number(take(/^\d{4}/));
      else if (c === 'y') y = 2000 + Number(take(/^\d{2}/)) - (Number(s.slice(i - 2, i)) >= 70 ? 100 : 0);
      else if (c === 'm' || c === 'c') m = Number(take(/^\d{1,2}/));
      else if (c === 'd' || c === 'e') d = Number(take(/^\d{1,2}/));
      else if (c === 'H' || c === 'k') (hh = Number(take(/^\d{1,2}/))), (time = true);
      else if (c === 'i') (mi = Number(take(/^\d{2}/))), (time = true);
      else if (c === 's' || c === 'S') (ss = Number(take(/^\d{2}/))), (time = true);
      else if (c === 'b' || c === 'M') {
        const word = take(/^[A-Za-z]+/).toLowerCase();
        const idx = h.MONTHS.findIndex((n) => (c === 'b' ? n.slice(0, 3).toLowerCase() === word : n.toLowerCase() === word));
        if (idx < 0) return null;
        m = idx + 1;
      } else if (c === '%') take(/^%/);
      else return null;
    }
  } catch {
    return null;
  }
  // MariaDB takes any day up to 31 (2004-02-30 comes back as written).
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const p2 = (n: number) => String(n).padStart(2, '0');
  const day = `${String(y).padStart(4, '0')}-${p2(m)}-${p2(d)}`;
  return time ? `${day} ${p2(hh)}:${p2(mi)}:${p2(ss)}` : day;
}
