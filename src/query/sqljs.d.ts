/** The part of sql.js (SQLite compiled to WebAssembly) the query worker uses; it ships no types. */
declare module 'sql.js/dist/sql-wasm.js' {
  type Value = number | string | null | Uint8Array;
  export interface Statement {
    getColumnNames(): string[];
    step(): boolean;
    get(): (number | string | null | Uint8Array)[];
    run(values?: unknown[]): void;
    free(): void;
  }
  export interface Database {
    create_function(name: string, fn: (...args: Value[]) => Value): unknown;
    create_aggregate(name: string, fns: { init: () => unknown; step: (state: any, ...args: Value[]) => unknown; finalize: (state: any) => Value }): unknown;
    run(sql: string): void;
    prepare(sql: string): Statement;
    close(): void;
  }
  export interface SqlJsStatic {
    Database: new () => Database;
  }
  /** Either the binary, or instantiateWasm: Emscripten's hook for a module compiled elsewhere (it calls done with the instance). */
  export default function initSqlJs(options: {
    wasmBinary?: ArrayBuffer | Uint8Array;
    instantiateWasm?(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void): object;
    useOldExtensionFunctions?: boolean;
  }): Promise<SqlJsStatic>;
}
