/**
 * Every behaviour the Queue interface (src/queue/queue.ts) promises, as one suite that each driver's
 * test file runs against its own factory (the tus-node-server contract pattern). Time moves through
 * an injected clock, never through sleeps, so lease expiry and back-off are exact and fast.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Queue } from '../../src/queue/queue.js';

/** A clock the test sets by hand; pass `() => clock.now()` to the driver. */
export class ManualClock {
  constructor(private ms = 1_700_000_000_000) {}
  now(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface QueueHarness {
  queue: Queue;
  /** The clock the driver reads. */
  clock: ManualClock;
  /** Another Queue over the same storage and clock, as a second process would open (optional). */
  openPeer?(): Promise<Queue>;
  close(): Promise<void>;
}

const LEASE_MS = 10_000;

export function queueContract(name: string, factory: () => Promise<QueueHarness>): void {
  describe(`${name} — Queue contract`, () => {
    let harness: QueueHarness;
    let queue: Queue;
    let clock: ManualClock;

    beforeEach(async () => {
      harness = await factory();
      queue = harness.queue;
      clock = harness.clock;
    });
    afterEach(async () => {
      await harness.close();
    });

    const lease = (owner = 'w1', types = ['t']) => queue.lease({ types, owner, leaseMs: LEASE_MS });

    describe('enqueue and get', () => {
      it('stores a queued job with its payload, defaults and times', async () => {
        const payload = { videoId: 'v1', nested: { list: [1, 'two', null], flag: true } };
        const id = await queue.enqueue({ type: 't', payload, maxAttempts: 3 });
        expect(await queue.get(id)).toEqual({
          id,
          type: 't',
          payload,
          status: 'queued',
          attempts: 0,
          maxAttempts: 3,
          lastError: null,
          runAt: clock.now(),
          createdAt: clock.now(),
          finishedAt: null,
        });
      });

      it('gives every job its own id', async () => {
        const ids = await Promise.all(Array.from({ length: 5 }, () => queue.enqueue({ type: 't', payload: null })));
        expect(new Set(ids).size).toBe(5);
      });

      it('returns null for an unknown id', async () => {
        expect(await queue.get('no-such-job')).toBeNull();
      });
    });

    describe('dedupe', () => {
      it('returns the first job id for a second enqueue with the same key and adds nothing', async () => {
        const first = await queue.enqueue({ type: 't', payload: { n: 1 }, dedupeKey: 'video:v1' });
        const second = await queue.enqueue({ type: 't', payload: { n: 2 }, dedupeKey: 'video:v1' });
        const other = await queue.enqueue({ type: 't', payload: { n: 3 }, dedupeKey: 'video:v2' });
        expect(second).toBe(first);
        expect(other).not.toBe(first);
        expect((await queue.get(first))?.payload).toEqual({ n: 1 });
        expect((await queue.counts()).queued).toBe(2);
      });

      it('dedupes against a finished job too', async () => {
        const first = await queue.enqueue({ type: 't', payload: null, dedupeKey: 'once' });
        const job = await lease();
        expect(await queue.complete(job!.id, job!.owner)).toBe(true);
        expect(await queue.enqueue({ type: 't', payload: null, dedupeKey: 'once' })).toBe(first);
        expect(await queue.counts()).toEqual({ queued: 0, active: 0, completed: 1, failed: 0 });
      });

      it('yields one job when the same key is enqueued concurrently', async () => {
        const peer = harness.openPeer ? await harness.openPeer() : queue;
        const ids = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? peer : queue).enqueue({ type: 't', payload: { i }, dedupeKey: 'race' }),
          ),
        );
        expect(new Set(ids).size).toBe(1);
        expect((await queue.counts()).queued).toBe(1);
      });
    });

    describe('lease', () => {
      it('returns null when nothing is runnable', async () => {
        expect(await lease()).toBeNull();
        await queue.enqueue({ type: 'other', payload: null });
        expect(await lease('w1', ['t'])).toBeNull();
        expect(await lease('w1', [])).toBeNull();
      });

      it('leases a job as attempt 1 under a unique owner and marks it active', async () => {
        const id = await queue.enqueue({ type: 't', payload: { a: 1 }, maxAttempts: 4 });
        const job = await lease('worker-a');
        expect(job).toMatchObject({ id, type: 't', payload: { a: 1 }, attempt: 1, maxAttempts: 4 });
        expect(job!.owner).toContain('worker-a');
        expect(await queue.get(id)).toMatchObject({ status: 'active', attempts: 1 });
        expect(await lease('worker-a')).toBeNull();

        await queue.enqueue({ type: 't', payload: null });
        const next = await lease('worker-a');
        expect(next!.owner).not.toBe(job!.owner);
      });

      it('leases only the requested types', async () => {
        const a = await queue.enqueue({ type: 'a', payload: null, priority: 5 });
        const b = await queue.enqueue({ type: 'b', payload: null, priority: 0 });
        expect((await lease('w', ['a']))?.id).toBe(a);
        expect((await lease('w', ['a', 'b']))?.id).toBe(b);
      });

      it('orders by priority (lower first), then runAt, then enqueue time', async () => {
        const t0 = clock.now();
        const low = await queue.enqueue({ type: 't', payload: 'low', priority: 10, runAt: t0 - 5_000 });
        const lateRun = await queue.enqueue({ type: 't', payload: 'late', priority: 0, runAt: t0 - 1_000 });
        clock.advance(1);
        const sameRunFirst = await queue.enqueue({ type: 't', payload: 'same-1', priority: 0, runAt: t0 - 2_000 });
        clock.advance(1);
        const sameRunSecond = await queue.enqueue({ type: 't', payload: 'same-2', priority: 0, runAt: t0 - 2_000 });
        const earlyRun = await queue.enqueue({ type: 't', payload: 'early', priority: 0, runAt: t0 - 3_000 });
        const urgent = await queue.enqueue({ type: 't', payload: 'urgent', priority: -1 });

        const order: string[] = [];
        for (let job = await lease(); job; job = await lease()) order.push(job.id);
        expect(order).toEqual([urgent, earlyRun, sameRunFirst, sameRunSecond, lateRun, low]);
      });

      it('does not lease a job before its runAt', async () => {
        const runAt = clock.now() + 60_000;
        const id = await queue.enqueue({ type: 't', payload: null, runAt });
        clock.set(runAt - 1);
        expect(await lease()).toBeNull();
        clock.set(runAt);
        expect((await lease())?.id).toBe(id);
      });

      it('never hands the same job to concurrent leasers', async () => {
        const ids = new Set<string>();
        for (let i = 0; i < 10; i++) ids.add(await queue.enqueue({ type: 't', payload: { i } }));
        const peer = harness.openPeer ? await harness.openPeer() : queue;
        const leased = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? peer : queue).lease({ types: ['t'], owner: `w${i}`, leaseMs: LEASE_MS })),
        );
        const got = leased.filter((job) => job !== null).map((job) => job.id);
        expect(got).toHaveLength(10);
        expect(new Set(got)).toEqual(ids);
        expect(await queue.counts()).toEqual({ queued: 0, active: 10, completed: 0, failed: 0 });
      });
    });

    it('drains many jobs with many concurrent leasers, each job exactly once', async () => {
      const enqueued = await Promise.all(Array.from({ length: 60 }, (_, i) => queue.enqueue({ type: 't', payload: { i } })));
      const peer = harness.openPeer ? await harness.openPeer() : queue;
      const seen: string[] = [];
      await Promise.all(
        Array.from({ length: 8 }, async (_, leaser) => {
          const q = leaser % 2 ? peer : queue;
          for (let job = await q.lease({ types: ['t'], owner: `w${leaser}`, leaseMs: LEASE_MS }); job; ) {
            seen.push(job.id);
            expect(await q.complete(job.id, job.owner)).toBe(true);
            job = await q.lease({ types: ['t'], owner: `w${leaser}`, leaseMs: LEASE_MS });
          }
        }),
      );
      expect(seen).toHaveLength(60);
      expect(new Set(seen)).toEqual(new Set(enqueued));
      expect(await queue.counts()).toEqual({ queued: 0, active: 0, completed: 60, failed: 0 });
    });

    describe('lease expiry', () => {
      it('leases a job again once its lease expires, as the next attempt under a new owner', async () => {
        const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 3 });
        const first = await lease('dead-worker');
        clock.advance(LEASE_MS - 1);
        expect(await lease('w2')).toBeNull();
        clock.advance(2);
        const second = await lease('w2');
        expect(second).toMatchObject({ id, attempt: 2 });
        expect(second!.owner).not.toBe(first!.owner);
        expect(await queue.get(id)).toMatchObject({ status: 'active', attempts: 2 });
      });

      it('refuses the old owner once the job was leased again', async () => {
        await queue.enqueue({ type: 't', payload: null, maxAttempts: 3 });
        const first = (await lease('w1'))!;
        clock.advance(LEASE_MS + 1);
        const second = (await lease('w2'))!;
        expect(await queue.heartbeat(first.id, first.owner, LEASE_MS)).toBe(false);
        expect(await queue.complete(first.id, first.owner)).toBe(false);
        expect(await queue.fail(first.id, first.owner, { error: 'late', permanent: true, retryInMs: 0 })).toBe('lease-lost');
        expect(await queue.get(first.id)).toMatchObject({ status: 'active', attempts: 2, lastError: null });
        expect(await queue.complete(second.id, second.owner)).toBe(true);
      });

      it('refuses the old owner even when the same worker re-leased the job', async () => {
        await queue.enqueue({ type: 't', payload: null, maxAttempts: 3 });
        const first = (await lease('same-worker'))!;
        clock.advance(LEASE_MS + 1);
        const second = (await lease('same-worker'))!;
        expect(second.owner).not.toBe(first.owner);
        expect(await queue.complete(first.id, first.owner)).toBe(false);
        expect(await queue.complete(second.id, second.owner)).toBe(true);
      });

      it('fails a job whose lease expired on its last attempt instead of leasing it again', async () => {
        const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 2 });
        const other = await queue.enqueue({ type: 't', payload: null, priority: 5 });
        expect((await lease())?.id).toBe(id);
        clock.advance(LEASE_MS + 1);
        expect((await lease())?.id).toBe(id);
        clock.advance(LEASE_MS + 1);
        // Only the other job is leasable now; the exhausted one is failed on the way.
        const otherJob = (await lease())!;
        expect(otherJob.id).toBe(other);
        expect(await queue.complete(otherJob.id, otherJob.owner)).toBe(true);
        const info = await queue.get(id);
        expect(info).toMatchObject({ status: 'failed', attempts: 2, finishedAt: clock.now() });
        expect(info!.lastError).toMatch(/lease|worker/i);
        clock.advance(LEASE_MS * 10);
        expect(await lease()).toBeNull();
      });
    });

    describe('heartbeat', () => {
      it('extends the lease from now', async () => {
        await queue.enqueue({ type: 't', payload: null });
        const job = (await lease('w1'))!;
        clock.advance(LEASE_MS - 1_000);
        expect(await queue.heartbeat(job.id, job.owner, LEASE_MS)).toBe(true);
        clock.advance(LEASE_MS - 1);
        expect(await lease('w2')).toBeNull();
        clock.advance(2);
        expect((await lease('w2'))?.id).toBe(job.id);
      });

      it('is refused for a finished job, a wrong owner and an unknown job', async () => {
        await queue.enqueue({ type: 't', payload: null });
        const job = (await lease())!;
        expect(await queue.heartbeat(job.id, 'someone-else', LEASE_MS)).toBe(false);
        expect(await queue.heartbeat('no-such-job', job.owner, LEASE_MS)).toBe(false);
        expect(await queue.complete(job.id, job.owner)).toBe(true);
        expect(await queue.heartbeat(job.id, job.owner, LEASE_MS)).toBe(false);
      });
    });

    describe('complete', () => {
      it('marks the job completed once', async () => {
        const id = await queue.enqueue({ type: 't', payload: null });
        const job = (await lease())!;
        clock.advance(1234);
        expect(await queue.complete(job.id, job.owner)).toBe(true);
        expect(await queue.get(id)).toMatchObject({ status: 'completed', attempts: 1, finishedAt: clock.now() });
        expect(await queue.complete(job.id, job.owner)).toBe(false);
        expect(await queue.fail(job.id, job.owner, { error: 'x', permanent: false, retryInMs: 0 })).toBe('lease-lost');
        clock.advance(LEASE_MS * 10);
        expect(await lease()).toBeNull();
      });

      it('is refused for a wrong owner and an unknown job', async () => {
        await queue.enqueue({ type: 't', payload: null });
        const job = (await lease())!;
        expect(await queue.complete(job.id, `${job.owner}x`)).toBe(false);
        expect(await queue.complete('no-such-job', job.owner)).toBe(false);
        expect(await queue.fail('no-such-job', job.owner, { error: 'x', permanent: true, retryInMs: 0 })).toBe('lease-lost');
      });
    });

    describe('fail', () => {
      it('fails for good at once when permanent, whatever attempts remain', async () => {
        const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 5 });
        const job = (await lease())!;
        expect(await queue.fail(job.id, job.owner, { error: 'unsupported codec', permanent: true, retryInMs: 1_000 })).toBe('failed');
        expect(await queue.get(id)).toMatchObject({
          status: 'failed',
          attempts: 1,
          lastError: 'unsupported codec',
          finishedAt: clock.now(),
        });
        clock.advance(60_000);
        expect(await lease()).toBeNull();
      });

      it('re-queues with back-off while attempts remain', async () => {
        const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 3 });
        const job = (await lease())!;
        const failedAt = clock.now();
        expect(await queue.fail(job.id, job.owner, { error: 'disk full', permanent: false, retryInMs: 5_000 })).toBe('retrying');
        expect(await queue.get(id)).toMatchObject({
          status: 'queued',
          attempts: 1,
          lastError: 'disk full',
          runAt: failedAt + 5_000,
          finishedAt: null,
        });
        expect(await queue.complete(job.id, job.owner)).toBe(false);
        clock.advance(4_999);
        expect(await lease()).toBeNull();
        clock.advance(1);
        expect(await lease()).toMatchObject({ id, attempt: 2 });
      });

      it('fails for good when the last attempt fails', async () => {
        const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 2 });
        const first = (await lease())!;
        expect(await queue.fail(first.id, first.owner, { error: 'one', permanent: false, retryInMs: 0 })).toBe('retrying');
        const second = (await lease())!;
        expect(second.attempt).toBe(2);
        expect(await queue.fail(second.id, second.owner, { error: 'two', permanent: false, retryInMs: 0 })).toBe('failed');
        expect(await queue.get(id)).toMatchObject({ status: 'failed', attempts: 2, lastError: 'two', finishedAt: clock.now() });
        expect(await lease()).toBeNull();
      });
    });

    describe('counts', () => {
      it('reports all four statuses, zeros included', async () => {
        expect(await queue.counts()).toEqual({ queued: 0, active: 0, completed: 0, failed: 0 });
        for (let i = 0; i < 5; i++) await queue.enqueue({ type: 't', payload: { i } });
        const done = (await lease())!;
        await queue.complete(done.id, done.owner);
        const broken = (await lease())!;
        await queue.fail(broken.id, broken.owner, { error: 'bad', permanent: true, retryInMs: 0 });
        await lease();
        expect(await queue.counts()).toEqual({ queued: 2, active: 1, completed: 1, failed: 1 });
      });
    });
  });
}
