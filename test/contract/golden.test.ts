import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resource, type ResourceName } from '../../src/catalog/resources.js';
import { replicaForFile } from '../helpers/replica.js';

/**
 * Replays every recorded exchange with the real API (test/contract/golden, copied from
 * ../shared/golden) against the replica, in recording order, and compares status, the headers
 * recorded there and the body. Tokens are the replica's own: labels such as <access:demo#1> and
 * literal tokens the real server signed are mapped to the replica's token for the same situation.
 */
const DIR = new URL('./golden/', import.meta.url);
const FILES = readdirSync(DIR)
  .filter((f) => /^\d+_.*\.json$/.test(f))
  .sort();
const COMPARED_HEADERS = ['www-authenticate', 'retry-after', 'allow', 'location'];
const JWT = /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/;

interface Golden {
  request: { method: string; path: string; headers: Record<string, string>; body: unknown };
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Timestamps, token strings and jti differ by nature; everything else must match. */
function normalise(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalise(x)).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x, k)]));
  if (typeof v === 'string' && JWT.test(v)) return '<jwt>';
  if (['date_joined', 'jti', 'iat', 'exp'].includes(key)) return '<varies>';
  return v;
}

const replica = replicaForFile({ apiKey: 'test-api-key' });
const labels = new Map<string, string>(); // "access:demo#1" → replica token
const literal = new Map<string, string>(); // token signed by the real server → replica token

/**
 * The recording is a sample: some steps between two files were not kept. Each create the
 * recording shows was followed by a delete about five steps later (057→062, 074→079, 164→170,
 * 180→186); where that delete is not among the files (employee 9999 created in 106 is gone by
 * 113), the replay performs it at the same distance.
 */
const created: { number: number; path: string }[] = [];
async function unrecordedDeletes(number: number) {
  for (const c of created.filter((x) => x.number + 5 <= number)) {
    created.splice(created.indexOf(c), 1);
    await call('DELETE', c.path, { 'X-API-Key': 'test-api-key' }, null);
  }
}

async function call(method: string, path: string, headers: Record<string, string>, body: unknown) {
  const res = await fetch(replica().url + path, { method, headers, body: body === null || body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, headers: res.headers, body: type.includes('json') && text ? JSON.parse(text) : text };
}

/** A label we have not seen stands for a login the recording made between two files. */
async function token(label: string): Promise<string> {
  const m = /^(access|refresh):demo#(\d+)/.exec(label)!;
  const key = `${m[1]}:demo#${m[2]}`;
  if (!labels.has(key)) {
    const r = await call('POST', '/classic-models/api/auth/login/', { 'Content-Type': 'application/json' }, { username: 'demo', password: 'demo123' });
    labels.set(`access:demo#${m[2]}`, r.body.access);
    labels.set(`refresh:demo#${m[2]}`, r.body.refresh);
  }
  const t = labels.get(key)!;
  if (label.includes('tampered signature')) return t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  return t;
}

async function substitute(headers: Record<string, string>, body: unknown) {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const m = /<([^>]+)>/.exec(v);
    h[k] = m ? v.replace(m[0], await token(m[1])) : v;
  }
  const b =
    body && typeof body === 'object'
      ? Object.fromEntries(Object.entries(body).map(([k, v]) => [k, typeof v === 'string' && JWT.test(v) ? literal.get(v) ?? v : v]))
      : body;
  return { h, b };
}


describe('the replica reproduces every recorded exchange with the real API', () => {
  it('has golden files to replay', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(70);
  });

  for (const file of FILES) {
    it(file, async () => {
      const g: Golden = JSON.parse(readFileSync(new URL(file, DIR), 'utf8'));
      const number = Number(file.slice(0, 3));
      if (g.request.method === 'DELETE') {
        const gone = created.findIndex((c) => c.path === g.request.path.replace(/\/?$/, '/'));
        if (gone >= 0) created.splice(gone, 1);
      }
      await unrecordedDeletes(number);
      const { h, b } = await substitute(g.request.headers, g.request.body);
      const r = await call(g.request.method, g.request.path, h, b);

      // Remember the tokens the real server issued here, as the replica's equivalents.
      if (g.status === 200 && g.body && typeof g.body === 'object' && 'access' in g.body) {
        const gb = g.body as { access: string; refresh: string };
        literal.set(gb.access, r.body.access);
        literal.set(gb.refresh, r.body.refresh);
        const label = `demo#${labels.size / 2 + 1}`;
        labels.set(`access:${label}`, r.body.access);
        labels.set(`refresh:${label}`, r.body.refresh);
      }

      if (g.status === 201) {
        const def = resource(g.request.path.split('/')[4] as ResourceName);
        const body = g.body as Record<string, unknown>;
        created.push({ number, path: `/classic-models/api/v1/${def.name}/${def.key.map((k) => encodeURIComponent(String(body[k]))).join('/')}/` });
      }

      expect({ file, status: r.status }).toEqual({ file, status: g.status });
      for (const name of COMPARED_HEADERS) {
        if (g.headers[name] !== undefined) expect(`${name}: ${r.headers.get(name)}`).toBe(`${name}: ${g.headers[name]}`);
      }
      if (g.body === '' || g.body === null) expect(r.body).toBe('');
      else expect(normalise(r.body)).toEqual(normalise(g.body));
    });
  }
});
