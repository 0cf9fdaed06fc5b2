import net from 'node:net';

/**
 * Requests whose answers the replica must give exactly as the real API does, beyond the golden
 * recordings: other body encodings, DRF's router (API root, format suffixes), content
 * negotiation, route converters, the rate-limit demo, and runserver's handling of chunked bodies.
 * test/real-api/parity.test.ts sends them to a real instance and the replica side by side (and
 * with CM_RECORD=1 writes observed.json); test/contract/observed.test.ts replays that recording
 * against the replica in every fast run.
 */
export interface Exchange {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Bodies that differ by design (OPTIONS metadata) are not compared, only status and headers. */
  ignoreBody?: boolean;
}

const KEY = { 'X-API-Key': 'test-api-key' };
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const multipart = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `--XyZ\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('') + '--XyZ--\r\n';

export const EXCHANGES: Exchange[] = [
  { name: 'login, JSON', method: 'POST', path: 'auth/login/', headers: { 'Content-Type': 'application/json' }, body: '{"username":"demo","password":"demo123"}' },
  { name: 'login, form-encoded', method: 'POST', path: 'auth/login/', headers: FORM, body: 'username=demo&password=demo123' },
  { name: 'login, multipart', method: 'POST', path: 'auth/login/', headers: { 'Content-Type': 'multipart/form-data; boundary=XyZ' }, body: multipart({ username: 'demo', password: 'demo123' }) },
  { name: 'login, form-encoded, wrong password', method: 'POST', path: 'auth/login/', headers: FORM, body: 'username=demo&password=nope' },
  { name: 'login, form-encoded, no password', method: 'POST', path: 'auth/login/', headers: FORM, body: 'username=demo' },
  { name: 'login, text/plain', method: 'POST', path: 'auth/login/', headers: { 'Content-Type': 'text/plain' }, body: 'username=demo' },
  { name: 'API root', method: 'GET', path: 'v1/', headers: KEY },
  { name: 'API root without credentials', method: 'GET', path: 'v1/' },
  { name: 'API root, .json', method: 'GET', path: 'v1/.json', headers: KEY },
  { name: 'list, .json suffix', method: 'GET', path: 'v1/offices.json', headers: KEY },
  { name: 'item, .json suffix', method: 'GET', path: 'v1/offices/1.json', headers: KEY },
  { name: 'item, unknown suffix', method: 'GET', path: 'v1/offices/1.xml', headers: KEY },
  { name: 'relation, .json suffix', method: 'GET', path: 'v1/customers/103/orders.json', headers: KEY },
  { name: '?format=json', method: 'GET', path: 'v1/offices/?format=json', headers: KEY },
  { name: '?format=xml', method: 'GET', path: 'v1/offices/?format=xml', headers: KEY },
  { name: 'Accept: text/html, item', method: 'GET', path: 'v1/offices/1/', headers: { ...KEY, Accept: 'text/html' } },
  { name: 'Accept: text/html and application/json', method: 'GET', path: 'v1/offices/1/', headers: { ...KEY, Accept: 'text/html, application/json' } },
  { name: 'a browser Accept, list', method: 'GET', path: 'v1/productlines/', headers: { ...KEY, Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } },
  { name: '?format=api, list', method: 'GET', path: 'v1/offices/?format=api', headers: KEY },
  { name: 'Accept: text/html, relation', method: 'GET', path: 'v1/productlines/Classic%20Cars/products/', headers: { ...KEY, Accept: 'text/html' } },
  { name: 'Accept: text/html, payments', method: 'GET', path: 'v1/payments/103/HQ336336/', headers: { ...KEY, Accept: 'text/html' } },
  { name: 'Accept: text/html, not found', method: 'GET', path: 'v1/customers/1/', headers: { ...KEY, Accept: 'text/html' } },
  { name: 'Accept: text/html, no credentials', method: 'GET', path: 'auth/me/', headers: { Accept: 'text/html' } },
  { name: 'empty X-API-Key', method: 'GET', path: 'v1/offices/1/', headers: { 'X-API-Key': '' } },
  { name: 'wrong X-API-Key', method: 'GET', path: 'v1/offices/1/', headers: { 'X-API-Key': 'nope' } },
  { name: 'Authorization: Token', method: 'GET', path: 'auth/me/', headers: { Authorization: 'Token abc' } },
  { name: 'payment, non-integer customer number', method: 'GET', path: 'v1/payments/abc/HQ336336/', headers: KEY },
  { name: 'order lines, non-integer order number', method: 'GET', path: 'v1/orderdetails/abc/', headers: KEY },
  { name: 'order line, non-integer order number', method: 'PATCH', path: 'v1/orderdetails/abc/S18_1749/', headers: { ...KEY, 'Content-Type': 'application/json' }, body: '{}' },
  { name: 'payment not found', method: 'GET', path: 'v1/payments/103/NOPE/', headers: KEY },
  { name: 'customer, non-integer key', method: 'GET', path: 'v1/customers/abc/', headers: KEY },
  { name: 'POST to an item', method: 'POST', path: 'v1/offices/1/', headers: { ...KEY, 'Content-Type': 'application/json' }, body: '{}' },
  { name: 'DELETE a list', method: 'DELETE', path: 'v1/offices/', headers: KEY },
  { name: 'GET an order line', method: 'GET', path: 'v1/orderdetails/10100/S18_1749/', headers: KEY },
  { name: 'HEAD an item', method: 'HEAD', path: 'v1/offices/1/', headers: KEY },
  { name: 'OPTIONS a list', method: 'OPTIONS', path: 'v1/offices/', headers: KEY, ignoreBody: true },
  { name: 'payments without the slash, GET', method: 'GET', path: 'v1/payments', headers: KEY },
  { name: 'payments without the slash, POST', method: 'POST', path: 'v1/payments', headers: { ...KEY, 'Content-Type': 'application/json' }, body: '{}' },
  { name: 'delete refused by a foreign key', method: 'DELETE', path: 'v1/offices/1/', headers: KEY },
  { name: 'create, form-encoded', method: 'POST', path: 'v1/offices/', headers: { ...KEY, ...FORM }, body: 'officecode=PX1&city=Graz&phone=1&addressline1=a&country=Austria&postalcode=8010&territory=EMEA' },
  { name: 'update, multipart', method: 'PATCH', path: 'v1/offices/PX1/', headers: { ...KEY, 'Content-Type': 'multipart/form-data; boundary=XyZ' }, body: multipart({ city: 'Linz', state: '' }) },
  { name: 'delete what was created', method: 'DELETE', path: 'v1/offices/PX1/', headers: KEY },
  ...Array.from({ length: 6 }, (_, i): Exchange => ({ name: `rate-limit demo, call ${i + 1}`, method: 'GET', path: 'auth/rate-limit-demo/' })),
  { name: 'rate-limit demo, POST', method: 'POST', path: 'auth/rate-limit-demo/' },
];

export interface Observed {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const HEADERS = ['server', 'content-type', 'allow', 'www-authenticate', 'retry-after', 'location', 'vary', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];
const JWT = /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/;

/** What may differ between two correct servers (tokens, clocks, ports) is replaced by a mark. */
function normalise(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalise(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x, k)]));
  if (typeof v !== 'string') return v;
  if (JWT.test(v)) return '<jwt>';
  if (['date_joined', 'timestamp'].includes(key)) return '<time>';
  return v.replace(/http:\/\/127\.0\.0\.1:\d+/g, '<origin>').replace(/available in \d+ seconds/, 'available in N seconds');
}

export async function perform(base: string, ex: Exchange): Promise<Observed> {
  const res = await fetch(`${base}/classic-models/api/${ex.path}`, { method: ex.method, headers: ex.headers, body: ex.body, redirect: 'manual' });
  const text = await res.text();
  const headers: Record<string, string> = {};
  for (const name of HEADERS) {
    const value = res.headers.get(name);
    // Function views list their methods in Python's set order, which changes from run to run.
    if (value !== null)
      headers[name] =
        name === 'x-ratelimit-reset' ? '<time>'
        : name === 'retry-after' ? '<seconds>'
        : name === 'allow' ? value.split(', ').sort().join(', ')
        // Which Python the API runs on is the machine's business; that it is wsgiref's server is not (the client keeps no connection alive to it).
        : name === 'server' ? value.replace(/\/[\d.]+/g, '/<version>')
        : value;
  }
  let body: unknown = text;
  if (ex.ignoreBody) body = '<not compared>';
  else if (headers['content-type']?.includes('json') && text) body = normalise(JSON.parse(text));
  else if (/html/.test(headers['content-type'] ?? '') && text) body = { html_title: normalise(/<title>([\s\S]*?)<\/title>/i.exec(text)?.[1]?.replace(/\s+/g, ' ').trim() ?? null) };
  return { status: res.status, headers, body };
}

/**
 * A login sent with Transfer-Encoding: chunked on a raw socket: the answer to it, what follows
 * on the connection (runserver reads the chunk framing as a request), and whether it was closed.
 */
export function chunkedLogin(base: string): Promise<{ status: number; body: unknown; after: string; closed: boolean }> {
  const { hostname, port } = new URL(base);
  const json = '{"username":"demo","password":"demo123"}';
  const request = `POST /classic-models/api/auth/login/ HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    let closed = false;
    const finish = () => {
      socket.destroy();
      const head = data.slice(0, data.indexOf('\r\n\r\n'));
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      const rest = data.slice(head.length + 4);
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), body: JSON.parse(rest.slice(0, length)), after: rest.slice(length), closed });
    };
    const timer = setTimeout(finish, 2_000);
    socket.on('data', (d) => (data += d));
    socket.on('end', () => {
      closed = true;
      clearTimeout(timer);
      finish();
    });
    socket.on('error', reject);
  });
}
