import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import type { Api } from '../api/client.js';
import type { TableCache } from '../api/tables.js';
import { RESOURCES, resource, type ResourceName } from '../catalog/resources.js';
import { SQL_COLUMNS } from '../catalog/sql-columns.js';
import { MYSQL_FUNCTIONS } from './functions.js';
import { foldText } from './families.js';
import { label, prepare, RefusedQuery } from './dialect.js';
import { insertStatement } from './load.js';
import type { LoadTable, QueryMessage, QueryReply, WorkerInit } from './worker.js';

import { QueryError } from './errors.js';

export { QueryError };

export interface QueryOptions {
  timeoutMs: number;
  /** How old a table read from the API may be when a query uses it; 0: read it for every query. */
  cacheSeconds: number;
  memoryMb: number;
  /** Queries that may run at once (each on a worker thread of its own). */
  workers?: number;
}

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  row_count: number;
  /** When the oldest table the answer rests on was read from the API. */
  as_of: string;
  age_s: number;
  truncated?: true;
  note?: string;
}

interface Handle {
  worker: Worker;
  /** "identity:table" → the version of its rows this worker holds. */
  loaded: Map<string, string>;
  /** The identities whose database this worker holds, least recently used first. */
  databases: Set<string>;
  pending?: { id: number; resolve(r: QueryReply): void; reject(e: Error): void };
  idleTimer?: NodeJS.Timeout;
}

/**
 * A worker nobody has used for this long goes, with its memory (about 35 MB). A model's queries
 * come minutes apart while people read and reply, and a worker that has gone makes the next
 * query start a thread and SQLite again (about 100 ms more than a re-read of the tables).
 */
const IDLE_MS = 5 * 60_000;

/**
 * Databases one worker holds at most: one per API identity, and with OAuth every person is one.
 * The least recently used goes first, so a crowd of people querying costs bounded memory.
 */
const MAX_DATABASES = 16;

/**
 * Runs read-only SQL over the API's tables. The tables a query names are read through the
 * caller's API client (same identity, auth and retries as every tool), in parallel with getting
 * a worker ready, and kept per identity for cacheSeconds. Each query runs on a worker thread
 * with a deadline and a memory cap; one that outlives its deadline is stopped by ending its
 * worker, and the next query gets a fresh one.
 */
export class QueryEngine {
  private readonly idle: Handle[] = [];
  private readonly all = new Set<Handle>();
  private readonly queue: ((h: Handle) => void)[] = [];
  private readonly identities = new WeakMap<Api, string>();
  private nextId = 1;
  private code?: Promise<{ code: string; module: Promise<WebAssembly.Module> }>;

  constructor(
    private readonly o: QueryOptions & {
      tables: TableCache;
      /** The worker's code and SQLite's WebAssembly (embedded in the bundle; built from source in tests). */
      load(): Promise<{ code: string; wasm(): Promise<Uint8Array> }>;
      now?: () => number;
    },
  ) {}

