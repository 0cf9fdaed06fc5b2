/** Loopback hosts, where a native app listens for its redirect on a port it picks (RFC 8252). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** Schemes a browser would run or read locally instead of handing to an app. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:', 'filesystem:', 'ws:', 'wss:', 'ftp:']);

export const isLoopbackUrl = (u: URL) => LOOPBACK_HOSTS.has(u.hostname) || /^127\.\d+\.\d+\.\d+$/.test(u.hostname);

/**
 * Why a redirect URI cannot be registered, or undefined when it can: an absolute URI without a
 * fragment; https anywhere, plain http on loopback only, or an app's private-use scheme
 * (cursor://, com.example.app:/cb).
 */
export function redirectUriProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2_000) return 'a redirect URI must be a string of 1 to 2000 characters';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `"${raw.slice(0, 100)}" is not an absolute URI`;
  }
  if (u.hash || raw.includes('#')) return `"${raw.slice(0, 100)}" has a fragment, which a redirect URI may not have`;
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:') return isLoopbackUrl(u) ? undefined : `"${raw.slice(0, 100)}" uses plain http on a host that is not loopback; use https`;
  if (FORBIDDEN_SCHEMES.has(u.protocol)) return `"${raw.slice(0, 100)}" uses the ${u.protocol} scheme, which cannot carry a redirect`;
  return undefined;
}

/**
 * Whether `given` is one of the registered URIs: exactly, or (RFC 8252 §7.3) a loopback http URI
 * that differs only in its port, since a native app gets whatever port is free at the time.
 */
export function redirectUriMatches(registered: string[], given: string): boolean {
  if (registered.includes(given)) return true;
  let g: URL;
  try {
    g = new URL(given);
  } catch {
    return false;
  }
  if (g.protocol !== 'http:' || !isLoopbackUrl(g) || g.hash) return false;
  return registered.some((r) => {
    try {
      const u = new URL(r);
      return u.protocol === 'http:' && u.hostname === g.hostname && u.pathname === g.pathname && u.search === g.search && !u.username && !g.username;
    } catch {
      return false;
    }
  });
}

/** The CSP source that lets a form's redirect reach `uri`: its origin, or its scheme for an app's own. */
export function formActionSource(uri: string): string {
  const u = new URL(uri);
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : u.protocol;
}
