/**
 * The scale-out VideoEventBus: video events over Redis pub/sub, so an SSE stream held by one API
 * process follows a job that runs in another (issue #5).
 *
 * One channel, `<redisPrefix>:video-events`, carries every video's events, and each process picks
 * its videos out locally (LocalVideoEventBus as the fan-out), rather than a channel per video:
 * - `subscribe` must be effective when it returns (the SSE stream subscribes, then reads the
 *   record, and relies on no event falling in between). A channel per video would need an
 *   asynchronous SUBSCRIBE per stream, reopening exactly that gap; the one channel is subscribed
 *   before `open` resolves, so a local subscription is as strong as the in-process bus's.
 * - Traffic is small: a few progress events a second per running job, and API processes number in
 *   the tens, so every process seeing every event costs less than a SUBSCRIBE round trip per viewer.
 * A process also receives its own events back through Redis and delivers only those, so all
 * processes see one publisher's events in the same order.
 *
 * While the connection is down events are lost (pub/sub stores nothing): when the subscription is
 * back, every subscriber's `onResync` fires and it re-reads the record (video-events-stream.ts).
 */
import { RedisChannel, type ChannelLogger } from '../redis/redis-channel.js';
import { LocalVideoEventBus, videoEventSchema, type VideoEvent, type VideoEventBus, type VideoEventSubscription } from './video-events.js';

export interface RedisVideoEventBusOptions {
  /** config `redisUrl`. */
  url: string;
  /** config `redisPrefix`: the channel is `<prefix>:video-events`. */
  prefix: string;
  logger?: ChannelLogger;
  /** How long `open` waits for Redis before failing start-up; default 10 s. */
  connectTimeoutMs?: number;
}

export function videoEventsChannel(prefix: string): string {
  return `${prefix}:video-events`;
}

export class RedisVideoEventBus implements VideoEventBus {
  /** Resolves once the channel is subscribed: from then on no event published anywhere is missed. */
  static async open(options: RedisVideoEventBusOptions): Promise<RedisVideoEventBus> {
    const local = new LocalVideoEventBus({ logger: options.logger });
    const channel = await RedisChannel.open<VideoEvent>({
      url: options.url,
      channel: videoEventsChannel(options.prefix),
      schema: videoEventSchema,
      onMessage: (event) => local.publish(event),
      onResubscribed: () => local.resyncAll(),
      logger: options.logger,
      connectTimeoutMs: options.connectTimeoutMs,
    });
    return new RedisVideoEventBus(channel, local);
  }

  private constructor(
    private readonly channel: RedisChannel<VideoEvent>,
    private readonly local: LocalVideoEventBus,
  ) {}

  publish(event: VideoEvent): void {
    this.channel.publish(event);
  }

  subscribe(videoId: string, listener: (event: VideoEvent) => void, options?: VideoEventSubscription): () => void {
    return this.local.subscribe(videoId, listener, options);
  }

  async close(): Promise<void> {
    await this.channel.close();
  }
}
