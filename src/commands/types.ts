export interface OptionDef {
  flags: string;
  description: string;
  /** Test-only switches stay out of --help. */
  hidden?: boolean;
}

/** A subcommand as data: the CLI registers these, each `run` returns the exit code. */
export interface CommandDef {
  name: string;
  description: string;
  options: OptionDef[];
  help?: string;
  run(flags: Record<string, unknown>): Promise<number>;
}

/** Settings every command that talks to the API understands (secrets only by env or .env). */
export const API_OPTIONS: OptionDef[] = [
  { flags: '--api-url <url>', description: 'Classic Models API base URL (env CLASSIC_MODELS_API_URL, default http://localhost:8000)' },
  { flags: '--username <name>', description: 'API username (env API_USERNAME; the password only from API_PASSWORD)' },
  { flags: '--timeout-ms <ms>', description: 'deadline of each API request (env API_TIMEOUT_MS, default 30000)' },
  { flags: '--ssl-verify <bool>', description: 'false accepts a self-signed certificate (env SSL_VERIFY, default true)' },
  { flags: '--log-level <level>', description: 'error, warn, info or debug, on stderr (env LOG_LEVEL, default info)' },
];

export const DEMO_OPTION: OptionDef = {
  flags: '--demo',
  description: 'start the built-in replica of the Classic Models API in-process and use it (sample data, lost at exit)',
};

export const TOOL_OPTIONS: OptionDef[] = [
  { flags: '--read-only', description: 'register only the tools that read (env READ_ONLY)' },
  { flags: '--toolsets <list>', description: 'comma-separated resources whose tools to register, e.g. products,customers (env TOOLSETS)' },
  { flags: '--max-result-bytes <n>', description: 'largest tool result; longer lists are cut at a row and say how to continue (env MAX_RESULT_BYTES, default 80000)' },
  { flags: '--query-timeout-ms <ms>', description: 'classic_models_query: stop a query after this long (env QUERY_TIMEOUT_MS, default 5000)' },
  { flags: '--query-cache-seconds <s>', description: 'classic_models_query: reuse tables read from the API for this long; 0 reads them for every query (env QUERY_CACHE_SECONDS, default 30)' },
  { flags: '--query-memory-mb <mb>', description: 'classic_models_query: memory one query may use (env QUERY_MEMORY_MB, default 256)' },
];
