/** What MariaDB answered: column names as it printed them, and every cell as text or NULL. */
export interface Answer {
  columns: string[];
  rows: (string | null)[][];
}

/** MariaDB's --batch output: a header line, tab-separated cells, NULL as NULL, \t \n \\ escaped. */
export function parseBatch(out: string): Answer {
  const lines = out.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const cells = (line: string) =>
    line.split('\t').map((c) => (c === 'NULL' ? null : c.replace(/\\(.)/g, (_, e: string) => ({ t: '\t', n: '\n', '0': '\0', '\\': '\\' })[e] ?? e)));
  const [head, ...rest] = lines;
  return { columns: head === undefined ? [] : (cells(head) as string[]), rows: rest.map(cells) };
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** Numbers within a cent, text exactly, NULL as NULL. */
export function sameCell(ours: unknown, theirs: string | null): boolean {
  if (theirs === null || ours === null) return ours === theirs;
  if (typeof ours === 'number') return NUMBER.test(theirs) && Math.abs(ours - Number(theirs)) <= 0.01 + 1e-9;
  return String(ours) === theirs;
}

const rowKey = (row: unknown[]) => JSON.stringify(row.map((c) => (c === null ? null : typeof c === 'number' || (typeof c === 'string' && NUMBER.test(c)) ? Number(c).toFixed(2) : String(c))));

/** Why our answer differs from MariaDB's, or undefined when it is the same. */
export function difference(ours: { columns: string[]; rows: unknown[][] }, theirs: Answer, ordered: boolean, truncated = false): string | undefined {
  // MariaDB prints no header for an empty answer: then only the row count can be compared.
  if (theirs.rows.length && JSON.stringify(ours.columns) !== JSON.stringify(theirs.columns)) return `columns ${JSON.stringify(ours.columns)}, expected ${JSON.stringify(theirs.columns)}`;
  // A result cut at the budget says so (truncated): its rows must be the first of MariaDB's (ordered), or among them.
  if (truncated ? ours.rows.length > theirs.rows.length : ours.rows.length !== theirs.rows.length) return `${ours.rows.length} rows, expected ${theirs.rows.length}`;
  if (truncated && !ordered) {
    const pool = new Map<string, number>();
    for (const r of theirs.rows) pool.set(rowKey(r), (pool.get(rowKey(r)) ?? 0) + 1);
    for (const r of ours.rows) {
      const n = pool.get(rowKey(r)) ?? 0;
      if (!n) return `row ${JSON.stringify(r).slice(0, 160)} is not in MariaDB's answer`;
      pool.set(rowKey(r), n - 1);
    }
    return undefined;
  }
  const a = ordered ? ours.rows : [...ours.rows].sort((x, y) => (rowKey(x) < rowKey(y) ? -1 : 1));
  const b = ordered ? theirs.rows.slice(0, a.length) : [...theirs.rows].sort((x, y) => (rowKey(x) < rowKey(y) ? -1 : 1));
  for (let i = 0; i < a.length; i++) {
    const j = a[i].findIndex((c, k) => !sameCell(c, b[i][k]));
    if (j >= 0) return `row ${i} column ${theirs.columns[j]}: ${JSON.stringify(a[i][j])}, expected ${JSON.stringify(b[i][j])} (row ${JSON.stringify(a[i]).slice(0, 160)})`;
  }
  return undefined;
}
