/**
 * One error type for everything that can go wrong talking to the API. `status` is the HTTP
 * status, or 0 when no response arrived; `kind` lets callers (tools, login-check) choose a hint
 * without parsing the message.
 */
export type ApiErrorKind =
  | 'http' // the API answered with an error status
  | 'unreachable' // DNS, refused, reset: no answer
  | 'timeout' // no answer within API_TIMEOUT_MS
  | 'tls' // certificate or handshake failure
  | 'aborted' // the caller cancelled
  | 'auth' // login/refresh could not produce a token
  | 'throttled'; // 429, with retryAfter when the API said

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly info: {
      kind: ApiErrorKind;
      status: number;
      method: string;
      path: string;
      body?: unknown;
      /** Seconds the API asked us to wait (Retry-After), when it said. */
      retryAfter?: number;
      /** The low-level code: ECONNREFUSED, ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT, ... */
      code?: string;
      /** The request went out on a kept-alive socket that an earlier request had used. */
      reusedSocket?: boolean;
      /** For HTML error pages: the exception class named in the page title (IntegrityError). */
      exception?: string;
    },
  ) {
    super(message);
  }
  get status() {
    return this.info.status;
  }
  get kind() {
    return this.info.kind;
  }
}

const MAX_LINE = 300;

const oneLine = (s: string) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_LINE ? flat.slice(0, MAX_LINE - 1) + '…' : flat;
};

/**
 * DRF error bodies, flattened to one line: `detail`, `non_field_errors`, `error`, then each
 * field's messages as "field: message" — the form the model can act on.
 */
export function messageFromBody(body: unknown): string | undefined {
  if (body === null || body === undefined || body === '') return undefined;
  if (typeof body === 'string') return oneLine(body);
  if (Array.isArray(body)) return oneLine(body.map(String).join('; '));
  if (typeof body !== 'object') return String(body);
  const b = body as Record<string, unknown>;
  const parts: string[] = [];
  const msgs = (v: unknown): string =>
    Array.isArray(v) ? v.map((x) => (typeof x === 'object' && x !== null ? messageFromBody(x) : String(x))).join(' ') : typeof v === 'object' && v !== null ? messageFromBody(v) ?? '' : String(v);
  if (typeof b.detail === 'string') parts.push(b.detail);
  if (b.non_field_errors !== undefined) parts.push(msgs(b.non_field_errors));
  if (typeof b.error === 'string') parts.push(b.error);
  for (const [k, v] of Object.entries(b)) {
    if (['detail', 'non_field_errors', 'error', 'code', 'messages'].includes(k)) continue;
    parts.push(`${k}: ${msgs(v)}`);
  }
  if (!parts.length && typeof b.message === 'string') parts.push(b.message);
  return parts.length ? oneLine(parts.join('; ')) : undefined;
}

const decodeEntities = (s: string) =>
  s
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/**
 * Django's debug pages are 1.5–190 KB of HTML. What matters is the exception class (title) and
 * its value (`exception_value`); everything else is dropped.
 */
export function summarizeHtml(html: string): { message: string; exception?: string } {
  const title = /<title>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const value = /<pre class="exception_value">([\s\S]*?)<\/pre>/i.exec(html)?.[1];
  const cleanTitle = title ? decodeEntities(title.replace(/<[^>]+>/g, '')).trim() : undefined;
  const exception = cleanTitle ? /^([A-Z]\w*(?:Error|Exception|DoesNotExist|Found)?)\b/.exec(cleanTitle)?.[1] : undefined;
  const parts = [cleanTitle, value ? decodeEntities(value.replace(/<[^>]+>/g, '')) : undefined].filter(Boolean) as string[];
  return {
    message: parts.length ? oneLine(parts.join(': ')) : 'the API returned an HTML error page',
    exception: cleanTitle && /^Page not found/i.test(cleanTitle) ? 'PageNotFound' : exception,
  };
}

/** Socket-level failures, said with what and where. */
export function networkMessage(err: NodeJS.ErrnoException, baseUrl: string): { kind: ApiErrorKind; message: string; code?: string } {
  const code = err.code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code && /CERT|SELF_SIGNED|SSL|TLS|UNABLE_TO_VERIFY|ERR_TLS/i.test(code)) {
    return {
      kind: 'tls',
      code,
      message: `TLS failure talking to the Classic Models API at ${baseUrl} (${code}): for a self-signed certificate set SSL_VERIFY=false, or trust its CA with NODE_EXTRA_CA_CERTS=/path/ca.pem`,
    };
  }
  return { kind: 'unreachable', code, message: `cannot reach the Classic Models API at ${baseUrl} (${code ?? err.message})` };
}
