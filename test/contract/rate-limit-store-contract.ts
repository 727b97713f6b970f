/**
 * What every RateLimitStore promises (src/rate-limit/rate-limit-store.ts): GCRA with bursts up to
 * the limit, one request back every window ÷ limit, keys and rules apart. Each implementation's test
 * file calls rateLimitStoreContract with a factory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../../src/rate-limit/rate-limit-store.js';

export function rateLimitStoreContract(options: { name: string; open: () => Promise<RateLimitStore> }): void {
  describe(`${options.name} (RateLimitStore contract)`, () => {
    let store: RateLimitStore | null = null;
    afterEach(async () => {
      await store?.close?.();
      store = null;
    });

    it('allows a burst of `limit`, then refuses with the time until the next request', async () => {
      store = await options.open();
      const rule = { limit: 3, windowMs: 60_000 };
      const remaining: number[] = [];
      for (let i = 0; i < 3; i++) {
        const decision = await store.take('a', rule);
        expect(decision.allowed).toBe(true);
        remaining.push(decision.remaining);
      }
      expect(remaining).toEqual([2, 1, 0]);
      const refused = await store.take('a', rule);
      expect(refused).toMatchObject({ allowed: false, remaining: 0 });
      // One request back every 20 s; the bucket is full again after 60 s.
      expect(refused.retryAfterMs).toBeGreaterThan(19_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(20_000);
      expect(refused.resetMs).toBeGreaterThan(59_000);
    });

    it('counts each key on its own', async () => {
      store = await options.open();
      const rule = { limit: 1, windowMs: 60_000 };
      expect((await store.take('a', rule)).allowed).toBe(true);
      expect((await store.take('a', rule)).allowed).toBe(false);
      expect((await store.take('b', rule)).allowed).toBe(true);
    });

    it('gives a request back after window ÷ limit', async () => {
      store = await options.open();
      const rule = { limit: 2, windowMs: 400 };
      await store.take('a', rule);
      await store.take('a', rule);
      const refused = await store.take('a', rule);
      expect(refused.allowed).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, refused.retryAfterMs + 5));
      expect((await store.take('a', rule)).allowed).toBe(true);
      expect((await store.take('a', rule)).allowed).toBe(false);
    });

    it('does not count refused requests (a client that keeps knocking is not locked out longer)', async () => {
      store = await options.open();
      const rule = { limit: 1, windowMs: 300 };
      await store.take('a', rule);
      let last = await store.take('a', rule);
      for (let i = 0; i < 20; i++) last = await store.take('a', rule);
      expect(last.retryAfterMs).toBeLessThanOrEqual(300);
    });
  });
}
