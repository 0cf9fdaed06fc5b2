import { appendFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where every suite appends its table; `npm run bench` prints the file at the end. */
export const RESULTS = fileURLToPath(new URL('./results/latest.md', import.meta.url));

export const median = (xs: number[]) => percentile(xs, 50);

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '—');

/** Appends a markdown table (and prints it) under a heading. */
export function report(title: string, header: string[], rows: (string | number)[][], notes: string[] = []) {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const text = [`### ${title}`, '', line(header), line(header.map(() => '---')), ...rows.map(line), '', ...notes.map((n) => `${n}\n`), ''].join('\n');
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  appendFileSync(RESULTS, text + '\n');
  process.stdout.write('\n' + text + '\n');
}
