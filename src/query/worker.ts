import { parentPort, workerData } from 'node:worker_threads';
import initSqlJs, { type Database } from 'sql.js/dist/sql-wasm.js';
import { resource, type ResourceName } from '../catalog/resources.js';
import { clean, registerMysqlFunctions } from './functions.js';
import { schemaOfAll } from './load.js';

/**
 * The query worker: SQLite (sql.js, WebAssembly) on a thread of its own, so a long query never
 * holds up the event loop that answers every other call. The main thread sends the tables a
 * query needs (only those this worker does not hold in that version) and the query; it kills the
 * worker when the query outlives its time. One database per API identity: people who may see
 * different data never share tables.
 */
export interface LoadTable {
  name: ResourceName;
  version: string;
  /** Every row in one INSERT … VALUES statement (see load.ts). */
  insert: string;
}
export interface QueryMessage {
  id: number;
  db: string;
  load: LoadTable[];
  sql: string;
  maxRows: number;
  maxBytes: number;
  /** Close this identity's database (the engine keeps a bounded number per worker). */
  drop?: true;
}
export type QueryReply =
  | { id: number; ok: true; columns: string[]; rows: unknown[][]; truncated?: 'rows' | 'bytes' }
  | { id: number; ok: false; message: string };

/** The first message a worker gets: SQLite's module, compiled once by the main thread. */
export type WorkerInit = { module: WebAssembly.Module } | { moduleError: string };

const { memoryMb } = workerData as { memoryMb: number };

let init: (m: WorkerInit) => void;
const ready = new Promise<WorkerInit>((resolve) => (init = resolve)).then((m) => {
  if ('moduleError' in m) throw new Error(`SQLite could not be compiled: ${m.moduleError}`);
  return initSqlJs({
    useOldExtensionFunctions: false,
    instantiateWasm(imports, done) {
      void WebAssembly.instantiate(m.module, imports).then(done);
      return {};
    },
  });
}).then((SQL) => {
  const dbs = new Map<string, Database>();
  const fresh = () => {
    const db = new SQL.Database();
    // SQLite's own allocations count against the same budget as the worker's heap.
    db.run(`PRAGMA hard_heap_limit = ${memoryMb * 1024 * 1024}`);
    // sql.js keeps the database in a file of Emscripten's in-memory file system, whose every
    // write runs through JavaScript: a rollback journal kept by SQLite in its own memory, and
    // the schema made in one transaction, take a new database from 12 ms to 2.
    db.run('PRAGMA journal_mode = MEMORY');
    db.run('PRAGMA synchronous = OFF');
    db.run('BEGIN');
    for (const statement of schemaOfAll()) db.run(statement);
    db.run('COMMIT');
    registerMysqlFunctions(db);
    db.run('PRAGMA query_only = 1');
    return db;
  };
  // The first database is made while the tables are still on their way from the API.
  let spare: Database | undefined = fresh();
  const open = (key: string) => {
    let db = dbs.get(key);
    if (!db) {
      db = spare ?? fresh();
      spare = undefined;
      dbs.set(key, db);
    }
    return db;
  };
  const load = (db: Database, t: LoadTable) => {
    const def = resource(t.name);
    db.run('PRAGMA query_only = 0');
    try {
      db.run('BEGIN');
      db.run(`DELETE FROM ${def.name}`);
      if (t.insert) db.run(t.insert);
      db.run('COMMIT');
    } finally {
      db.run('PRAGMA query_only = 1');
    }
  };
  const drop = (key: string) => {
    dbs.get(key)?.close();
    dbs.delete(key);
  };
  return { open, load, drop };
});

parentPort!.on('message', async (m: QueryMessage | WorkerInit) => {
  if (!('id' in m)) return init(m);
  const { open, load, drop } = await ready;
  if (m.drop) return drop(m.db);
  try {
    const db = open(m.db);
    for (const t of m.load) load(db, t);
    // A load sent ahead of its query (id 0) has no answer; a failure to load shows in the query.
    if (!m.sql) return;
    const failed = loadFailures.get(m.db);
    if (failed) {
      loadFailures.delete(m.db);
      throw new Error(failed);
    }
    const stmt = db.prepare(m.sql);
    try {
      const columns = stmt.getColumnNames();
      const rows: unknown[][] = [];
      // Room for the answer's envelope: row_count, as_of, age_s and a note on truncation.
      let bytes = Buffer.byteLength(JSON.stringify(columns)) + 400;
      let truncated: 'rows' | 'bytes' | undefined;
      while (stmt.step()) {
        if (rows.length >= m.maxRows) {
          truncated = 'rows';
          break;
        }
        const row = stmt.get().map((v) => (typeof v === 'number' ? clean(v) : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
        const size = Buffer.byteLength(JSON.stringify(row)) + 1;
        if (bytes + size > m.maxBytes) {
          truncated = 'bytes';
          break;
        }
        bytes += size;
        rows.push(row);
      }
      parentPort!.postMessage({ id: m.id, ok: true, columns, rows, ...(truncated ? { truncated } : {}) } satisfies QueryReply);
    } finally {
      stmt.free();
    }
  } catch (err) {
    if (!m.sql) loadFailures.set(m.db, (err as Error).message);
    else parentPort!.postMessage({ id: m.id, ok: false, message: (err as Error).message } satisfies QueryReply);
  }
});

/** A table that could not be loaded, told with the next query of that database. */
const loadFailures = new Map<string, string>();
