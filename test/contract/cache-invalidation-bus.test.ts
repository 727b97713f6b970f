/**
 * The CacheInvalidationBus drivers against their contract (the Redis one on the shared Redis, two
 * buses = two processes, a prefix per test), and DeletionAnnouncingBlobStore over a real local
 * store: every deletion is announced, after the files are gone, and nothing else is.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCacheInvalidationBus } from '../../src/delivery/cache-invalidation.js';
import { DeletionAnnouncingBlobStore } from '../../src/delivery/deletion-announcing-store.js';
import { cacheInvalidationChannel, RedisCacheInvalidationBus } from '../../src/delivery/redis-cache-invalidation-bus.js';
import { LocalBlobStore } from '../../src/storage/local-blob-store.js';
import { redisTestUrl, uniqueRedisPrefix } from '../helpers/redis.js';
import { cacheInvalidationBusContract } from './cache-invalidation-bus-contract.js';

const url = await redisTestUrl();

cacheInvalidationBusContract({
  name: 'LocalCacheInvalidationBus',
  open: async () => {
    const bus = new LocalCacheInvalidationBus();
    return { bus, peer: bus, close: async () => {} };
  },
});

describe.skipIf(url === null)('Redis', () => {
  cacheInvalidationBusContract({
    name: 'RedisCacheInvalidationBus',
    open: async () => {
      const prefix = uniqueRedisPrefix();
      const [bus, peer] = await Promise.all([RedisCacheInvalidationBus.open({ url: url!, prefix }), RedisCacheInvalidationBus.open({ url: url!, prefix })]);
      const raw = new Redis(url!);
      return {
        bus,
        peer,
        publishRaw: async (payload) => {
          await raw.publish(cacheInvalidationChannel(prefix), payload);
        },
        close: async () => {
          raw.disconnect();
          await Promise.all([bus.close(), peer.close()]);
        },
      };
    },
  });
});

describe('DeletionAnnouncingBlobStore', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function setUp() {
    root = mkdtempSync(path.join(tmpdir(), 'sf-announce-'));
    const local = new LocalBlobStore({ root });
    const bus = new LocalCacheInvalidationBus();
    const store = new DeletionAnnouncingBlobStore({ store: local, invalidations: bus });
    // What existed when each announcement was heard: it must come after the deletion.
    const heard: Array<{ prefix: string; stillThere: boolean }> = [];
    bus.subscribe((prefix) => heard.push({ prefix, stillThere: existsSync(path.join(root, prefix)) }));
    return { local, store, heard };
  }

  it('announces deletePrefix and delete once the files are gone, and never a put', async () => {
    const { store, heard } = setUp();
    const file = path.join(root, 'input.bin');
    writeFileSync(file, 'x');
    await store.putFile('videos/a/1/seg.m4s', file);
    await store.putBytes('videos/a/1/master.m3u8', '#EXTM3U\n');
    await store.putBytes('originals/a', 'bytes');
    expect(heard).toEqual([]);
    expect(await store.deletePrefix('videos/a/')).toBe(2);
    await store.delete('originals/a');
    expect(heard).toEqual([
      { prefix: 'videos/a/', stillThere: false },
      { prefix: 'originals/a', stillThere: false },
    ]);
  });

  it('offers localPath and signedUrl exactly when the wrapped store does', () => {
    const { local, store } = setUp();
    expect(store.localPath?.('videos/a/x')).toBe(local.localPath('videos/a/x'));
    expect(store.signedUrl).toBeUndefined();
  });
});
