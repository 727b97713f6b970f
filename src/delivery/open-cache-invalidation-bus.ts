/**
 * Picks the CacheInvalidationBus from the config: Redis when REDIS_URL is set (many processes, each
 * with its own origin cache), else the in-process bus.
 */
import type { Config } from '../config/config.js';
import type { ChannelLogger } from '../redis/redis-channel.js';
import { LocalCacheInvalidationBus, type CacheInvalidationBus } from './cache-invalidation.js';
import { RedisCacheInvalidationBus } from './redis-cache-invalidation-bus.js';

export async function openCacheInvalidationBus(options: { config: Config; logger?: ChannelLogger }): Promise<CacheInvalidationBus> {
  const { config, logger } = options;
  if (config.redisUrl) return RedisCacheInvalidationBus.open({ url: config.redisUrl, prefix: config.redisPrefix, logger });
  return new LocalCacheInvalidationBus({ logger });
}