  async run(api: Api, sql: string, opts: { maxRows: number; maxBytes: number; signal?: AbortSignal }): Promise<QueryResult> {
    let prepared;
    try {
      prepared = prepare(sql);
    } catch (err) {
      if (err instanceof RefusedQuery) throw new QueryError(err.message);
      throw err;
    }
    const maxAge = this.o.cacheSeconds * 1000;
    const identity = this.identityOf(api);
    // The tables are asked for first and the worker made ready while they travel: on a first
    // query the worker's start is hidden behind the slowest read.
    const acquired = this.acquire();
    acquired.catch(() => undefined); // awaited below, once the first table is in
    // Each table goes to the worker the moment it arrives: the small ones are loaded while the
    // largest is still on its way, and only that one is loaded after the slowest read.
    const sent: LoadTable[] = [];
    let tables: { name: ResourceName; rows: Record<string, unknown>[]; fetchedAt: number }[];
    let handle: Handle;
    let failed = false;
    try {
      tables = await Promise.all(
        prepared.tables.map(async (name) => {
          const t = { name, ...(await this.o.tables.read(api, name, maxAge)) };
          const h = await acquired;
          // After a failed read the worker may already serve another query: nothing more goes to it.
          if (failed) return t;
          this.useDatabase(h, identity);
          if (h.loaded.get(`${identity}:${name}`) !== String(t.fetchedAt)) {
            const load: LoadTable = { name, version: String(t.fetchedAt), insert: this.insertOf(name, t.rows) };
            sent.push(load);
            h.worker.postMessage({ id: 0, db: identity, load: [load], sql: '', maxRows: 0, maxBytes: 0 } satisfies QueryMessage);
          }
          return t;
        }),
      );
      handle = await acquired;
      this.useDatabase(handle, identity);
      collationRisks(prepared, tables);
    } catch (err) {
      failed = true;
      // What was sent is loaded all the same; the worker can serve the next query.
      void acquired.then((h) => {
        for (const t of sent) h.loaded.set(`${identity}:${t.name}`, t.version);
        this.release(h);
      }, () => undefined);
      throw err;
    }
    const message: QueryMessage = { id: this.nextId++, db: identity, load: [], sql: prepared.sql, maxRows: opts.maxRows, maxBytes: opts.maxBytes };
    let reply: QueryReply;
    try {
      reply = await this.send(handle, message, opts.signal);
    } catch (err) {
      this.kill(handle);
      throw err;
    }
    // What the worker now holds, whatever the query's fate: loading happens before it runs.
    for (const t of sent) handle.loaded.set(`${identity}:${t.name}`, t.version);
    this.release(handle);
    if (!reply.ok) throw new QueryError(teach(reply.message, prepared.tables));
    const now = (this.o.now ?? Date.now)();
    const oldest = tables.length ? Math.min(...tables.map((t) => t.fetchedAt)) : now;
    const result: QueryResult = { columns: reply.columns.map(label), rows: reply.rows, row_count: reply.rows.length, as_of: new Date(oldest).toISOString(), age_s: Math.max(0, Math.round((now - oldest) / 1000)) };
    if (reply.truncated) {
      result.truncated = true;
      result.note =
        reply.truncated === 'rows'
          ? `More rows than max_rows (${opts.maxRows}): aggregate (GROUP BY, COUNT, SUM), add a WHERE or LIMIT, or raise max_rows.`
          : `The rows so far fill the result budget (${opts.maxBytes} bytes): select fewer columns, aggregate, or add a LIMIT.`;
    }
    return result;
  }

  /**
   * Marks `identity`'s database as just used on this worker, first dropping the least recently
   * used one when the worker holds MAX_DATABASES: the worker is told before any later load, and
   * this side forgets what that database held, so nothing is ever read from a dropped table.
   */
  private useDatabase(h: Handle, identity: string) {
    if (h.databases.delete(identity)) return void h.databases.add(identity);
    if (h.databases.size >= MAX_DATABASES) {
      const oldest = h.databases.values().next().value as string;
      h.databases.delete(oldest);
      for (const key of [...h.loaded.keys()]) if (key.startsWith(`${oldest}:`)) h.loaded.delete(key);
      h.worker.postMessage({ id: 0, db: oldest, drop: true, load: [], sql: '', maxRows: 0, maxBytes: 0 } satisfies QueryMessage);
    }
    h.databases.add(identity);
  }

  /** Ends every worker (at shutdown). */
  async close() {
    await Promise.all([...this.all].map((h) => this.kill(h)));
  }

  /** A table's rows as one INSERT statement, made once per fetch and shared by every worker that loads it. */
  private readonly inserts = new WeakMap<object, string>();
  private insertOf(table: ResourceName, rows: Record<string, unknown>[]) {
    let text = this.inserts.get(rows);
    if (text === undefined) this.inserts.set(rows, (text = insertStatement(resource(table), rows)));
    return text;
  }

  private identityOf(api: Api) {
    let id = this.identities.get(api);
    if (!id) this.identities.set(api, (id = `identity${this.nextId++}`));
    return id;
  }

