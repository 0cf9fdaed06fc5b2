import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a sealed string is; the kind is bound into the seal, so one kind never opens as another. */
export type SealedKind = 'code' | 'access' | 'refresh' | 'client' | 'request';

/** Readable prefixes, so a person (or the log scrubber) can tell what a string is without opening it. */
const PREFIX: Record<SealedKind, string> = { code: 'cmc', access: 'cma', refresh: 'cmr', client: 'cmk', request: 'cmq' };


interface Key {
  /** 6 characters naming the key inside each sealed string, so opening tries only that key. */
  id: string;
  enc: Buffer;
  mac: Buffer;
}

const derive = (secret: string, info: string) => Buffer.from(hkdfSync('sha256', secret, 'classic-models-mcp oauth', info, 32));

function keyOf(secret: string): Key {
  const enc = derive(secret, 'seal v1');
  return { id: createHash('sha256').update(enc).digest('base64url').slice(0, 6), enc, mac: derive(secret, 'client secret v1') };
}

/**
 * Codes, tokens and registered clients are sealed (AES-256-GCM: encrypted and authenticated)
 * with the server's key instead of being stored: any instance holding the key can open what any
 * other instance issued, so several instances need no shared store. The first key seals, every
 * key opens, so a new key can be put first while the old one still opens what is out there.
 */
export class Sealer {
  private keys: Key[] = [];

  constructor(secrets: string[]) {
    this.rotate(secrets);
  }

  rotate(secrets: string[]) {
    if (!secrets.length) throw new Error('at least one key is needed to seal');
    this.keys = secrets.map(keyOf);
  }

  /** `payload` sealed as `kind`, valid until `exp` (seconds since the epoch). */
  seal(kind: SealedKind, payload: object, exp: number): string {
    const key = this.keys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.enc, iv);
    cipher.setAAD(Buffer.from(`${PREFIX[kind]}.${key.id}`));
    const body = Buffer.concat([cipher.update(JSON.stringify({ ...payload, exp }), 'utf8'), cipher.final()]);
    return `${PREFIX[kind]}_${key.id}${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /**
   * What was sealed, if `text` is a `kind` this server's keys sealed, unaltered and unexpired;
   * otherwise why not, in words safe to show (never the contents).
   */
  open<T extends object>(kind: SealedKind, text: string, nowMs = Date.now()): { value: T & { exp: number } } | { error: 'malformed' | 'unknown_key' | 'expired' } {
    const prefix = `${PREFIX[kind]}_`;
    if (typeof text !== 'string' || !text.startsWith(prefix) || text.length < prefix.length + 6 + 40 || text.length > 16_384) return { error: 'malformed' };
    const id = text.slice(prefix.length, prefix.length + 6);
    const key = this.keys.find((k) => k.id === id);
    if (!key) return { error: 'unknown_key' };
    const raw = Buffer.from(text.slice(prefix.length + 6), 'base64url');
    if (raw.length < 12 + 16 + 2) return { error: 'malformed' };
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.enc, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${PREFIX[kind]}.${key.id}`));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
      const value = JSON.parse(plain) as T & { exp: number };
      if (typeof value.exp !== 'number' || value.exp * 1000 <= nowMs) return { error: 'expired' };
      return { value };
    } catch {
      return { error: 'malformed' };
    }
  }

  /** A registered client's secret: derived from its client_id with the key that sealed it. */
  clientSecret(clientId: string): string | undefined {
    const id = clientId.slice(PREFIX.client.length + 1, PREFIX.client.length + 7);
    const key = this.keys.find((k) => k.id === id);
    return key && createHmac('sha256', key.mac).update(clientId).digest('base64url');
  }

  /** Whether `given` is that secret, compared in constant time. */
  checkClientSecret(clientId: string, given: string): boolean {
    const expected = this.clientSecret(clientId);
    if (!expected) return false;
    const a = createHash('sha256').update(expected).digest();
    const b = createHash('sha256').update(given).digest();
    return timingSafeEqual(a, b);
  }
}

/** A random key for a process that was given none (loopback only): its tokens die with it. */
export const randomSecret = () => randomBytes(32).toString('hex');
