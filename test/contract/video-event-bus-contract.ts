/**
 * Every behaviour the VideoEventBus interface (src/videos/video-events.ts) promises, as one suite
 * that each driver's test file runs against its own factory (the tus-node-server contract pattern).
 * `peer` is the bus another process would open: for the in-process driver it is the same bus, for
 * Redis a second bus over its own connections, so "reaches the peer" means "crosses processes".
 *
 * Nothing here sleeps. A negative ("this listener got nothing") is asserted after a later event
 * from the same publisher has arrived, which one publisher's ordering guarantees comes after.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { VideoEvent, VideoEventBus } from '../../src/videos/video-events.js';

export interface VideoEventBusHarness {
  bus: VideoEventBus;
  /** A second bus over the same transport, as another process would open it (may be `bus` itself). */
  peer: VideoEventBus;
  /** Puts raw text on the bus's channel, as a broken or foreign publisher would (networked drivers). */
  publishRaw?(payload: string): Promise<void>;
  close(): Promise<void>;
}

export interface VideoEventBusContractOptions {
  name: string;
  open(): Promise<VideoEventBusHarness>;
}

let nextVideo = 0;
function videoId(): string {
  return `v${process.pid}x${Date.now().toString(36)}x${nextVideo++}`;
}

function progress(id: string, percent: number): VideoEvent {
  return { videoId: id, type: 'progress', stage: 'transcoding', percent, etaMs: 1000, at: 1_700_000_000_000 + percent };
}

export function videoEventBusContract(options: VideoEventBusContractOptions): void {
  describe(`${options.name} — VideoEventBus contract`, () => {
    let harness: VideoEventBusHarness;
    let bus: VideoEventBus;
    let peer: VideoEventBus;

    beforeEach(async () => {
      harness = await options.open();
      ({ bus, peer } = harness);
    });
    afterEach(async () => {
      await harness.close();
    });

    it('delivers an event published by the peer to a subscriber, unchanged, once subscribe has returned', async () => {
      const id = videoId();
      const received: VideoEvent[] = [];
      bus.subscribe(id, (e) => received.push(e));
      // No await between subscribe and publish: subscribe is effective when it returns.
      const failed: VideoEvent = { videoId: id, type: 'failed', stage: 'failed', percent: 100, etaMs: null, error: 'probe: not a video', at: 42 };
      peer.publish(failed);
      await vi.waitFor(() => expect(received).toEqual([failed]));
    });

    it('delivers to subscribers in the publishing process too', async () => {
      const id = videoId();
      const received: VideoEvent[] = [];
      peer.subscribe(id, (e) => received.push(e));
      peer.publish(progress(id, 10));
      await vi.waitFor(() => expect(received).toEqual([progress(id, 10)]));
    });

    it('keeps videos apart: a subscriber gets only its video’s events', async () => {
      const [a, b] = [videoId(), videoId()];
      const gotA: VideoEvent[] = [];
      const gotB: VideoEvent[] = [];
      bus.subscribe(a, (e) => gotA.push(e));
      bus.subscribe(b, (e) => gotB.push(e));
      peer.publish(progress(b, 1));
      peer.publish(progress(a, 2));
      peer.publish(progress(b, 3));
      await vi.waitFor(() => expect(gotB).toHaveLength(2));
      expect(gotA).toEqual([progress(a, 2)]);
      expect(gotB).toEqual([progress(b, 1), progress(b, 3)]);
    });

    it('stops delivering to a listener once unsubscribed, and only to that listener', async () => {
      const id = videoId();
      const first: VideoEvent[] = [];
      const second: VideoEvent[] = [];
      const unsubscribe = bus.subscribe(id, (e) => first.push(e));
      bus.subscribe(id, (e) => second.push(e));
      peer.publish(progress(id, 1));
      await vi.waitFor(() => expect(first).toHaveLength(1));
      unsubscribe();
      unsubscribe(); // twice is harmless
      peer.publish(progress(id, 2));
      await vi.waitFor(() => expect(second).toHaveLength(2));
      expect(first).toEqual([progress(id, 1)]);
    });

    it('delivers every event to each of many subscribers, in both processes, exactly once', async () => {
      const id = videoId();
      const counts = Array.from({ length: 100 }, () => 0);
      counts.forEach((_, i) => (i % 2 === 0 ? bus : peer).subscribe(id, () => counts[i]!++));
      peer.publish(progress(id, 1));
      bus.publish(progress(id, 2));
      await vi.waitFor(() => expect(counts.every((n) => n >= 2)).toBe(true));
      // Any duplicate would have arrived with its original: one more round trip flushes it.
      const flushed: VideoEvent[] = [];
      bus.subscribe(id, (e) => flushed.push(e));
      peer.publish(progress(id, 3));
      bus.publish(progress(id, 4));
      await vi.waitFor(() => expect(flushed).toHaveLength(2));
      expect(new Set(counts)).toEqual(new Set([4]));
    });

    it('keeps one publisher’s events in order', async () => {
      const id = videoId();
      const received: number[] = [];
      bus.subscribe(id, (e) => received.push(e.percent));
      const sent = Array.from({ length: 300 }, (_, i) => i / 3);
      for (const percent of sent) peer.publish(progress(id, percent));
      await vi.waitFor(() => expect(received).toHaveLength(sent.length));
      expect(received).toEqual(sent);
    });

    it('keeps delivering to other listeners when one throws, and publish does not throw', async () => {
      const id = videoId();
      const received: VideoEvent[] = [];
      bus.subscribe(id, () => {
        throw new Error('a broken listener');
      });
      bus.subscribe(id, (e) => received.push(e));
      expect(() => peer.publish(progress(id, 5))).not.toThrow();
      expect(() => peer.publish(progress(id, 6))).not.toThrow();
      await vi.waitFor(() => expect(received).toEqual([progress(id, 5), progress(id, 6)]));
    });

    it('ignores malformed messages on its channel and keeps delivering', async (ctx) => {
      if (!harness.publishRaw) return ctx.skip(); // an in-process bus has no channel to corrupt
      const id = videoId();
      const received: VideoEvent[] = [];
      bus.subscribe(id, (e) => received.push(e));
      for (const payload of [
        'not json',
        '',
        'null',
        '[1,2,3]',
        JSON.stringify({ videoId: id }),
        JSON.stringify({ ...progress(id, 1), stage: 'exploding' }),
        JSON.stringify({ ...progress(id, 1), percent: 1e9 }),
        JSON.stringify({ ...progress(id, 1), type: '__proto__' }),
        JSON.stringify({ ...progress(id, 1), videoId: 'x'.repeat(100_000) }),
      ]) {
        await harness.publishRaw(payload);
      }
      peer.publish(progress(id, 7));
      await vi.waitFor(() => expect(received).toHaveLength(1));
      expect(received).toEqual([progress(id, 7)]);
    });

    it('can be closed, after which publishing is a harmless no-op', async () => {
      await bus.close?.();
      expect(() => bus.publish(progress(videoId(), 1))).not.toThrow();
    });
  });
}
