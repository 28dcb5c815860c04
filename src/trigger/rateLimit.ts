// A token bucket per alert source: a storm from one sender cannot starve the others, and the
// sender is told when to come back (429 with Retry-After).

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `perMinute` requests a minute, with bursts of up to `perMinute` at once. */
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request's token; returns 0 when allowed, else the seconds to wait. */
  take(source: string): number {
    if (this.perMinute <= 0) return 0;
    const now = this.now();
    const bucket = this.buckets.get(source) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute);
    bucket.at = now;
    this.buckets.set(source, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * 60) / this.perMinute));
  }
}

/** Remembers message ids for `ttlMs` so a replayed delivery is refused (bounded memory). */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time `id` is seen within the window, false for a replay. */
  first(id: string): boolean {
    const now = this.now();
    for (const [key, at] of this.seen) {
      if (now - at <= this.ttlMs && this.seen.size < this.max) break;
      this.seen.delete(key);
    }
    if (this.seen.has(id)) return false;
    this.seen.set(id, now);
    return true;
  }

  forget(id: string): void {
    this.seen.delete(id);
  }
}
