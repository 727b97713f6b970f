/**
 * A fixed-window counter per key (a client IP), in this process's memory: enough to make password
 * guessing slow on the sign-in endpoints. With several API processes each counts on its own, so the
 * effective limit is N times higher; a shared limit belongs in the proxy in front (docs/security.md).
 */
import { TooManyRequestsError } from '../errors.js';

export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAtMs: number }>();

  constructor(private readonly options: { limit: number; windowMs: number; maxKeys?: number }) {}

  /** Counts one request for `key`; throws TooManyRequestsError (429, Retry-After) past the limit. */
  take(key: string, nowMs = Date.now()): void {
    let window = this.windows.get(key);
    if (window === undefined || window.resetAtMs <= nowMs) {
      if (this.windows.size >= (this.options.maxKeys ?? 100_000)) this.sweep(nowMs);
      window = { count: 0, resetAtMs: nowMs + this.options.windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    if (window.count > this.options.limit) {
      const retryAfterSec = Math.max(1, Math.ceil((window.resetAtMs - nowMs) / 1000));
      throw new TooManyRequestsError(`too many attempts: try again in ${retryAfterSec} s`, retryAfterSec);
    }
  }

  private sweep(nowMs: number): void {
    for (const [key, window] of this.windows) if (window.resetAtMs <= nowMs) this.windows.delete(key);
    // Still full (a flood of distinct addresses): start over rather than grow without bound.
    if (this.windows.size >= (this.options.maxKeys ?? 100_000)) this.windows.clear();
  }
}
