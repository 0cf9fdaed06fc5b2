import { createHash } from 'node:crypto';
import { formActionSource } from './redirect-uris.js';

/** Every text that reaches the page, from a client above all, goes through this. */
export const escapeHtml = (s: string) => s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px #0002}
h1{font-size:1.35rem;margin:0 0 .75rem}p{margin:.5rem 0}.who{color:#475069}.err{background:#fdecec;color:#8a1c1c;padding:.6rem .8rem;border-radius:8px}
label{display:block;margin-top:1rem;font-weight:600}input[type=text],input[type=password]{box-sizing:border-box;width:100%;padding:.6rem;margin-top:.3rem;border:1px solid #b9bfcc;border-radius:8px;font:inherit}
.check{display:flex;gap:.5rem;align-items:flex-start;font-weight:400}.check input{margin-top:.3rem}.small{font-size:.85rem;color:#5b6479}
.row{display:flex;flex-direction:row-reverse;gap:.75rem;margin-top:1.5rem}button{flex:1;padding:.7rem;border-radius:8px;border:0;font:inherit;font-weight:600;cursor:pointer}
button.go{background:#2b59c3;color:#fff}button.no{background:#e6e8ee;color:#1d2330}button:focus-visible,input:focus-visible{outline:3px solid #8fb0ff}
@media (prefers-color-scheme:dark){body{background:#15181f;color:#e6e8ee}main{background:#1f232d}.who,.small{color:#a9b1c4}input[type=text],input[type=password]{background:#15181f;color:#e6e8ee;border-color:#3a4152}button.no{background:#2e3441;color:#e6e8ee}}`;
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/**
 * The page's headers: a Content-Security-Policy that runs no script at all and allows only its own
 * inline style, no framing (clickjacking), and a form that may post only here. Chromium checks
 * form-action against the redirect that follows the POST as well, so the client's redirect
 * target is allowed too, and nothing else.
 */
export function pageHeaders(redirectUri?: string): Record<string, string> {
  const formAction = ["'self'", ...(redirectUri ? [formActionSource(redirectUri)] : [])].join(' ');
  return {
    'Content-Security-Policy': `default-src 'none'; style-src ${STYLE_HASH}; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    // same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with the
    // form's POST, and the POST is accepted only with this page's own Origin.
    'Referrer-Policy': 'same-origin',
  };
}

const frame = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;

export interface SignInView {
  clientName: string;
  /** Where the person goes back to afterwards: the host (or app scheme) of the redirect URI. */
  returnTo: string;
  clientUri?: string;
  /** The sealed authorization request, carried by the form. */
  request: string;
  username?: string;
  error?: string;
  /** Whether to offer "allow changes" (the client asked for write and the server allows it). */
  offerWrite: boolean;
  readOnlyServer: boolean;
  apiHost: string;
}

/** Sign in comes first in the form, so Enter in a field signs in; the row shows it on the right. */
export function signInPage(v: SignInView): string {
  const write = v.offerWrite
    ? `<label class="check"><input type="checkbox" name="allow_write" value="1"><span>Allow changes: this application may create, update and delete records as you. Left off, it can only read.</span></label>`
    : `<p class="small">${v.readOnlyServer ? 'This server is read-only: the application can read, never change, the data.' : 'The application asked to read only.'}</p>`;
  return frame(
    'Sign in to Classic Models',
    `<h1>Sign in to Classic Models</h1>
<p><strong>${escapeHtml(v.clientName)}</strong> wants to use the Classic Models API as you.</p>
<p class="who">After you sign in, you go back to <strong>${escapeHtml(v.returnTo)}</strong>.${v.clientUri ? ` The application says it is ${escapeHtml(v.clientUri)}.` : ''}</p>
${v.error ? `<p class="err" role="alert">${escapeHtml(v.error)}</p>` : ''}
<form method="post" action="authorize" autocomplete="on">
<input type="hidden" name="request" value="${escapeHtml(v.request)}">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(v.username ?? '')}">
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
${write}
<div class="row"><button class="go" type="submit">Sign in</button><button class="no" type="submit" name="cancel" value="1" formnovalidate>Cancel</button></div>
</form>
<p class="small">Your username and password go to the Classic Models API at ${escapeHtml(v.apiHost)} and nowhere else; this server does not keep them.</p>`,
  );
}

export const errorPage = (title: string, message: string) => frame(title, `<h1>${escapeHtml(title)}</h1><p class="err" role="alert">${escapeHtml(message)}</p><p class="small">Nothing was sent back to the application. Close this page and start again from the application.</p>`);