  private send(h: Handle, m: QueryMessage, signal?: AbortSignal): Promise<QueryReply> {
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        h.pending = undefined;
        reject(e);
      };
      const timer = setTimeout(
        () =>
          fail(
            new QueryError(
              `the query ran longer than ${(this.o.timeoutMs / 1000).toFixed(1).replace(/\.0$/, '')} s (QUERY_TIMEOUT_MS) and was stopped: narrow it with WHERE, join on keys, or aggregate; a recursive CTE needs a condition that ends it`,
            ),
          ),
        this.o.timeoutMs,
      );
      const onAbort = () => fail(new QueryError('the query was cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      h.pending = {
        id: m.id,
        resolve: (r) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          h.pending = undefined;
          resolve(r);
        },
        reject: fail,
      };
      h.worker.postMessage(m);
    });
  }

  private async acquire(): Promise<Handle> {
    const h = this.idle.pop();
    if (h) {
      clearTimeout(h.idleTimer);
      return h;
    }
    if (this.all.size < (this.o.workers ?? 2)) return this.spawn();
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private release(h: Handle) {
    const next = this.queue.shift();
    if (next) return next(h);
    this.idle.push(h);
    h.idleTimer = setTimeout(() => {
      const i = this.idle.indexOf(h);
      if (i >= 0) this.idle.splice(i, 1);
      void this.kill(h);
    }, IDLE_MS);
    h.idleTimer.unref();
  }

  private async spawn(): Promise<Handle> {
    const { Worker } = await import('node:worker_threads');
    const { code, module } = await (this.code ??= this.o.load().then(({ code, wasm }) => ({
      code,
      // Compiled once, off the main thread while the first worker boots, and shared by every
      // worker after it: V8 keeps one copy of the machine code, however many instances run it.
      // Deferred a turn so that the worker thread is started first.
      module: new Promise<void>((resolve) => setImmediate(resolve))
        .then(wasm)
        .then((bytes) => {
          quickCodeOnly();
          return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
        }),
    })));
    module.catch(() => undefined); // told to the worker, which fails the query with it
    const worker = new Worker(code, {
      eval: true,
      workerData: { memoryMb: this.o.memoryMb },
      resourceLimits: { maxOldGenerationSizeMb: this.o.memoryMb },
    });
    worker.unref();
    module.then(
      (m) => worker.postMessage({ module: m } satisfies WorkerInit),
      (err: Error) => worker.postMessage({ moduleError: err.message } satisfies WorkerInit),
    );
    const h: Handle = { worker, loaded: new Map(), databases: new Set() };
    this.all.add(h);
    worker.on('message', (r: QueryReply) => (h.pending?.id === r.id ? h.pending.resolve(r) : undefined));
    worker.on('error', (err: Error & { code?: string }) =>
      h.pending?.reject(
        new QueryError(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `the query needed more than ${this.o.memoryMb} MB (QUERY_MEMORY_MB) and was stopped: aggregate or narrow it` : `the query engine failed: ${err.message}`),
      ),
    );
    worker.on('exit', () => {
      this.all.delete(h);
      h.pending?.reject(new QueryError('the query engine stopped; run the query again'));
      // Anyone waiting for a worker gets a new one in its place.
      const next = this.queue.shift();
      if (next) void this.spawn().then(next);
    });
    return h;
  }

  private async kill(h: Handle) {
    clearTimeout(h.idleTimer);
    this.all.delete(h);
    await h.worker.terminate();
  }
}

/**
 * V8 runs WebAssembly as quickly compiled code (Liftoff) and recompiles the functions that get
 * hot with its optimising compiler on background threads. For SQLite, that recompiling is what
 * a first query waited for: on two cores it took the CPU from the query, and a server's first
 * load and join ran 2–3× slower than on the quick code alone, while later queries gain only
 * about 1.3× from it. So SQLite stays on the quick code, compiled whole up front (off the main
 * thread, while the worker boots) rather than function by function as a first query reaches
 * them. Measured in test/bench/query.bench.ts: a server's first query 220 → 140 ms on the replica,
 * its RSS after it 124 → 93 MB; a warm query 5.5 → 7.4 ms. These are process-wide settings,
 * read when a module is compiled, so they are set just before SQLite's is; the only other
 * WebAssembly a server may run is fetch's small HTTP parser.
 */
function quickCodeOnly() {
  const { setFlagsFromString } = createRequire(process.execPath)('node:v8') as typeof import('node:v8');
  for (const flag of ['--no-wasm-dynamic-tiering', '--no-wasm-tier-up', '--no-wasm-lazy-compilation']) setFlagsFromString(flag);
}

const TABLE_NAMES = RESOURCES.map((r) => r.name);

