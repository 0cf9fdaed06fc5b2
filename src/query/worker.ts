import { parentPort, workerData } from 'node:worker_threads';
import initSqlJs, { type Database } from 'sql.js/dist/sql-wasm.js';
import { RESOURCES, resource, type ResourceName } from '../catalog/resources.js';
import { clean, registerMysqlFunctions } from './functions.js';

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
  rows: Record<string, unknown>[];
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

// Integers stay integers, money compares as numbers, text compares as MySQL's default collation does.
const sqlType = (t: string) => (t === 'int' || t === 'smallint' ? 'INTEGER' : t === 'decimal' ? 'REAL' : 'TEXT COLLATE NOCASE');

const ready = initSqlJs({ wasmBinary: wasm, useOldExtensionFunctions: false }).then((SQL) => {
  const dbs = new Map<string, Database>();
  const open = (key: string) => {
    let db = dbs.get(key);
    if (!db) {
      db = new SQL.Database();
      // SQLite's own allocations count against the same budget as the worker's heap.
      db.run(`PRAGMA hard_heap_limit = ${memoryMb * 1024 * 1024}`);
      for (const r of RESOURCES) db.run(`CREATE TABLE ${r.name} (${r.fields.map((f) => `${f.name} ${sqlType(f.type)}`).join(', ')})`);
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
      const insert = db.prepare(`INSERT INTO ${def.name} VALUES (${def.fields.map(() => '?').join(', ')})`);
      for (const row of t.rows) insert.run(def.fields.map((f) => (row[f.name] === undefined || row[f.name] === null ? null : f.type === 'decimal' ? Number(row[f.name]) : row[f.name])));
      insert.free();
      db.run('COMMIT');
    } finally {
      db.run('PRAGMA query_only = 1');
    }
  };
  return { open, load };
});

parentPort!.on('message', async (m: QueryMessage) => {
  const { open, load } = await ready;
  try {
    const db = open(m.db);
    for (const t of m.load) load(db, t);
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
    parentPort!.postMessage({ id: m.id, ok: false, message: (err as Error).message } satisfies QueryReply);
  }
});
