/** Reading is the least a connection gets; writing must be asked for and granted on the sign-in page. */
export const SCOPE_READ = 'classic-models:read';
export const SCOPE_WRITE = 'classic-models:write';
export const SCOPES = [SCOPE_READ, SCOPE_WRITE];

/** The scopes a request names, or an error naming the unknown one. No scope asked means read and write. */
export function requestedScopes(raw: string | undefined): { scopes: string[] } | { error: string } {
  const asked = (raw ?? '').split(' ').filter(Boolean);
  const unknown = asked.find((s) => !SCOPES.includes(s));
  if (unknown) return { error: `unknown scope "${unknown.slice(0, 80)}"; this server grants ${SCOPES.join(' and ')}` };
  return { scopes: asked.length ? [...new Set(asked)] : SCOPES };
}

/** What is granted: read always; write only when it was asked, allowed here and chosen by the person. */
export const grantedScope = (asked: string[], allowWrite: boolean) => [SCOPE_READ, ...(allowWrite && asked.includes(SCOPE_WRITE) ? [SCOPE_WRITE] : [])].join(' ');

export const canWrite = (scope: string) => scope.split(' ').includes(SCOPE_WRITE);
