/** Unsigned look-alike JWTs for client tests: the client reads exp and never checks signatures. */
let counter = 0;

export function fakeJwt(type: 'access' | 'refresh', expSeconds: number): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  counter++;
  return `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ token_type: type, exp: expSeconds, iat: expSeconds - 3600, jti: `jti${counter}`, user_id: 1 })}.c2lnbmF0dXJlc2ln${counter}`;
}
