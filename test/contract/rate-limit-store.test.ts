/** The in-process and the Redis rate-limit stores against one contract, plus what only each has. */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRateLimitStore } from '../../src/rate-limit/memory-rate-limit-store.js';
import { RedisRateLimitStore } from '../../src/rate-limit/redis-rate-limit-store.js';
import { deleteRedisPrefix, redisTestUrl, uniqueRedisPrefix } from '../helpers/redis.js';
import { rateLimitStoreContract } from './rate-limit-store-contract.js';

const silent = { warn: () => {} };

rateLimitStoreContract({ name: 'MemoryRateLimitStore', open: async () => new MemoryRateLimitStore() });

describe('MemoryRateLimitStore', () => {
  it('stays within maxKeys: refilled buckets are swept, and a flood of live ones starts it over', () => {
    const store = new MemoryRateLimitStore({ maxKeys: 10 });
    const rule = { limit: 5, windowMs: 1_000 };
    for (let i = 0; i < 10; i++) store.take(`k${i}`, rule, 0);
    // At 2 s every bucket has refilled: they are swept to make room.
    store.take('late', rule, 2_000);
    expect(store.size).toBe(1);
    for (let i = 0; i < 25; i++) store.take(`n${i}`, rule, 2_000);
    expect(store.size).toBeLessThanOrEqual(10);
  });
});

const url = await redisTestUrl();

describe.skipIf(url === null)('Redis', () => {
  const prefixes: string[] = [];
  const open = async () => {
    const prefix = uniqueRedisPrefix();
    prefixes.push(prefix);
    return RedisRateLimitStore.open({ url: url!, keyPrefix: `${prefix}:rate:`, logger: silent });
  };
  afterAll(async () => {
    for (const prefix of prefixes) await deleteRedisPrefix(url!, prefix);
  });
  rateLimitStoreContract({ name: 'RedisRateLimitStore', open });

  it('is one limit for every process on the same Redis and prefix', async () => {
    const first = await open();
    const second = await RedisRateLimitStore.open({ url: url!, keyPrefix: `${prefixes.at(-1)!}:rate:`, logger: silent });
    try {
      const rule = { limit: 2, windowMs: 60_000 };
      expect((await first.take('a', rule)).allowed).toBe(true);
      expect((await second.take('a', rule)).allowed).toBe(true);
      expect((await first.take('a', rule)).allowed).toBe(false);
      expect((await second.take('a', rule)).allowed).toBe(false);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('keeps a key only while its bucket is not full', async () => {
    const store = await open();
    const raw = new Redis(url!);
    try {
      await store.take('a', { limit: 10, windowMs: 5_000 });
      const ttl = await raw.pttl(`${prefixes.at(-1)!}:rate:a`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(500);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });

  it('counts in memory while Redis does not answer', async () => {
    const store = await open();
    const warnings: unknown[] = [];
    const broken = await RedisRateLimitStore.open({ url: url!, keyPrefix: 'x:', logger: { warn: (obj) => warnings.push(obj) } });
    await broken.close();
    const rule = { limit: 1, windowMs: 60_000 };
    expect((await broken.take('a', rule)).allowed).toBe(true);
    expect((await broken.take('a', rule)).allowed).toBe(false);
    expect(warnings).toHaveLength(1);
    await store.close();
  });
});
