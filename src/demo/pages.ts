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
