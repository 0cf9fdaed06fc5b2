import type { ResourceName } from '../catalog/resources.js';
import type { Api } from './client.js';

export type Row = Record<string, unknown>;

interface Entry {
  /** When the answer arrived (ms since the epoch); a fetch under way has none yet. */
  at?: number;
  rows: Promise<Row[]>;
}

/**
 * Whole tables as the API returns them (it has no paging), kept per API identity (the 64 read
 * most recently) for a short while: completions and queries read the same customers many times a minute, and one GET of
 * v1/customers/ serves them all. Concurrent readers share one fetch. A write made through this
 * server drops the table it touched, so nobody reads back stale data it just changed.
 */
export class TableCache {
  private readonly byApi = new Map<Api, Map<ResourceName, Entry>>();

  /** `maxIdentities`: whose tables are kept at most (with OAuth, each person is an identity); the least recently read go first. */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxIdentities = 64,
  ) {}

  /** The table's rows, at most `maxAgeMs` old (0: always fetched), and when they were fetched. */
  async read(api: Api, table: ResourceName, maxAgeMs: number): Promise<{ rows: Row[]; fetchedAt: number }> {
    let tables = this.byApi.get(api);
    if (tables) this.byApi.delete(api);
    else tables = new Map();
    this.byApi.set(api, tables);
    while (this.byApi.size > this.maxIdentities) this.byApi.delete(this.byApi.keys().next().value as Api);
    const cached = tables.get(table);
    if (cached && (cached.at === undefined || this.now() - cached.at <= maxAgeMs) && maxAgeMs > 0) {
      const rows = await cached.rows;
      return { rows, fetchedAt: cached.at ?? this.now() };
    }
    // No caller's signal: others may be waiting on this fetch, and one giving up must not fail them.
    const entry: Entry = { rows: api.request<Row[]>('GET', ['v1', table]) };
    tables.set(table, entry);
    try {
      const rows = await entry.rows;
      if (!Array.isArray(rows)) throw new Error(`the API answered GET v1/${table}/ with a ${typeof rows}, not a list`);
      entry.at = this.now();
      return { rows, fetchedAt: entry.at };
    } catch (err) {
      // A failed fetch is not kept: the next reader tries again.
      if (tables.get(table) === entry) tables.delete(table);
      throw err;
    }
  }

  drop(api: Api, table: ResourceName) {
    this.byApi.get(api)?.delete(table);
  }
}
