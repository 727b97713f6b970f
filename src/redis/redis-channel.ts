/**
 * One Redis pub/sub channel of JSON messages between StreamForge processes: the transport under the
 * Redis event bus (src/videos/redis-video-event-bus.ts) and the Redis cache invalidation bus
 * (src/delivery/redis-cache-invalidation-bus.ts).
 *
 * Two connections, because a subscribed Redis connection can do nothing but listen: one publishes,
 * one is subscribed to the channel for the channel's whole life. `open` resolves only once the
 * SUBSCRIBE is acknowledged, so from then on every message any process publishes reaches
 * `onMessage` — except while the subscriber's connection is down. ioredis reconnects by itself; we
 * resubscribe ourselves (autoResubscribe off: ioredis says `ready` before its own resubscription is
 * acknowledged) and call `onResubscribed` once the new SUBSCRIBE is acknowledged, so owners can
 * make up for what was published in between (re-read state, drop caches). Pub/sub keeps nothing:
 * those messages are gone.
 *
 * Messages come from other processes, so each is size-checked, parsed and validated with the
 * owner's zod schema; a bad one is logged (at most every 10 s) and dropped.
 */
import { Redis } from 'ioredis';
import type { z } from 'zod';

/** The pino-compatible subset the channel logs through. */
export interface ChannelLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RedisChannelOptions<T> {
  /** `redis://…` or `rediss://…` (config `redisUrl`). */
  url: string;
  /** Full channel name, already under the install's prefix (config `redisPrefix`). */
  channel: string;
  /** What a message must look like; anything else is dropped. */
  schema: z.ZodType<T>;
  onMessage: (message: T) => void;
  /** After the subscription came back from a lost connection: messages may have been missed. */
  onResubscribed?: () => void;
  logger?: ChannelLogger;
  /** How long `open` waits for the first subscription before failing start-up; default 10 s. */
  connectTimeoutMs?: number;
}

/** Larger payloads are not ours: our messages are a few hundred bytes. */
const MAX_MESSAGE_BYTES = 64 * 1024;
const BAD_MESSAGE_LOG_INTERVAL_MS = 10_000;
const silentLogger: ChannelLogger = { info: () => {}, warn: () => {}, error: () => {} };

export class RedisChannel<T> {
  /** Connects both connections and resolves once the channel is subscribed. */
  static async open<T>(options: RedisChannelOptions<T>): Promise<RedisChannel<T>> {
    const channel = new RedisChannel(options);
    try {
      await channel.firstSubscription(options.connectTimeoutMs ?? 10_000);
    } catch (err) {
      await channel.close();
      throw err;
    }
    return channel;
  }

  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly logger: ChannelLogger;
  /** The current subscriber connection has its SUBSCRIBE acknowledged. */
  private subscribed = false;
  private everSubscribed = false;
  private closed = false;
  private lastError: Error | null = null;
  /** One warning per outage, not one per reconnection attempt. */
  private outageLogged = false;
  private badMessages = 0;
  private badMessageLoggedAt = 0;
  private readonly subscribedWaiters = new Set<() => void>();

  private constructor(private readonly options: RedisChannelOptions<T>) {
    this.logger = options.logger ?? silentLogger;
    const name = options.channel.replace(/[^A-Za-z0-9_.:-]/g, '_');
    // Publishes made while disconnected wait in ioredis's offline queue for up to 20 reconnection
    // attempts (≈ 10 s), so a short blip delays messages instead of losing them.
    this.publisher = new Redis(options.url, { connectionName: `${name}:pub`, maxRetriesPerRequest: 20 });
    this.subscriber = new Redis(options.url, { connectionName: `${name}:sub`, autoResubscribe: false });
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on('error', (err: Error) => this.connectionError(err));
    }
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('close', () => {
      if (!this.subscribed || this.closed) return;
      this.subscribed = false;
      this.logger.warn({ channel: options.channel }, 'lost the Redis subscription: reconnecting (messages published meanwhile are lost)');
    });
    this.subscriber.on('message', (channel: string, payload: string) => {
      if (channel === options.channel) this.receive(payload);
    });
  }

  /** Fire and forget: a message that cannot be sent is logged, never thrown. */
  publish(message: T): void {
    if (this.closed) return;
    this.publisher.publish(this.options.channel, JSON.stringify(message)).catch((err: Error) => {
      if (!this.closed) this.logger.warn({ channel: this.options.channel, err: err.message }, 'could not publish to Redis: message lost');
    });
  }

  /** Stops listening and closes both connections; publishing afterwards does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscriber.disconnect();
    // QUIT sends what is still queued first; a connection that is down has nothing to flush.
    if (this.publisher.status === 'ready') await this.publisher.quit().catch(() => this.publisher.disconnect());
    else this.publisher.disconnect();
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.options.channel);
    } catch (err) {
      // The connection dropped again before the acknowledgement; the next `ready` retries.
      this.lastError = err as Error;
      return;
    }
    if (this.closed) return;
    this.subscribed = true;
    this.outageLogged = false;
    const resubscribed = this.everSubscribed;
    this.everSubscribed = true;
    for (const resolve of this.subscribedWaiters) resolve();
    this.subscribedWaiters.clear();
    if (resubscribed) {
      this.logger.info({ channel: this.options.channel }, 'Redis subscription restored');
      this.options.onResubscribed?.();
    }
  }

  private firstSubscription(timeoutMs: number): Promise<void> {
    if (this.subscribed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.subscribedWaiters.delete(done);
        const reason = this.lastError ? `: ${this.lastError.message}` : '';
        reject(new Error(`Redis at ${redact(this.options.url)} did not answer within ${timeoutMs} ms${reason}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.subscribedWaiters.add(done);
    });
  }

  private connectionError(err: Error): void {
    this.lastError = err;
    if (this.closed || this.outageLogged || !this.everSubscribed) return;
    this.outageLogged = true;
    this.logger.warn({ channel: this.options.channel, err: err.message }, 'Redis connection error: ioredis keeps reconnecting');
  }

  private receive(payload: string): void {
    let parsed: z.ZodSafeParseResult<T> | null = null;
    if (payload.length <= MAX_MESSAGE_BYTES) {
      try {
        parsed = this.options.schema.safeParse(JSON.parse(payload));
      } catch {
        parsed = null;
      }
    }
    if (!parsed?.success) {
      this.dropped(payload, parsed?.error);
      return;
    }
    try {
      this.options.onMessage(parsed.data);
    } catch (err) {
      // A listener's bug must not take the subscription down with it.
      this.logger.error({ channel: this.options.channel, err }, 'a listener of a Redis channel threw');
    }
  }

  private dropped(payload: string, error: z.ZodError | undefined): void {
    this.badMessages++;
    const now = Date.now();
    if (now - this.badMessageLoggedAt < BAD_MESSAGE_LOG_INTERVAL_MS) return;
    this.badMessageLoggedAt = now;
    this.logger.warn(
      { channel: this.options.channel, dropped: this.badMessages, sample: payload.slice(0, 200), issues: error?.issues.slice(0, 3) },
      'dropped malformed messages from Redis',
    );
    this.badMessages = 0;
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
