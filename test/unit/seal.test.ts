import { describe, expect, it } from 'vitest';
import { Sealer } from '../../src/oauth/seal.js';

const A = 'key-a-0123456789abcdef0123456789abcdef';
const B = 'key-b-0123456789abcdef0123456789abcdef';
const later = Math.floor(Date.now() / 1000) + 600;

describe('sealed codes and tokens', () => {
  it('open only as the kind they were sealed as, unaltered, unexpired', () => {
    const s = new Sealer([A]);
    const t = s.seal('access', { sub: 'demo' }, later);
    expect(s.open('access', t)).toEqual({ value: { sub: 'demo', exp: later } });
    expect(s.open('refresh', t)).toEqual({ error: 'malformed' });
    expect(s.open('access', s.seal('access', { sub: 'x' }, Math.floor(Date.now() / 1000) - 1))).toEqual({ error: 'expired' });
    for (let i = 10; i < t.length; i += 17) {
      const flipped = t.slice(0, i) + (t[i] === 'a' ? 'b' : 'a') + t.slice(i + 1);
      expect(s.open('access', flipped).hasOwnProperty('value'), `changed at ${i}`).toBe(false);
    }
  });

  it('rotate: the first key seals, every key opens, a dropped key opens nothing', () => {
    const old = new Sealer([A]).seal('refresh', { r: 1 }, later);
    const both = new Sealer([B, A]);
    expect(both.open('refresh', old)).toMatchObject({ value: { r: 1 } });
    const fresh = both.seal('refresh', { r: 2 }, later);
    expect(new Sealer([B]).open('refresh', fresh)).toMatchObject({ value: { r: 2 } });
    expect(new Sealer([B]).open('refresh', old)).toEqual({ error: 'unknown_key' });
    expect(new Sealer([A]).open('refresh', fresh)).toEqual({ error: 'unknown_key' });
  });

  it("a registered client's secret is derived from its client_id and checked in constant time", () => {
    const s = new Sealer([A]);
    const id = s.seal('client', { n: 'x' }, later);
    const secret = s.clientSecret(id)!;
    expect(s.checkClientSecret(id, secret)).toBe(true);
    expect(s.checkClientSecret(id, secret.slice(1))).toBe(false);
    expect(new Sealer([B]).checkClientSecret(id, secret)).toBe(false);
  });
});
