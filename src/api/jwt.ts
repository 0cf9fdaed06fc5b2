/** The claims the client needs from a simplejwt token. The signature is the API's business. */
export interface Claims {
  token_type?: string;
  exp?: number;
  iat?: number;
  jti?: string;
  user_id?: number;
}

/** Reads a JWT's payload without verifying it; undefined for anything that is not a JWT. */
export function decodeClaims(token: string): Claims | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? (claims as Claims) : undefined;
  } catch {
    return undefined;
  }
}
