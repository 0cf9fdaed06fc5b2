/**
 * The modules only some commands need (the replica, login-check's checks, the HTTP transports),
 * loaded when they are needed.
 *
 * Running from source (tests), these are plain dynamic imports. In the bundle, build.mjs builds
 * each as a self-contained module and embeds its text: V8 then scans it as one string instead of
 * parsing ~140 KB of code at every start of serve-stdio, which never runs it. Such a module shares
 * no classes with the bundle, so what crosses the boundary is plain data, callbacks and objects
 * used by their methods (the HTTP transport is handed the function that makes MCP servers).
 */
import { createRequire } from 'node:module';

/** Defined (true) only in the bundle; each test below is written out so esbuild drops the other branch. */
declare const __BUNDLED__: boolean;

type ChunkName = 'demo' | 'diagnose' | 'http' | 'query' | 'sqlwasm';
/** Where build.mjs appends the chunks to the bundle, in a comment: `/*<marker>{json}*\/`. */
const MARKER = '__CM_CHUNKS__';
let chunks: Record<ChunkName, string> | undefined;

/**
 * A chunk's bytes. The chunks (deflated, base64) sit in a comment at the end of the bundle and
 * are read from the file on first need: V8 skims a comment three times faster than it scans a
 * string literal, and serve-stdio's start-up pays for neither the replica nor SQLite's 700 KB.
 */
function chunk(name: ChunkName): Buffer {
  const load = createRequire(process.execPath);
  if (!chunks) {
    const fs = load('node:fs') as typeof import('node:fs');
    const { fileURLToPath } = load('node:url') as typeof import('node:url');
    const text = fs.readFileSync(fileURLToPath(import.meta.url), 'latin1');
    const at = text.lastIndexOf(`/*${MARKER}`);
    chunks = JSON.parse(text.slice(at + MARKER.length + 2, text.lastIndexOf('*/'))) as Record<ChunkName, string>;
  }
  return (load('node:zlib') as typeof import('node:zlib')).inflateRawSync(Buffer.from(chunks[name], 'base64'));
}

function fromText<T>(name: ChunkName): Promise<T> {
  return import(`data:text/javascript;base64,${chunk(name).toString('base64')}`) as Promise<T>;
}

export function loadDemo(): Promise<typeof import('./demo/server.js')> {
  return typeof __BUNDLED__ !== 'undefined' ? fromText('demo') : import('./demo/server.js');
}

export function loadDiagnose(): Promise<typeof import('./diagnose/login-check.js')> {
  return typeof __BUNDLED__ !== 'undefined' ? fromText('diagnose') : import('./diagnose/login-check.js');
}

export function loadHttpTransport(): Promise<typeof import('./transports/http.js')> {
  return typeof __BUNDLED__ !== 'undefined' ? fromText('http') : import('./transports/http.js');
}

/**
 * The query worker's code (a CommonJS script for a worker thread) and SQLite's WebAssembly
 * (sql.js). In the bundle both are embedded, compressed, and cost nothing until the first query;
 * from source (tests) the worker is bundled on the spot and the WebAssembly read from sql.js.
 * SQLite's 690 KB are unpacked only when asked for, so the worker thread (the slowest part of a
 * first query) starts before that work rather than after it.
 */
export async function loadQueryWorker(): Promise<{ code: string; wasm(): Promise<Uint8Array> }> {
  if (typeof __BUNDLED__ !== 'undefined') return { code: chunk('query').toString('utf8'), wasm: async () => chunk('sqlwasm') };
  const [{ build }, { readFile }, { createRequire: requireFrom }] = await Promise.all([import('esbuild'), import('node:fs/promises'), import('node:module')]);
  const out = await build({ entryPoints: [new URL('./query/worker.ts', import.meta.url).pathname], bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'warning' });
  return { code: out.outputFiles[0].text, wasm: () => readFile(requireFrom(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm')) };
}
