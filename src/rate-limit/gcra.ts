/**
 * GCRA, the generic cell rate algorithm (ATM's leaky bucket as a meter; as in redis-cell and
 * Stripe's and GitHub's limiters): a key's whole state is one time, its "theoretical arrival time"
 * (TAT). A limit of L requests per window W lets a request in every W/L ms on average, with bursts
 * of up to L; unlike a fixed window, it never allows 2L across a window edge, and a client over the
 * limit gets a request back every W/L ms instead of waiting for the whole window to roll over.
 * redis-rate-limit-store.ts runs the same arithmetic in Lua.
 */

export interface RateRule {
  /** Requests per window; bursts up to this many. */
  limit: number;
  windowMs: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Requests that would still be allowed right now. */
  remaining: number;
  /** When refused: how long until one request is allowed again. */
  retryAfterMs: number;
  /** How long until the bucket is full again (nothing counted). */
  resetMs: number;
}

/** The decision for one request at `nowMs` given the key's stored TAT (0: none), and the TAT to store. */
export function gcraTake(options: { tatMs: number; nowMs: number; rule: RateRule }): { decision: RateDecision; tatMs: number } {
  const { nowMs, rule } = options;
  const intervalMs = rule.windowMs / rule.limit;
  const tatMs = Math.max(options.tatMs, nowMs);
  const newTatMs = tatMs + intervalMs;
  const allowAtMs = newTatMs - rule.windowMs;
  if (allowAtMs > nowMs) {
    return { decision: { allowed: false, remaining: 0, retryAfterMs: allowAtMs - nowMs, resetMs: tatMs - nowMs }, tatMs };
  }
  return { decision: decisionAllowed({ newTatMs, nowMs, intervalMs, windowMs: rule.windowMs }), tatMs: newTatMs };
}

export function decisionAllowed(options: { newTatMs: number; nowMs: number; intervalMs: number; windowMs: number }): RateDecision {
  const { newTatMs, nowMs, intervalMs, windowMs } = options;
  return { allowed: true, remaining: Math.floor((windowMs - (newTatMs - nowMs)) / intervalMs + 1e-9), retryAfterMs: 0, resetMs: newTatMs - nowMs };
}
