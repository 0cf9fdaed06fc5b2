import { Lru } from '../limits/lru.js';

interface Failures {
  count: number;
  last: number;
}

/**
 * Failed sign-ins slow down, per username and per address, before they reach the API: its login
 * throttle (50 an hour per address) is a budget the whole server shares with the people behind
 * the same address, and one guesser must not spend it for everyone. A few mistakes are free;
 * after that each failure doubles the wait, up to 15 minutes. A success clears the slate.
 */
export class SignInBackoff {
  private readonly byUser = new Lru<string, Failures>(10_000, 60 * 60_000);
  private readonly byAddress = new Lru<string, Failures>(10_000, 60 * 60_000);

  constructor(
    private readonly free = { user: 3, address: 10 },
    private readonly firstWaitMs = 5_000,
    private readonly maxWaitMs = 15 * 60_000,
  ) {}

  private waitFor(f: Failures | undefined, free: number, now: number): number {
    if (!f || f.count < free) return 0;
    const wait = Math.min(this.maxWaitMs, this.firstWaitMs * 2 ** (f.count - free));
    return Math.max(0, f.last + wait - now);
  }

  /** Seconds to wait before this username may try from this address again; 0: go ahead. */
  wait(username: string, address: string, now = Date.now()): number {
    const ms = Math.max(this.waitFor(this.byUser.get(username.toLowerCase()), this.free.user, now), this.waitFor(this.byAddress.get(address), this.free.address, now));
    return Math.ceil(ms / 1000);
  }

  failed(username: string, address: string, now = Date.now()) {
    for (const [lru, key] of [
      [this.byUser, username.toLowerCase()],
      [this.byAddress, address],
    ] as const) {
      const f = lru.get(key) ?? { count: 0, last: now };
      lru.set(key, { count: f.count + 1, last: now });
    }
  }

  succeeded(username: string) {
    this.byUser.delete(username.toLowerCase());
  }
}
