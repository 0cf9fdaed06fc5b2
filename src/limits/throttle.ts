export interface Rate {
  requests: number;
  periodSeconds: number;
}

/**
 * DRF's SimpleRateThrottle: a sliding window of request times per identity; when full, the wait
 * it reports is the window's remaining time spread over the requests still to come. The replica
 * throttles with it as the API does, and serve-sse limits each client's tool calls with it.
 */
export class Throttle {
  private readonly history = new Map<string, number[]>();
  constructor(public rate: Rate) {}

  /** Records a request; returns undefined when allowed, or the seconds to wait when throttled. */
  hit(identity: string, nowMs: number): number | undefined {
    const period = this.rate.periodSeconds * 1000;
    const times = (this.history.get(identity) ?? []).filter((t) => t > nowMs - period);
    if (times.length >= this.rate.requests) {
      this.history.set(identity, times);
      const remaining = period - (nowMs - times[0]);
      const available = this.rate.requests - times.length + 1;
      return Math.max(1, Math.ceil(remaining / 1000 / Math.max(1, available)));
    }
    times.push(nowMs);
    this.history.set(identity, times);
    return undefined;
  }

  /** Requests still allowed in the current window (the API's X-RateLimit-Remaining). */
  remaining(identity: string, nowMs: number): number {
    const period = this.rate.periodSeconds * 1000;
    return Math.max(0, this.rate.requests - (this.history.get(identity) ?? []).filter((t) => t > nowMs - period).length);
  }

  reset() {
    this.history.clear();
  }
}
