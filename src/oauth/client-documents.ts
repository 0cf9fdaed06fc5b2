import { lookup } from 'node:dns';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Lru } from '../limits/lru.js';

/** Whether an address is one a fetch on a stranger's behalf must never reach (SSRF). */
export function isPrivateAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (isIP(a) === 4) {
    const [p, q] = a.split('.').map(Number);
    return (
      p === 0 || p === 10 || p === 127 || p >= 224 || (p === 100 && q >= 64 && q < 128) || (p === 169 && q === 254) || (p === 172 && q >= 16 && q < 32) || (p === 192 && q === 168) || (p === 192 && q === 0) || (p === 198 && (q === 18 || q === 19))
    );
  }
  if (isIP(a) === 6) {
    if (a === '::' || a === '::1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    if (mapped) return isPrivateAddress(mapped[1]);
    return /^(fc|fd|fe[89ab]|ff)/.test(a) || a.startsWith('64:ff9b:') || a.startsWith('2001:db8:');
  }
  return true;
}

export interface DocumentRules {
  allowPrivate: boolean;
  timeoutMs?: number;
  maxBytes?: number;
}

type Fetched = { doc: Record<string, unknown>; ttlMs: number } | { error: string };

const DEFAULT_TTL_MS = 5 * 60_000;
const MAX_TTL_MS = 24 * 60 * 60_000;

/** How long a document may be reused, from its Cache-Control (no-store: not at all). */
function ttlOf(cacheControl: string | undefined): number {
  const cc = (cacheControl ?? '').toLowerCase();
  if (/\b(no-store|no-cache|private)\b/.test(cc)) return 0;
  const m = /\bmax-age=(\d+)/.exec(cc);
  return m ? Math.min(MAX_TTL_MS, Number(m[1]) * 1000) : DEFAULT_TTL_MS;
}

/**
 * Client ID Metadata Documents: a client whose client_id is an https URL publishes its metadata
 * there, and this server fetches it. The fetch is made on anyone's word, so it is fenced in: a
 * deadline, a size cap, no redirects, and no private, loopback or link-local address (checked on
 * the address actually connected to, so DNS cannot be turned against it between check and use).
 */
export class ClientDocuments {
  private readonly cache = new Lru<string, Record<string, unknown>>(1_000);
  private readonly pending = new Map<string, Promise<Fetched>>();

  constructor(private readonly rules: DocumentRules) {}

  async get(url: string): Promise<Fetched> {
    const cached = this.cache.get(url);
    if (cached) return { doc: cached, ttlMs: 0 };
    let p = this.pending.get(url);
    if (!p) {
      p = this.fetch(url).finally(() => this.pending.delete(url));
      this.pending.set(url, p);
    }
    const got = await p;
    if ('doc' in got && got.ttlMs > 0) this.cache.set(url, got.doc, got.ttlMs);
    return got;
  }

  private fetch(raw: string): Promise<Fetched> {
    const url = new URL(raw);
    const max = this.rules.maxBytes ?? 5_120;
    const timeoutMs = this.rules.timeoutMs ?? 5_000;
    const allowPrivate = this.rules.allowPrivate;
    if (isIP(url.hostname.replace(/^\[|\]$/g, '')) && !allowPrivate && isPrivateAddress(url.hostname)) {
      return Promise.resolve({ error: `the client's metadata document is on a private address (${url.hostname})` });
    }
    const guarded: LookupFunction = (host, options, callback) =>
      lookup(host, { ...options, all: true }, (err, addresses) => {
        if (err) return (callback as (e: Error | null, a: string, f?: number) => void)(err, '', undefined);
        const list = addresses as unknown as { address: string; family: number }[];
        const bad = allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
        if (bad) return (callback as (e: Error | null, a: string, f?: number) => void)(Object.assign(new Error(`${host} resolves to a private address (${bad.address})`), { code: 'EPRIVATE' }), '', undefined);
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
        (callback as (e: null, a: string, f: number) => void)(null, list[0].address, list[0].family);
      });
    return new Promise((resolve) => {
      let settled = false;
      const done = (v: Fetched) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        resolve(v);
      };
      const req = https.request(url, { method: 'GET', headers: { Accept: 'application/json' }, lookup: guarded, agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) return done({ error: `the client's metadata document answered ${status} (a redirect); redirects are not followed` });
        if (status !== 200) return done({ error: `the client's metadata document answered HTTP ${status}` });
        if (Number(res.headers['content-length'] ?? 0) > max) return done({ error: `the client's metadata document is larger than ${max} bytes` });
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > max) return done({ error: `the client's metadata document is larger than ${max} bytes` });
          chunks.push(c);
        });
        res.on('error', () => done({ error: "the client's metadata document could not be read" }));
        res.on('end', () => {
          try {
            const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
            if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return done({ error: "the client's metadata document is not a JSON object" });
            done({ doc: doc as Record<string, unknown>, ttlMs: ttlOf(res.headers['cache-control']) });
          } catch {
            done({ error: "the client's metadata document is not valid JSON" });
          }
        });
      });
      const timer = setTimeout(() => done({ error: `the client's metadata document did not arrive within ${timeoutMs} ms` }), timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code === 'EPRIVATE' ? `the client's metadata document is on a private address (${err.message})` : `the client's metadata document could not be fetched (${err.code ?? err.message})` }));
      req.end();
    });
  }
}
