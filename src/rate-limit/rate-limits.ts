/**
 * The rate limits of one process (docs/security.md "Rate limits"), built by createAppContext:
 * three buckets, each a GCRA rule (gcra.ts) over a store.
 *
 * - `api` and `upload` (Fastify routes, src/api/rate-limit-hook.ts): keyed by API key or user, else
 *   by client IP; in Redis when there is one, so N API processes enforce one limit, not N.
 * - `playback` (/stream/, src/delivery/origin.ts): keyed by client IP, in this process's memory.
 *   Not Redis: a round trip per segment would cost more than serving the segment from the cache
 *   (a Map lookup), and a per-process limit that N processes multiply is fine for a ceiling meant
 *   to stop a flood, not to meter viewers.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { ClientIp } from '../auth/client-ip.js';
import { addressKey } from '../auth/client-ip.js';
import type { Principal } from '../auth/principal.js';
import { secretsEqual } from '../auth/secret-tokens.js';
import type { Config } from '../config/config.js';
import type { OriginRateLimit } from '../delivery/origin.js';
import type { RateDecision, RateRule } from './gcra.js';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import type { RateLimitStore } from './rate-limit-store.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';

export type ApiRateBucket = 'api' | 'upload';

export interface RateLimits {
  /** Counts one request of `bucket` for `key`; null when that bucket has no limit. */
  take(bucket: ApiRateBucket, key: string): RateDecision | Promise<RateDecision> | null;
  /** The limit of a bucket (0: none), for the RateLimit-Limit header. */
  limitOf(bucket: ApiRateBucket): number;
  /** Whether the limits skip this caller (config `rateLimitExempt`). */
  isExempt(principal: Principal | null): boolean;
  /** The key of a caller: API key, else user, else client address. */
  keyOf(principal: Principal | null, ip: string): string;
  /** The origin's limit, or undefined when playback is not limited. */
  readonly playback: OriginRateLimit | undefined;
  close(): Promise<void>;
}

export async function openRateLimits(options: { config: Config; clientIp: ClientIp; logger: Logger }): Promise<RateLimits> {
  const { config, clientIp } = options;
  const rules: Record<ApiRateBucket, RateRule> = {
    api: { limit: config.rateLimitApi, windowMs: config.rateLimitWindowMs },
    upload: { limit: config.rateLimitUpload, windowMs: config.rateLimitWindowMs },
  };
  const limited = rules.api.limit > 0 || rules.upload.limit > 0;
  const store: RateLimitStore =
    limited && config.redisUrl
      ? await RedisRateLimitStore.open({ url: config.redisUrl, keyPrefix: `${config.redisPrefix}:rate:`, logger: options.logger })
      : new MemoryRateLimitStore();
  const exempt = config.rateLimitExempt;
  const bootstrapBearer = config.apiKey === undefined ? undefined : `Bearer ${config.apiKey}`;

  let playback: OriginRateLimit | undefined;
  if (config.rateLimitPlayback > 0) {
    const rule: RateRule = { limit: config.rateLimitPlayback, windowMs: config.rateLimitWindowMs };
    const playbackStore = new MemoryRateLimitStore();
    playback = {
      check(req: IncomingMessage): number {
        // The automation key is the only credential the origin can recognise without a lookup.
        const authorization = req.headers.authorization;
        if (authorization !== undefined && exempt !== 'none' && bootstrapBearer !== undefined && secretsEqual(authorization, bootstrapBearer)) return 0;
        const decision = playbackStore.take(addressKey(clientIp.of(req)), rule);
        return decision.allowed ? 0 : retryAfterSecOf(decision);
      },
    };
  }

  return {
    take: (bucket, key) => (rules[bucket].limit > 0 ? store.take(`${bucket}:${key}`, rules[bucket]) : null),
    limitOf: (bucket) => rules[bucket].limit,
    isExempt: (principal) =>
      principal !== null && (exempt === 'admins' ? principal.role === 'admin' : exempt === 'bootstrap-key' && principal.via === 'bootstrap-key'),
    keyOf: (principal, ip) =>
      principal === null ? `ip:${addressKey(ip)}` : principal.apiKeyId !== undefined ? `key:${principal.apiKeyId}` : `user:${principal.userId}`,
    playback,
    close: async () => store.close?.(),
  };
}

/** Retry-After in whole seconds, at least 1 (a 0 would invite an immediate retry that fails too). */
export function retryAfterSecOf(decision: RateDecision): number {
  return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
}