/** SQLite's message, plus what the model needs to write the query right next time. */
/** Per table rows: the first value of each column that ends in spaces, or holds letters that are not ASCII, or fold to none. */
const risky = new WeakMap<object, { spaced: Map<string, string>; accented: Map<string, string>; unfoldable: Map<string, string> }>();

function risksOf(rows: Record<string, unknown>[]) {
  let r = risky.get(rows);
  if (!r) {
    r = { spaced: new Map(), accented: new Map(), unfoldable: new Map() };
    for (const row of rows) {
      for (const [k, v] of Object.entries(row)) {
        if (typeof v !== 'string') continue;
        if (v.endsWith(' ') && !r.spaced.has(k)) r.spaced.set(k, v);
        // Letters only: other characters (’, –) weigh as themselves in both engines.
        if (/[^\x00-\x7f]/.test(v) && /\p{L}/u.test(v.replace(/[\x00-\x7f]/g, ''))) {
          if (!r.accented.has(k)) r.accented.set(k, v);
          if (/\p{L}/u.test(foldText(v).replace(/[\x00-\x7f]/g, '')) && !r.unfoldable.has(k)) r.unfoldable.set(k, v);
        }
      }
    }
    risky.set(rows, r);
  }
  return r;
}

/**
 * MySQL compares text by its collation: 'Norway  ' = 'Norway', 'Müller' = 'muller', one
 * group, one DISTINCT value. Comparisons with literals and sorting are translated (cm_fold);
 * a query that groups, deduplicates or aggregates a column whose values now end in spaces or
 * hold accents, or compares letters that do not fold, is refused, saying what to write.
 */
function collationRisks(q: { compared: string[]; folded: string[] }, tables: { name: ResourceName; rows: Record<string, unknown>[] }[]) {
  for (const t of tables) {
    const r = risksOf(t.rows);
    const name = (c: string) => SQL_COLUMNS[t.name].find((x) => x.toLowerCase() === c)!;
    for (const c of q.compared) {
      const v = r.spaced.get(c) ?? r.accented.get(c);
      if (v !== undefined) {
        const spaced = r.spaced.has(c);
        throw new QueryError(
          spaced
            ? `${t.name}.${name(c)} has values that end in spaces (e.g. '${v}'), which MySQL groups, deduplicates and compares without them: write TRIM(${name(c)}) where it is grouped, made DISTINCT or aggregated, or filter it with = or LIKE`
            : `${t.name}.${name(c)} has accented values (e.g. '${v}'), which MySQL groups, deduplicates and compares as their plain letters ('${foldText(v)}'): not supported here for this column; group by its key instead, or filter it with = or LIKE`,
        );
      }
    }
    for (const c of q.folded) {
      const v = r.unfoldable.get(c);
      if (v !== undefined) throw new QueryError(`${t.name}.${name(c)} has values with letters MySQL's collation folds in its own way (e.g. '${v}'): comparing or sorting it is not supported here; use LIKE`);
    }
  }
}

function teach(message: string, tables: ResourceName[]): string {
  const column = /no such column: ([\w.]+)/.exec(message);
  if (column) {
    const named = RESOURCES.filter((r) => tables.includes(r.name));
    return `${message}; ${named.map((r) => `${r.name} has ${r.fields.map((f) => f.name).join(', ')}`).join('; ') || `the tables are ${TABLE_NAMES.join(', ')}`}`;
  }
  if (/no such table/.test(message)) return `${message}; the tables are ${TABLE_NAMES.join(', ')}`;
  const fn = /no such function: (\w+)/.exec(message);
  if (fn) return `${fn[1].toUpperCase()}() is not provided; MySQL functions here: ${MYSQL_FUNCTIONS.join(', ')}; SQLite's own work too (SUBSTR, INSTR, ROUND, ABS, COALESCE, NULLIF, CAST, FLOOR, CEIL, POWER, SQRT, MOD, PRINTF, STRFTIME, GROUP_CONCAT)`;
  if (/readonly database|not authorized/.test(message)) return 'read-only: one SELECT';
  if (/out of memory|SQLITE_NOMEM/i.test(message)) return `the query needed more memory than QUERY_MEMORY_MB allows and was stopped: aggregate or narrow it`;
  return message;
}

