/** Value formats of the API, shared by the tools' input checks and the replica's validation. */

export function isIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** DECIMAL(10,2) as the API writes it: at most 8 digits before the point and 2 after. */
export const DECIMAL_PATTERN = /^-?\d{1,8}(\.\d{1,2})?$/;
