/**
 * Rate-limit state in Redis, shared by every API process: the GCRA of gcra.ts as one Lua script,
 * so the read and the write of a key are atomic across processes. The clock is Redis's (TIME), not
 * each process's, so processes whose clocks disagree still agree on a key. A key lives only while its
 * bucket is not full (PX), so idle clients cost nothing.
 *
 * A limiter must not take the API down with it: while Redis does not answer (commands fail fast:
 * no offline queue), each process counts in its own memory instead, and says so in the log.
 */
import { Redis } from 'ioredis';
import { decisionAllowed, type RateDecision, type RateRule } from './gcra.js';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import type { RateLimitStore } from './rate-limit-store.js';

// KEYS[1]: the key; ARGV: interval ms (window / limit, fractional), window ms. Returns
// {allowed, TAT − now (ms), retry after (ms)}, rounded up to whole ms.
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local newTat = tat + interval
local allowAt = newTat - window
if allowAt > now then return {0, math.ceil(tat - now), math.ceil(allowAt - now)} end
redis.call('SET', KEYS[1], string.format('%.3f', newTat), 'PX', math.ceil(newTat - now))
return {1, math.ceil(newTat - now), 0}`;

/** The pino-compatible subset the store logs through. */
interface StoreLogger {
  warn(obj: object, msg?: string): void;
}

export interface RedisRateLimitStoreOptions {
  /** `redis://…` (config `redisUrl`). */
  url: string;
  /** Prepended to every key (`<redisPrefix>:rate:`). */
  keyPrefix: string;
  logger: StoreLogger;
}

type GcraRedis = Redis & { sfGcra(key: string, intervalMs: number, windowMs: number): Promise<[number, number, number]> };

export class RedisRateLimitStore implements RateLimitStore {
  private readonly fallback = new MemoryRateLimitStore();
  private lastWarnedAtMs = 0;

  private constructor(
    private readonly redis: GcraRedis,
    private readonly options: RedisRateLimitStoreOptions,
  ) {}

  /** Resolves once connected, so the first requests are not counted by the fallback. */
  static async open(options: RedisRateLimitStoreOptions): Promise<RedisRateLimitStore> {
    const redis = new Redis(options.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: `${options.keyPrefix}rate-limit` });
    // EVALSHA, with ioredis sending the script again when Redis has forgotten it.
    redis.defineCommand('sfGcra', { numberOfKeys: 1, lua: GCRA });
    // Reconnecting is ioredis's business; failures show (and are logged) in take().
    redis.on('error', () => {});
    await redis.connect();
    return new RedisRateLimitStore(redis as GcraRedis, options);
  }

  async take(key: string, rule: RateRule): Promise<RateDecision> {
    const intervalMs = rule.windowMs / rule.limit;
    let reply: [number, number, number];
    try {
      reply = await this.redis.sfGcra(this.options.keyPrefix + key, intervalMs, rule.windowMs);
    } catch (err) {
      const nowMs = Date.now();
      if (nowMs - this.lastWarnedAtMs > 10_000) {
        this.lastWarnedAtMs = nowMs;
        this.options.logger.warn({ err }, 'rate limits: Redis unavailable, counting in this process meanwhile');
      }
      return this.fallback.take(key, rule, nowMs);
    }
    const [allowed, tatInMs, retryAfterMs] = reply;
    if (allowed === 1) return decisionAllowed({ newTatMs: tatInMs, nowMs: 0, intervalMs, windowMs: rule.windowMs });
    return { allowed: false, remaining: 0, retryAfterMs, resetMs: tatInMs };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
