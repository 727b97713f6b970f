/**
 * The scale-out CacheInvalidationBus: announcements over the Redis channel
 * `<redisPrefix>:cache-invalidation`, so a worker deleting a video's files empties the memory
 * cache of every API process's origin.
 *
 * The announcing process's own listeners run at once, synchronously (its origin must not serve a
 * deleted file even for a round trip); its message comes back through Redis and is recognised by
 * the sender id and skipped. When the subscription comes back after a lost connection, listeners
 * get `''` — drop everything — because announcements made meanwhile are gone, and a cache that
 * refills from the store is cheaper than serving deleted videos.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { RedisChannel, type ChannelLogger } from '../redis/redis-channel.js';
import { isValidKey } from '../storage/blob-store.js';
import { LocalCacheInvalidationBus, type CacheInvalidationBus } from './cache-invalidation.js';

export interface RedisCacheInvalidationBusOptions {
  /** config `redisUrl`. */
  url: string;
  /** config `redisPrefix`: the channel is `<prefix>:cache-invalidation`. */
  prefix: string;
  logger?: ChannelLogger;
  /** How long `open` waits for Redis before failing start-up; default 10 s. */
  connectTimeoutMs?: number;
}

export function cacheInvalidationChannel(prefix: string): string {
  return `${prefix}:cache-invalidation`;
}

const invalidationSchema = z.object({
  /** A blob key prefix (`videos/<id>/`), a single key, or '' for everything. */
  prefix: z.string().max(600).refine((p) => p === '' || isValidKey(p.endsWith('/') ? p.slice(0, -1) : p), 'not a blob key prefix'),
  /** The announcing bus, so it can skip its own message. */
  from: z.string().min(1).max(100),
});
type InvalidationMessage = z.infer<typeof invalidationSchema>;

export class RedisCacheInvalidationBus implements CacheInvalidationBus {
  static async open(options: RedisCacheInvalidationBusOptions): Promise<RedisCacheInvalidationBus> {
    const id = randomUUID();
    const local = new LocalCacheInvalidationBus({ logger: options.logger });
    const channel = await RedisChannel.open<InvalidationMessage>({
      url: options.url,
      channel: cacheInvalidationChannel(options.prefix),
      schema: invalidationSchema,
      onMessage: (message) => {
        if (message.from !== id) local.publish(message.prefix);
      },
      onResubscribed: () => local.publish(''),
      logger: options.logger,
      connectTimeoutMs: options.connectTimeoutMs,
    });
    return new RedisCacheInvalidationBus(id, channel, local);
  }

  private constructor(
    private readonly id: string,
    private readonly channel: RedisChannel<InvalidationMessage>,
    private readonly local: LocalCacheInvalidationBus,
  ) {}

  publish(prefix: string): void {
    this.local.publish(prefix);
    this.channel.publish({ prefix, from: this.id });
  }

  subscribe(listener: (prefix: string) => void): () => void {
    return this.local.subscribe(listener);
  }

  async close(): Promise<void> {
    await this.channel.close();
  }
}
