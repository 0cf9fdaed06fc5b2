/**
 * Names as models and clients write them: `customerNumber` (every MySQL tutorial on this
 * database), `customer_number`, `CUSTOMERNUMBER`. They all mean `customernumber`, so names are
 * compared without regard to case, underscores, hyphens or spaces.
 */
export const fold = (name: string) => name.toLowerCase().replace(/[_\-\s]/g, '');

/** The canonical name `name` stands for among `valid`, or undefined. */
export function canonical(name: string, valid: readonly string[]): string | undefined {
  if (valid.includes(name)) return name;
  const f = fold(name);
  return valid.find((v) => fold(v) === f);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length];
}

/**
 * The valid names, with the one closest to what was written first when one is close (a typo,
 * a prefix): the likely fix leads the list. Otherwise they keep their own order.
 */
export function closestFirst(name: string, valid: readonly string[]): string[] {
  if (!valid.length) return [];
  const f = fold(name);
  const score = (v: string) => (f && (fold(v).includes(f) || f.includes(fold(v))) ? -1 : 0) + distance(f, fold(v)) / Math.max(f.length, fold(v).length, 1);
  const best = valid.reduce((a, b) => (score(b) < score(a) ? b : a));
  return score(best) < 0.5 ? [best, ...valid.filter((v) => v !== best)] : [...valid];
}
