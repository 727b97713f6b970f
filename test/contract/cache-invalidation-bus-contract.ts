/**
 * Every behaviour the CacheInvalidationBus interface (src/delivery/cache-invalidation.ts) promises,
 * run by cache-invalidation-bus.test.ts against the in-process and the Redis driver. `peer` is the
 * bus another process would open (the same bus in one process). No sleeps: negatives are asserted
 * once a later announcement has made the round trip.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheInvalidationBus } from '../../src/delivery/cache-invalidation.js';

export interface CacheInvalidationBusHarness {
  bus: CacheInvalidationBus;
  /** A second bus over the same transport, as another process would open it (may be `bus` itself). */
  peer: CacheInvalidationBus;
  /** Puts raw text on the bus's channel, as a broken or foreign publisher would (networked drivers). */
  publishRaw?(payload: string): Promise<void>;
  close(): Promise<void>;
}

export function cacheInvalidationBusContract(options: { name: string; open(): Promise<CacheInvalidationBusHarness> }): void {
  describe(`${options.name} — CacheInvalidationBus contract`, () => {
    let harness: CacheInvalidationBusHarness;
    let bus: CacheInvalidationBus;
    let peer: CacheInvalidationBus;

    beforeEach(async () => {
      harness = await options.open();
      ({ bus, peer } = harness);
    });
    afterEach(async () => {
      await harness.close();
    });

    it('tells the announcing process’s listeners before publish returns', () => {
      const heard: string[] = [];
      bus.subscribe((prefix) => heard.push(prefix));
      bus.publish('videos/a/');
      expect(heard).toEqual(['videos/a/']);
    });

    it('tells every other process, and each listener exactly once', async () => {
      const here: string[] = [];
      const there: string[] = [];
      bus.subscribe((prefix) => here.push(prefix));
      peer.subscribe((prefix) => there.push(prefix));
      bus.publish('videos/a/1/');
      await vi.waitFor(() => expect(there).toContain('videos/a/1/'));
      // The peer's answer comes back after any echo of ours would have.
      peer.publish('videos/b/');
      await vi.waitFor(() => expect(here).toContain('videos/b/'));
      expect(here).toEqual(['videos/a/1/', 'videos/b/']);
      expect(there).toEqual(['videos/a/1/', 'videos/b/']);
    });

    it('stops telling a listener once unsubscribed', async () => {
      const gone: string[] = [];
      const stays: string[] = [];
      const unsubscribe = bus.subscribe((prefix) => gone.push(prefix));
      bus.subscribe((prefix) => stays.push(prefix));
      unsubscribe();
      peer.publish('videos/c/');
      await vi.waitFor(() => expect(stays).toEqual(['videos/c/']));
      expect(gone).toEqual([]);
    });

    it('keeps telling other listeners when one throws', () => {
      const heard: string[] = [];
      bus.subscribe(() => {
        throw new Error('broken');
      });
      bus.subscribe((prefix) => heard.push(prefix));
      expect(() => bus.publish('videos/d/')).not.toThrow();
      expect(heard).toEqual(['videos/d/']);
    });

    it('ignores malformed announcements on its channel', async (ctx) => {
      if (!harness.publishRaw) return ctx.skip(); // an in-process bus has no channel to corrupt
      const heard: string[] = [];
      bus.subscribe((prefix) => heard.push(prefix));
      for (const payload of ['nope', '{}', JSON.stringify({ prefix: '../../etc/', from: 'x' }), JSON.stringify({ prefix: 7, from: 'x' })]) {
        await harness.publishRaw(payload);
      }
      peer.publish('videos/e/');
      await vi.waitFor(() => expect(heard).toEqual(['videos/e/']));
    });
  });
}
