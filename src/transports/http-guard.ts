import type http from 'node:http';

/** Requests that fail a guard get a status, a JSON body and maybe headers; no MCP runs. */
export interface Refusal {
  status: number;
  body: { error: string; message: string };
  headers?: Record<string, string>;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export const isLoopback = (host: string) => LOOPBACK_NAMES.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);

/** "example.com:3000" or "[::1]:3000" → the host name without the port. */
function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '');
}

export interface GuardOptions {
  boundToLoopback: boolean;
  allowedHosts: string[];
  allowedOrigins: string[];
}

/** The Host half of the guard alone: OAuth's public endpoints take any Origin, but never a rebound Host. */
export function checkHost(req: http.IncomingMessage, o: GuardOptions): Refusal | undefined {
  const host = req.headers.host;
  if (o.boundToLoopback || o.allowedHosts.length) {
    const name = host ? hostnameOf(host) : '';
    const allowed = (o.boundToLoopback && isLoopback(name)) || o.allowedHosts.some((a) => a === '*' || a === name || a === host?.toLowerCase());
    if (!allowed) return { status: 403, body: { error: 'forbidden', message: `Host "${host ?? ''}" is not allowed; add it with --allowed-hosts` } };
  }
  return undefined;
}

/**
 * DNS-rebinding protection: a web page on evil.example that resolves its name to 127.0.0.1 sends
 * requests with its own Host and Origin. A server bound to loopback accepts only loopback names
 * (plus --allowed-hosts); any server refuses Origins it was not told about (loopback origins,
 * such as the MCP Inspector's, are allowed).
 */
export function checkOrigin(req: http.IncomingMessage, o: GuardOptions): Refusal | undefined {
  const refused = checkHost(req, o);
  if (refused) return refused;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let ok = o.allowedOrigins.includes('*') || o.allowedOrigins.includes(origin);
    try {
      ok ||= isLoopback(hostnameOf(new URL(origin).host));
    } catch {
      ok = false;
    }
    if (!ok) return { status: 403, body: { error: 'forbidden', message: `Origin "${origin}" is not allowed; add it with --allowed-origins` } };
  }
  return undefined;
}
