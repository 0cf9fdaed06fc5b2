#!/usr/bin/env node
// A stand-in for the person's browser, for clients that open one (mcp-remote, through xdg-open's
// $BROWSER): it opens the sign-in link, posts the form as the page would, and follows the
// redirect to the client's callback. Who signs in comes from CM_SIGN_IN_USER / CM_SIGN_IN_PASSWORD.
const url = new URL(process.argv[2]);
const page = await fetch(url, { redirect: 'manual' });
const html = await page.text();
const request = /name="request" value="([^"]+)"/.exec(html)?.[1]?.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
if (!request) {
  process.stderr.write(`sign-in page ${page.status}: ${html.slice(0, 300)}\n`);
  process.exit(1);
}
const form = new URLSearchParams({ request, username: process.env.CM_SIGN_IN_USER ?? '', password: process.env.CM_SIGN_IN_PASSWORD ?? '' });
if (process.env.CM_SIGN_IN_WRITE) form.set('allow_write', '1');
const posted = await fetch(new URL('/authorize', url), { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: url.origin }, body: form.toString() });
const location = posted.headers.get('location');
if (!location) {
  process.stderr.write(`sign-in answered ${posted.status}\n`);
  process.exit(1);
}
await fetch(location);
