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
}
export type QueryReply =
  | { id: number; ok: true; columns: string[]; rows: unknown[][]; truncated?: 'rows' | 'bytes' }
  | { id: number; ok: false; message: string };

const { wasm, memoryMb } = workerData as { wasm: Uint8Array; memoryMb: number };

const ready = initSqlJs({ wasmBinary: wasm, useOldExtensionFunctions: false }).then((SQL) => {
  const dbs = new Map<string, Database>();
  const open = (key: string) => {
    let db = dbs.get(key);
    if (!db) {
      db = new SQL.Database();
      // SQLite's own allocations count against the same budget as the worker's heap.
      db.run(`PRAGMA hard_heap_limit = ${memoryMb * 1024 * 1024}`);
      for (const statement of schemaOfAll()) db.run(statement);
      registerMysqlFunctions(db);
      db.run('PRAGMA query_only = 1');
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
  warmUp(new SQL.Database());
  return { open, load };
});

/**
 * WebAssembly runs slowly the first times through (V8 compiles it lazily, then optimises what
 * is hot), and a first load and join take several times longer than later ones. So while the
 * tables are still on their way from the API, the worker loads a few made-up rows and runs one
 * join of the kind models write; the real work then finds most of its code compiled.
 */
function warmUp(db: Database) {
  for (const statement of schemaOfAll()) db.run(statement);
  registerMysqlFunctions(db);
  const lines = Array.from({ length: 200 }, (_, i) => `(${i},${20 + (i % 30)},${50 + (i % 90)}.1,${i % 17},${i % 40},'P${i % 11}')`).join(',');
  db.run(`INSERT INTO orderdetails VALUES ${lines}`);
  db.run(`INSERT INTO orders (ordernumber, orderdate, customernumber) VALUES ${Array.from({ length: 40 }, (_, i) => `(${i},'2004-0${1 + (i % 9)}-01',${i % 10})`).join(',')}`);
  db.run(`INSERT INTO customers (customernumber, country, salesrepemployeenumber) VALUES ${Array.from({ length: 10 }, (_, i) => `(${i},'K${i % 3}',${i % 2})`).join(',')}`);
  const stmt = db.prepare('SELECT c.country, YEAR(o.orderdate), COUNT(DISTINCT o.ordernumber), SUM(d.quantityordered * d.priceeach) AS r FROM customers c JOIN orders o USING (customernumber) JOIN orderdetails d USING (ordernumber) GROUP BY 1, 2 ORDER BY r DESC');
  while (stmt.step()) stmt.get();
  stmt.free();
  db.close();
}
parentPort!.on('message', async (m: QueryMessage) => {
  const { open, load } = await ready;
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
