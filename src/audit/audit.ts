import { chmodSync, createWriteStream, openSync, closeSync, type WriteStream } from 'node:fs';

export type Outcome = 'ok' | 'error' | 'invalid' | 'rate_limited';

/** One line per tool call. Never a token or a password: who called is a label or a hash. */
export interface AuditEntry {
  time: string;
  identity: string;
  session?: string;
  tool: string;
  outcome: Outcome;
  api_status?: number;
  duration_ms: number;
  args?: Record<string, unknown>;
}

export interface AuditLog {
  write(e: AuditEntry): void;
  /** Resolves once every queued line is written. */
  close(): Promise<void>;
  readonly includeArgs: boolean;
}

/** Argument names that could hold a secret are never written, even with --audit-args. */
const SECRET_NAME = /pass|secret|token|key$|apikey|authorization/i;

/** The arguments worth logging: no secret-looking names, long texts clipped. */
export function auditArgs(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (SECRET_NAME.test(k)) continue;
    out[k] = typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…` : v;
  }
  return out;
}

/**
 * Audit lines go to a file (appended, created 0600 and kept 0600) or to stderr. File writes are
 * queued in order without blocking calls, and flushed when the server closes.
 */
export function openAuditLog(file: string | undefined, includeArgs: boolean, stderr: (line: string) => void = (l) => process.stderr.write(l)): AuditLog {
  let stream: WriteStream | undefined;
  if (file) {
    // Created 0600, and tightened to 0600 if it existed with wider rights.
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  }
  return {
    includeArgs,
    write(e) {
      const line = JSON.stringify(e) + '\n';
      if (stream) stream.write(line);
      else stderr(line);
    },
    close() {
      const s = stream;
      stream = undefined;
      return new Promise<void>((resolve) => (s ? s.end(resolve) : resolve()));
    },
  };
}
