/** Work under way (tool calls, open responses), so a shutdown can wait for it to finish. */
export class Inflight {
  private count = 0;
  private waiters: (() => void)[] = [];
  get size() {
    return this.count;
  }
  async track<T>(p: Promise<T>): Promise<T> {
    this.count++;
    try {
      return await p;
    } finally {
      if (--this.count === 0) for (const w of this.waiters.splice(0)) w();
    }
  }
  /** Resolves when no call is under way, or after `ms`, whichever is first. */
  idle(ms: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
