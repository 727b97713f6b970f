/**
 * RedisVideoEventBus against the contract on the shared Redis: bus and peer are two buses with their
 * own connections (two processes, as far as Redis can tell) under a prefix unique to each test, so
 * parallel test files never hear each other. Plus what only a networked bus has: prefixes keep
 * installs apart, and an unreachable Redis fails start-up with a clear error instead of hanging.
 * (Outages and resubscription: video-event-bus-redis-outage.test.ts, on a private redis-server.)
 */
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { RedisVideoEventBus, videoEventsChannel } from '../../src/videos/redis-video-event-bus.js';
import type { VideoEvent } from '../../src/videos/video-events.js';
import { redisTestUrl, uniqueRedisPrefix } from '../helpers/redis.js';
import { videoEventBusContract } from './video-event-bus-contract.js';

const url = await redisTestUrl();

describe.skipIf(url === null)('Redis', () => {
  videoEventBusContract({
    name: 'RedisVideoEventBus',
    open: async () => {
      const prefix = uniqueRedisPrefix();
      const [bus, peer] = await Promise.all([RedisVideoEventBus.open({ url: url!, prefix }), RedisVideoEventBus.open({ url: url!, prefix })]);
      const raw = new Redis(url!);
      return {
        bus,
        peer,
        publishRaw: async (payload) => {
          await raw.publish(videoEventsChannel(prefix), payload);
        },
        close: async () => {
          raw.disconnect();
          await Promise.all([bus.close(), peer.close()]);
        },
      };
    },
  });

  it('keeps installs with different prefixes apart', async () => {
    const [mine, theirs] = [uniqueRedisPrefix(), uniqueRedisPrefix()];
    const buses = await Promise.all([mine, mine, theirs].map((prefix) => RedisVideoEventBus.open({ url: url!, prefix })));
    const [bus, peer, other] = buses as [RedisVideoEventBus, RedisVideoEventBus, RedisVideoEventBus];
    try {
      const event: VideoEvent = { videoId: 'same-id', type: 'progress', stage: 'probing', percent: 1, etaMs: null, at: 1 };
      const heardByOther: VideoEvent[] = [];
      const heardByBus: VideoEvent[] = [];
      other.subscribe('same-id', (e) => heardByOther.push(e));
      bus.subscribe('same-id', (e) => heardByBus.push(e));
      peer.publish(event);
      await vi.waitFor(() => expect(heardByBus).toEqual([event]));
      // Ours has reached every subscriber by now; the other install's own event comes after it.
      other.publish({ ...event, percent: 2 });
      await vi.waitFor(() => expect(heardByOther).toHaveLength(1));
      expect(heardByOther).toEqual([{ ...event, percent: 2 }]);
    } finally {
      await Promise.all(buses.map((b) => b.close()));
    }
  });
});

describe('RedisVideoEventBus without Redis', () => {
  it('fails to open with an error naming the unreachable server', async () => {
    const port = await closedPort();
    await expect(RedisVideoEventBus.open({ url: `redis://127.0.0.1:${port}`, prefix: 'nobody', connectTimeoutMs: 1000 })).rejects.toThrow(
      new RegExp(`Redis at redis://127.0.0.1:${port} did not answer within 1000 ms`),
    );
  });
});

/** A local port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}
