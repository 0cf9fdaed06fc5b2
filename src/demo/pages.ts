/**
 * The real API runs with Django's debug pages on: its 404s for unknown routes and its 500s come
 * back as large HTML documents. The replica sends pages of the same shape (title, exception
 * value, a long body) so that clients are tested against what they will really get.
 */
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');

const FILLER = Array.from({ length: 120 }, (_, i) => `<tr><td>frame ${i}</td><td><code>/usr/local/lib/python3.12/site-packages/django/core/handlers/base.py</code></td></tr>`).join('\n');

export function debugErrorPage(exception: string, path: string, value: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta http-equiv="content-type" content="text/html; charset=utf-8">
  <meta name="robots" content="NONE,NOARCHIVE">
  <title>${escape(exception)} at ${escape(path)}</title>
</head>
<body>
<div id="summary">
  <h1>${escape(exception)} at ${escape(path)}</h1>
  <pre class="exception_value">${escape(value)}</pre>
  <table class="meta"><tr><th>Django Version:</th><td>5.1</td></tr><tr><th>Exception Type:</th><td>${escape(exception)}</td></tr></table>
</div>
<div id="traceback"><table>
${FILLER}
</table></div>
</body>
</html>
`;
}

export function notFoundPage(path: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta http-equiv="content-type" content="text/html; charset=utf-8">
  <title>Page not found at ${escape(path)}</title>
  <meta name="robots" content="NONE,NOARCHIVE">
</head>
<body>
  <div id="summary">
    <h1>Page not found <span>(404)</span></h1>
    <table class="meta"><tr><th>Request URL:</th><td>${escape(path)}</td></tr></table>
  </div>
  <div id="info">
    <p>Using the URLconf defined in <code>classicmodels.urls</code>, Django tried these URL patterns, in this order:</p>
    <ol><li>classic-models/api/auth/</li><li>classic-models/api/v1/</li><li>classic-models/api/schema/</li></ol>
    <p>The current path, <code>${escape(path.replace(/^\//, ''))}</code>, didn’t match any of these.</p>
  </div>
</body>
</html>
`;
}

/**
 * What Python's http.server answers to a line that is no request line (the chunk-size line of
 * a chunked body runserver did not read): an HTTP/0.9 reply, a bare page with no status line,
 * after which the connection is closed.
 */
export function badRequestSyntaxPage(line: string): string {
  return `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: 400</p>
        <p>Message: Bad request syntax ('${line}').</p>
        <p>Error code explanation: 400 - Bad request syntax or unsupported method.</p>
    </body>
</html>
`;
}

const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 415: 'Unsupported Media Type', 429: 'Too Many Requests' };

/** DRF's browsable API page (Accept: text/html, ?format=api, .api): the JSON answer inside HTML. */
export function browsablePage(view: string, method: string, path: string, status: number, headers: Record<string, string>, body: unknown): string {
  const meta = [`<b>HTTP ${status} ${REASONS[status] ?? ''}</b>`, ...Object.entries({ ...headers, 'Content-Type': 'application/json', Vary: 'Accept' }).map(([k, v]) => `<b>${escape(k)}:</b> <span class="lit">${escape(v)}</span>`)].join('\n');
  return `<!DOCTYPE html>
<html>
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>
    <meta name="robots" content="NONE,NOARCHIVE" />
    <title>${escape(view)} – Django REST framework</title>
  </head>
  <body>
    <div class="content-main" role="main" aria-label="main content">
      <div class="page-header"><h1>${escape(view)}</h1></div>
      <div class="request-info" aria-label="request info"><pre class="prettyprint"><b>${escape(method)}</b> ${escape(path)}</pre></div>
      <div class="response-info" aria-label="response info">
        <pre class="prettyprint"><span class="meta nocode">${meta}

</span>${body === undefined ? '' : escape(JSON.stringify(body, null, 4))}</pre>
      </div>
    </div>
  </body>
</html>
`;
}
