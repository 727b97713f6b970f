/**
 * Picks the VideoEventBus from the config: Redis pub/sub when REDIS_URL is set, so an SSE stream on
 * one API process sees the progress of a job running in another; else the in-process bus.
 */
import type { Config } from '../config/config.js';
import type { ChannelLogger } from '../redis/redis-channel.js';
import { RedisVideoEventBus } from './redis-video-event-bus.js';
import { LocalVideoEventBus, type VideoEventBus } from './video-events.js';

export async function openVideoEventBus(options: { config: Config; logger?: ChannelLogger }): Promise<VideoEventBus> {
  const { config, logger } = options;
  if (config.redisUrl) return RedisVideoEventBus.open({ url: config.redisUrl, prefix: config.redisPrefix, logger });
  return new LocalVideoEventBus({ logger });
}
