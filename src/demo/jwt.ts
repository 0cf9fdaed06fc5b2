import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  token_type: 'access' | 'refresh';
  exp: number;
  iat: number;
  jti: string;
  user_id: number;
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const HEADER = b64({ alg: 'HS256', typ: 'JWT' });

/** HS256 tokens shaped like simplejwt's, signed with a key that lives as long as the replica. */
export class JwtSigner {
  private readonly key: Buffer;
  constructor(key?: string) {
    this.key = key ? Buffer.from(key) : randomBytes(32);
  }

  sign(type: TokenClaims['token_type'], userId: number, lifetimeSeconds: number, nowMs = Date.now()): { token: string; claims: TokenClaims } {
    const iat = Math.floor(nowMs / 1000);
    const claims: TokenClaims = { token_type: type, exp: iat + lifetimeSeconds, iat, jti: randomUUID().replace(/-/g, ''), user_id: userId };
    const body = `${HEADER}.${b64(claims)}`;
    return { token: `${body}.${this.mac(body)}`, claims };
  }

  /** The claims of a token this signer made and that has not expired; undefined otherwise. */
  verify(token: string, nowMs = Date.now()): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const expected = Buffer.from(this.mac(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as TokenClaims;
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return undefined;
      return claims;
    } catch {
      return undefined;
    }
  }

  private mac(data: string) {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}
