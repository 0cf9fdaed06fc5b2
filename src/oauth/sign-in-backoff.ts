import { Lru } from '../limits/lru.js';

interface Failures {
  count: number;
  last: number;
}

/** How many refused sign-ins each key allows before waits begin. */
const FREE = { pair: 3, address: 10, user: 20 };

/**
 * Failed sign-ins slow down before they reach the API: its login throttle (50 an hour per
 * address) is a budget shared with everyone behind the same address, and one guesser must not
 * spend it. Three keys, each with a few free mistakes and then waits that double up to 15 min:
 * a username from one address (one person mistyping, or one guesser), an address (one guesser
 * trying many names), and a username from anywhere (many addresses guessing one account), the
 * last with the most slack so a stranger cannot lock a person out cheaply. A success clears the
 * person's own keys. Only refusals by the API count, not the attempts held back here.
 */
export class SignInBackoff {
  private readonly failures = new Lru<string, Failures>(30_000, 60 * 60_000);

  constructor(
    private readonly firstWaitMs = 5_000,
    private readonly maxWaitMs = 15 * 60_000,
  ) {}

  private keys(username: string, address: string): [string, number][] {
    const user = username.toLowerCase();
    return [
      [`p:${user}\n${address}`, FREE.pair],
      [`a:${address}`, FREE.address],
      [`u:${user}`, FREE.user],
    ];
  }

  /** Seconds to wait before this username may try from this address again; 0: go ahead. */
  wait(username: string, address: string, now = Date.now()): number {
    let ms = 0;
    for (const [key, free] of this.keys(username, address)) {
      const f = this.failures.get(key);
      if (!f || f.count < free) continue;
      ms = Math.max(ms, f.last + Math.min(this.maxWaitMs, this.firstWaitMs * 2 ** (f.count - free)) - now);
    }
    return Math.ceil(Math.max(0, ms) / 1000);
  }

  failed(username: string, address: string, now = Date.now()) {
    for (const [key] of this.keys(username, address)) this.failures.set(key, { count: (this.failures.get(key)?.count ?? 0) + 1, last: now });
  }

  succeeded(username: string, address: string) {
    const [pair, , user] = this.keys(username, address);
    this.failures.delete(pair[0]);
    this.failures.delete(user[0]);
  }
}
