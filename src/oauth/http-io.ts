import type http from 'node:http';

/** Every OAuth answer with a token or a code in it must never be cached on the way (RFC 6749 §5.1). */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...NO_STORE, ...headers });
  res.end(text);
}

/** An OAuth error answer (RFC 6749 §5.2): a code a client acts on, and a sentence a person reads. */
export const oauthError = (res: http.ServerResponse, status: number, error: string, description: string, headers: Record<string, string> = {}) =>
  sendJson(res, status, { error, error_description: description }, headers);

export function sendHtml(res: http.ServerResponse, status: number, html: string, headers: Record<string, string>) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html), ...NO_STORE, ...headers });
  res.end(html);
}

/** `uri` with `params` added to its query, keeping what it already has (RFC 6749 §3.1.2). */
export function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

export function redirect(res: http.ServerResponse, location: string) {
  res.writeHead(302, { Location: location, 'Content-Length': 0, ...NO_STORE, 'Referrer-Policy': 'no-referrer' });
  res.end();
}

/**
 * A form (application/x-www-form-urlencoded, what OAuth endpoints take) or a JSON object, as
 * string fields; at most `max` bytes. A field given twice is refused (RFC 6749 §3.1).
 */
export function readForm(req: http.IncomingMessage, max = 16_384): Promise<{ form: Record<string, string> } | { error: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (v: { form: Record<string, string> } | { error: string }) => {
      if (!done) {
        done = true;
        resolve(v);
      }
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        finish({ error: `the request body is larger than ${max} bytes` });
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => finish({ error: 'the request body could not be read' }));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const type = String(req.headers['content-type'] ?? '').toLowerCase();
      if (type.includes('application/json')) {
        try {
          const parsed = JSON.parse(text || '{}') as unknown;
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return finish({ error: 'the JSON body must be an object' });
          const form: Record<string, string> = {};
          for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') form[k] = String(v);
          return finish({ form });
        } catch {
          return finish({ error: 'the body is not valid JSON' });
        }
      }
      const params = new URLSearchParams(text);
      const form: Record<string, string> = {};
      for (const [k, v] of params) {
        if (k in form) return finish({ error: `the parameter ${k.slice(0, 40)} is given more than once` });
        form[k] = v;
      }
      finish({ form });
    });
  });
}

/** A JSON body of at most `max` bytes (client registration), or why not. */
export function readJsonBody(req: http.IncomingMessage, max = 65_536): Promise<{ body: unknown } | { error: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max && !done) {
        done = true;
        resolve({ error: `the request body is larger than ${max} bytes` });
      }
      if (!done) chunks.push(c);
    });
    req.on('error', () => !done && ((done = true), resolve({ error: 'the request body could not be read' })));
    req.on('end', () => {
      if (done) return;
      done = true;
      try {
        resolve({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      } catch {
        resolve({ error: 'the body is not valid JSON' });
      }
    });
  });
}

/**
 * The address of the person behind a request: the socket's, or, when the request came through a
 * proxy on this machine (nginx in front, a loopback peer), the last address that proxy added to
 * X-Forwarded-For. A remote peer's X-Forwarded-For is never believed: anyone can write one.
 */
export function clientAddress(req: http.IncomingMessage): string {
  const peer = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  const viaLocalProxy = peer === '127.0.0.1' || peer === '::1' || /^127\./.test(peer);
  const forwarded = req.headers['x-forwarded-for'];
  if (viaLocalProxy && typeof forwarded === 'string' && forwarded.trim()) {
    const last = forwarded.split(',').map((s) => s.trim()).filter(Boolean).pop();
    if (last && /^[0-9a-fA-F.:]{2,45}$/.test(last)) return last;
  }
  return peer;
}
