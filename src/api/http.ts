import type http from 'node:http';
import type https from 'node:https';
import { createRequire } from 'node:module';
import { ApiError, messageFromBody, networkMessage, summarizeHtml } from './errors.js';

// HTTP and TLS are loaded on first use: a server that has not called the API yet (initialize,
// tools/list) never pays the milliseconds node:http, node:https and node:tls cost at start-up.
// Any absolute path serves to resolve built-ins; import.meta.url would not inside a module that
// build.mjs loads from a data: URL.
const load = createRequire(process.execPath);
let httpModule: typeof http | undefined;
let httpsModule: typeof https | undefined;
export const httpLib = (): typeof http => (httpModule ??= load('node:http') as typeof http);
export const httpsLib = (): typeof https => (httpsModule ??= load('node:https') as typeof https);

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when the body is not JSON (HTML pages, empty bodies). */
  data: unknown;
  isHtml: boolean;
}

export interface SendOptions {
  method: Method;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  timeoutMs: number;
  agent: http.Agent;
  /** For messages: the base URL the user configured and the path relative to the API root. */
  baseUrl: string;
  path: string;
}

/**
 * One HTTP exchange over node:http(s): no retries, no auth. node:http rather than fetch because
 * fetch in Node 20 cannot turn certificate checking off (SSL_VERIFY=false) without the undici
 * package, and its errors hide the socket codes (ECONNREFUSED) the messages are built from.
 */
export function send(o: SendOptions): Promise<RawResponse> {
  const mod = o.url.protocol === 'https:' ? httpsLib() : httpLib();
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: ApiError) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err);
    };
    // Django's runserver cannot read a chunked body: it sees an empty one and then reads the chunk
    // framing as the next request. So a body always goes out with its Content-Length, in one piece.
    const payload = o.body === undefined ? undefined : Buffer.from(o.body, 'utf8');
    const headers = payload ? { ...o.headers, 'Content-Length': String(payload.length) } : o.headers;
    const req = mod.request(o.url, { method: o.method, headers, agent: o.agent });
    const timer = setTimeout(() => {
      fail(
        new ApiError(`the Classic Models API did not answer ${o.method} ${o.path} within ${o.timeoutMs} ms (API_TIMEOUT_MS)`, {
          kind: 'timeout',
          status: 0,
          method: o.method,
          path: o.path,
        }),
      );
      req.destroy();
    }, o.timeoutMs);
    const onAbort = () => {
      fail(new ApiError(`${o.method} ${o.path} was cancelled`, { kind: 'aborted', status: 0, method: o.method, path: o.path }));
      req.destroy();
    };
    const cleanup = () => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    };
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('error', (err: NodeJS.ErrnoException) => {
      const { kind, message, code } = networkMessage(err, o.baseUrl);
      fail(new ApiError(message, { kind, status: 0, method: o.method, path: o.path, code, reusedSocket: req.reusedSocket }));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err: NodeJS.ErrnoException) => {
        const { kind, message, code } = networkMessage(err, o.baseUrl);
        fail(new ApiError(message, { kind, status: 0, method: o.method, path: o.path, code }));
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        cleanup();
        const text = Buffer.concat(chunks).toString('utf8');
        const type = String(res.headers['content-type'] ?? '');
        let data: unknown = text;
        if (/json/i.test(type) && text) {
          try {
            data = JSON.parse(text);
          } catch {
            data = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, data, isHtml: /html/i.test(type) || /^\s*<(!doctype|html)/i.test(text) });
      });
    });
    req.end(payload);
  });
}

/** Retry-After in seconds, when the header holds a number of seconds or a date. */
export function retryAfterSeconds(headers: http.IncomingHttpHeaders): number | undefined {
  const raw = headers['retry-after'];
  if (typeof raw !== 'string' || raw === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw);
  const when = Date.parse(raw);
  return Number.isNaN(when) ? undefined : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

/** Turns an error response into the one error type, with a one-line message. */
export function errorFromResponse(res: RawResponse, method: Method, path: string): ApiError {
  const retryAfter = retryAfterSeconds(res.headers);
  if (res.isHtml && typeof res.data === 'string') {
    const { message, exception } = summarizeHtml(res.data);
    return new ApiError(`HTTP ${res.status} from ${method} ${path}: ${message}`, { kind: 'http', status: res.status, method, path, exception, retryAfter });
  }
  const detail = messageFromBody(res.data) ?? `HTTP ${res.status} with no message`;
  return new ApiError(detail, {
    kind: res.status === 429 ? 'throttled' : 'http',
    status: res.status,
    method,
    path,
    body: res.data,
    retryAfter,
  });
}
