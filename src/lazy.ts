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

/** Each module's text, deflated and base64-encoded by build.mjs. */
declare const __BUNDLED_CHUNKS__: Record<'demo' | 'diagnose' | 'http', string>;
/** Defined (true) only in the bundle; each test below is written out so esbuild drops the other branch. */
declare const __BUNDLED__: boolean;

function fromText<T>(packed: string): Promise<T> {
  const zlib = createRequire(process.execPath)('node:zlib') as typeof import('node:zlib');
  const text = zlib.inflateRawSync(Buffer.from(packed, 'base64'));
  return import(`data:text/javascript;base64,${text.toString('base64')}`) as Promise<T>;
}

export function loadDemo(): Promise<typeof import('./demo/server.js')> {
  return typeof __BUNDLED__ !== 'undefined' ? fromText(__BUNDLED_CHUNKS__.demo) : import('./demo/server.js');
}

export function loadDiagnose(): Promise<typeof import('./diagnose/login-check.js')> {
  return typeof __BUNDLED__ !== 'undefined' ? fromText(__BUNDLED_CHUNKS__.diagnose) : import('./diagnose/login-check.js');
}

export function loadHttpTransport(): Promise<typeof import('./transports/http.js')> {
  return typeof __BUNDLED__ !== 'undefined' ? fromText(__BUNDLED_CHUNKS__.http) : import('./transports/http.js');
}
