/**
 * Rate-limit state in this process's memory: one number (the GCRA TAT) per key in a Map, so a
 * request costs a lookup, a clock read and a store — cheap enough for the /stream/ hot path.
 * Memory is bounded by `maxKeys`: when full, keys whose bucket has refilled (TAT in the past, the
 * same as no entry) are swept; if a flood of distinct keys still fills it, it starts over, which
 * at worst forgives every client once rather than growing without bound.
 */
import { gcraTake, type RateDecision, type RateRule } from './gcra.js';
import type { RateLimitStore } from './rate-limit-store.js';

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly tats = new Map<string, number>();
  private readonly maxKeys: number;

  constructor(options: { maxKeys?: number } = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  take(key: string, rule: RateRule, nowMs = Date.now()): RateDecision {
    const stored = this.tats.get(key);
    const { decision, tatMs } = gcraTake({ tatMs: stored ?? 0, nowMs, rule });
    if (decision.allowed) {
      if (stored === undefined && this.tats.size >= this.maxKeys) this.sweep(nowMs);
      this.tats.set(key, tatMs);
    }
    return decision;
  }

  get size(): number {
    return this.tats.size;
  }

  private sweep(nowMs: number): void {
    for (const [key, tatMs] of this.tats) if (tatMs <= nowMs) this.tats.delete(key);
    if (this.tats.size >= this.maxKeys) this.tats.clear();
  }
}
