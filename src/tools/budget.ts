import type { ShapedResult } from './shaping.js';

/** What the model is told when a page had to be cut. */
export interface Budgeted extends ShapedResult {
  truncated?: boolean;
  note?: string;
}

const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/**
 * Keeps a list result under the byte budget by cutting whole rows, and says how to get the rest,
 * so no answer is ever too large for the client (or the model's context) to take.
 */
export function fitList(result: ShapedResult, maxBytes: number): Budgeted {
  if (size(result) <= maxBytes) return result;
  const note = (n: number) =>
    `Cut at ${n} of ${result.returned} rows to stay under ${maxBytes} bytes. Continue with offset ${result.offset + n}, or ask for fewer fields, narrower where, or group_by.`;
  const skeleton = size({ ...result, rows: [], truncated: true, next_offset: result.offset + result.returned, note: note(result.returned) });
  let used = skeleton;
  let n = 0;
  for (const row of result.rows) {
    const s = size(row) + (n ? 1 : 0);
    if (used + s > maxBytes) break;
    used += s;
    n++;
  }
  return { ...result, rows: result.rows.slice(0, n), returned: n, next_offset: result.offset + n, truncated: true, note: note(n) };
}

/** A single record over budget (a huge description): long texts are clipped, and say so. */
export function fitRecord<T extends Record<string, unknown>>(record: T, maxBytes: number): T {
  if (size(record) <= maxBytes) return record;
  const out: Record<string, unknown> = { ...record };
  const perField = Math.max(200, Math.floor(maxBytes / Math.max(1, Object.keys(out).length)));
  for (const [k, v] of Object.entries(out)) {
    if (typeof v === 'string' && Buffer.byteLength(v) > perField) out[k] = `${v.slice(0, perField)}… [clipped from ${v.length} characters to fit the result budget]`;
  }
  return out as T;
}
