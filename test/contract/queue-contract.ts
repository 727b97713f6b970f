/**
 * Every behaviour the Queue interface (src/queue/queue.ts) promises, as one suite that each driver's
 * test file runs against its own factory (the tus-node-server contract pattern).
 *
 * Time moves through the harness (`ContractTime`). The SQL drivers read a ManualClock, so lease
 * expiry and back-off are exact and instant. BullMQ keeps locks and delays as Redis TTLs and scores
 * on real time, so its harness really waits — with a short lease — and looks `marginMs` before a
 * deadline to find it not yet passed, and polls up to `settleMs` after it for the driver to act.
 * Every duration below is a fraction or multiple of the harness's lease, and timestamps the driver
 * records are checked against the clock readings around the call (one instant on a manual clock).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LeasedJob, Queue } from '../../src/queue/queue.js';

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

/** How the suite lets time pass for a driver. */
export interface ContractTime {
  /** The driver's clock, epoch ms. */
  now(): number;
  /** Lets `ms` pass: moves a manual clock, or really waits. */
  advance(ms: number): Promise<void>;
  /** How far before a deadline the suite looks to find it not yet passed (1 on a manual clock). */
  marginMs: number;
  /** How long after a deadline the driver may take to act on it; the suite polls that long (0: exact). */
  settleMs: number;
}

/** Time for a driver that reads `clock`: exact, and nothing really waits. */
export function manualTime(clock: ManualClock): ContractTime {
  return {
    now: () => clock.now(),
    advance: async (ms) => {
      if (ms < 0) throw new RangeError(`a manual clock does not go back (advance ${ms})`);
      clock.advance(ms);
    },
    marginMs: 1,
    settleMs: 0,
  };
}

/** Real time, for drivers whose clocks live elsewhere (Redis TTLs). */
export function realTime(options: { marginMs: number; settleMs: number }): ContractTime {
  return {
    now: () => Date.now(),
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
    ...options,
  };
}

export interface QueueHarness {
  queue: Queue;
  time: ContractTime;
  /** The lease the suite takes; lease expiry, back-off and delays are scaled from it. */
  leaseMs: number;
  /** Another Queue over the same storage and clock, as a second process would open (optional). */
  openPeer?(): Promise<Queue>;
  close(): Promise<void>;
}

export function queueContract(name: string, factory: () => Promise<QueueHarness>): void {
  describe(`${name} — Queue contract`, () => {
    let harness: QueueHarness;
    let queue: Queue;
    let time: ContractTime;
    let LEASE_MS: number;

    beforeEach(async () => {
      harness = await factory();
      queue = harness.queue;
      time = harness.time;
      LEASE_MS = harness.leaseMs;
    });
    afterEach(async () => {
      await harness.close();
    });

    /** Lets time pass until 1 ms after `deadline` (a lease is held up to and including its end). */
    const advancePast = (deadline: number) => time.advance(deadline + 1 - time.now());
    /** Lets every lease taken so far run out, with a margin for the driver to act on it. */
    const waitOutAnyLease = () => time.advance(LEASE_MS + time.marginMs);
    /** A clock reading matcher: taken between `from` and `to`. */
    const timeBetween = (from: number, to: number) =>
      expect.toSatisfy((ms: number) => ms >= from && ms <= to, `a time in [${from}, ${to}]`);
    /** Runs `check` once on an exact clock; on a real one retries it until it passes or settleMs ends. */
    const eventually = async (check: () => Promise<void>): Promise<void> => {
      if (time.settleMs === 0) return check();
      await vi.waitFor(check, { timeout: time.settleMs, interval: 20 });
    };
    const lease = (owner = 'w1', types = ['t']) => queue.lease({ types, owner, leaseMs: LEASE_MS });
    /** Leases after a deadline passed: on the first try on an exact clock, within settleMs on a real one. */
    const leaseOnceDue = async (owner = 'w1'): Promise<LeasedJob> => {
      let job: LeasedJob | null = null;
      await eventually(async () => {
        job = await lease(owner);
        expect(job).not.toBeNull();
      });
      return job!;
    };
    /**
     * Leases at `deadline - marginMs` and expects nothing yet. On a real clock a starved machine can
     * make that call return after the deadline; a job it gets then breaks no promise, so it is handed
     * back for the test to go on with (and the check, inconclusive this once, says so).
     */
    const leaseJustBefore = async (deadline: number, owner = 'w1'): Promise<LeasedJob | null> => {
      await time.advance(deadline - time.marginMs - time.now());
      const job = await lease(owner);
      if (job && time.now() >= deadline) {
        console.warn(`queue contract: lease() returned ${time.now() - deadline} ms after its deadline (busy machine); "not before" check inconclusive`);
        return job;
      }
      expect(job).toBeNull();
      return null;
    };

    describe('enqueue and get', () => {
      it('stores a queued job with its payload, defaults and times', async () => {
        const payload = { videoId: 'v1', nested: { list: [1, 'two', null], flag: true } };
        const before = time.now();
        const id = await queue.enqueue({ type: 't', payload, maxAttempts: 3 });
        const after = time.now();
        expect(await queue.get(id)).toEqual({
          id,
          type: 't',
          payload,
          status: 'queued',
          attempts: 0,
          maxAttempts: 3,
          lastError: null,
          runAt: timeBetween(before, after),
          createdAt: timeBetween(before, after),
          finishedAt: null,
        });
        const info = (await queue.get(id))!;
        expect(info.runAt).toBe(info.createdAt);
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
        // runAts in the future, then all due at once: a real-time driver can order only what it
        // has seen become due, and this way both kinds are asked the same question.
        const step = LEASE_MS / 5;
        const t0 = time.now();
        const low = await queue.enqueue({ type: 't', payload: 'low', priority: 10 });
        const lateRun = await queue.enqueue({ type: 't', payload: 'late', priority: 0, runAt: t0 + 3 * step });
        await time.advance(1);
        const sameRunFirst = await queue.enqueue({ type: 't', payload: 'same-1', priority: 0, runAt: t0 + 2 * step });
        await time.advance(1);
        const sameRunSecond = await queue.enqueue({ type: 't', payload: 'same-2', priority: 0, runAt: t0 + 2 * step });
        const earlyRun = await queue.enqueue({ type: 't', payload: 'early', priority: 0, runAt: t0 + step });
        const urgent = await queue.enqueue({ type: 't', payload: 'urgent', priority: -1 });
        await time.advance(t0 + 3 * step + time.marginMs - time.now());

        const order: string[] = [];
        for (let job = await lease(); job; job = await lease()) order.push(job.id);
        expect(order).toEqual([urgent, earlyRun, sameRunFirst, sameRunSecond, lateRun, low]);
      });

      it('does not lease a job before its runAt', async () => {
        const runAt = time.now() + LEASE_MS;
        const id = await queue.enqueue({ type: 't', payload: null, runAt });
        expect((await queue.get(id))?.runAt).toBe(runAt);
        const early = await leaseJustBefore(runAt);
        await time.advance(runAt - time.now());
        expect((early ?? (await leaseOnceDue())).id).toBe(id);
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
        const leasedAt = time.now();
        const first = await lease('dead-worker');
        const early = await leaseJustBefore(leasedAt + LEASE_MS, 'w2');
        await advancePast(leasedAt + LEASE_MS);
        const second = early ?? (await leaseOnceDue('w2'));
        expect(second).toMatchObject({ id, attempt: 2 });
        expect(second.owner).not.toBe(first!.owner);
        expect(await queue.get(id)).toMatchObject({ status: 'active', attempts: 2 });
      });

      it('refuses the old owner once the job was leased again', async () => {
        await queue.enqueue({ type: 't', payload: null, maxAttempts: 3 });
        const leasedAt = time.now();
        const first = (await lease('w1'))!;
        await advancePast(leasedAt + LEASE_MS);
        const second = await leaseOnceDue('w2');
        expect(await queue.heartbeat(first.id, first.owner, LEASE_MS)).toBe(false);
        expect(await queue.complete(first.id, first.owner)).toBe(false);
        expect(await queue.fail(first.id, first.owner, { error: 'late', permanent: true, retryInMs: 0 })).toBe('lease-lost');
        expect(await queue.get(first.id)).toMatchObject({ status: 'active', attempts: 2, lastError: null });
        expect(await queue.complete(second.id, second.owner)).toBe(true);
      });

      it('refuses the old owner even when the same worker re-leased the job', async () => {
        await queue.enqueue({ type: 't', payload: null, maxAttempts: 3 });
        const leasedAt = time.now();
        const first = (await lease('same-worker'))!;
        await advancePast(leasedAt + LEASE_MS);
        const second = await leaseOnceDue('same-worker');
        expect(second.owner).not.toBe(first.owner);
        expect(await queue.complete(first.id, first.owner)).toBe(false);
        expect(await queue.complete(second.id, second.owner)).toBe(true);
      });

      it('fails a job whose lease expired on its last attempt instead of leasing it again', async () => {
        const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 2 });
        let leasedAt = time.now();
        expect((await lease())?.id).toBe(id);
        await advancePast(leasedAt + LEASE_MS);
        leasedAt = time.now();
        expect((await leaseOnceDue()).id).toBe(id);
        const other = await queue.enqueue({ type: 't', payload: null, priority: 5 });
        await advancePast(leasedAt + LEASE_MS);
        // Only the other job is leasable now; the exhausted one is failed on the way. (A real-time
        // driver may notice the expiry a few polls late, and hand out the other job first.)
        const sweptFrom = time.now();
        const leasedAfterExpiry: string[] = [];
        await eventually(async () => {
          const job = await lease();
          if (job) {
            leasedAfterExpiry.push(job.id);
            expect(await queue.complete(job.id, job.owner)).toBe(true);
          }
          expect((await queue.get(id))?.status).toBe('failed');
        });
        expect(leasedAfterExpiry).toEqual([other]);
        const info = await queue.get(id);
        expect(info).toMatchObject({ status: 'failed', attempts: 2, finishedAt: timeBetween(sweptFrom, time.now()) });
        expect(info!.lastError).toMatch(/lease|worker/i);
        await waitOutAnyLease();
        expect(await lease()).toBeNull();
      });
    });

    describe('heartbeat', () => {
      it('extends the lease from now', async () => {
        await queue.enqueue({ type: 't', payload: null });
        const job = (await lease('w1'))!;
        await time.advance(LEASE_MS / 2);
        const beatAt = time.now();
        expect(await queue.heartbeat(job.id, job.owner, LEASE_MS)).toBe(true);
        // Past the end of the first lease, not of the extended one.
        const early = await leaseJustBefore(beatAt + LEASE_MS, 'w2');
        await advancePast(beatAt + LEASE_MS);
        expect((early ?? (await leaseOnceDue('w2'))).id).toBe(job.id);
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
        await time.advance(LEASE_MS / 10);
        const completedFrom = time.now();
        expect(await queue.complete(job.id, job.owner)).toBe(true);
        const completedBy = time.now();
        expect(await queue.get(id)).toMatchObject({ status: 'completed', attempts: 1, finishedAt: timeBetween(completedFrom, completedBy) });
        expect(await queue.complete(job.id, job.owner)).toBe(false);
        expect(await queue.fail(job.id, job.owner, { error: 'x', permanent: false, retryInMs: 0 })).toBe('lease-lost');
        await waitOutAnyLease();
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

    describe('pruneFinished (drivers that keep finished jobs; the janitor calls it)', () => {
      it('deletes completed and failed jobs finished before the cut, and nothing else', async (context) => {
        if (!queue.pruneFinished) return context.skip();
        const done = await queue.enqueue({ type: 't', payload: null });
        const doneJob = (await lease())!;
        await queue.complete(doneJob.id, doneJob.owner);
        const failed = await queue.enqueue({ type: 't', payload: null });
        const failedJob = (await lease())!;
        await queue.fail(failedJob.id, failedJob.owner, { error: 'bad', permanent: true, retryInMs: 0 });
        const waiting = await queue.enqueue({ type: 't', payload: null });
        const running = await queue.enqueue({ type: 'r', payload: null });
        await lease('w1', ['r']);
        expect(await queue.pruneFinished({ finishedBefore: time.now() - 60_000 })).toBe(0);
        expect(await queue.pruneFinished({ finishedBefore: time.now() + 1 })).toBe(2);
        expect(await queue.get(done)).toBeNull();
        expect(await queue.get(failed)).toBeNull();
        expect(await queue.get(waiting)).toMatchObject({ status: 'queued' });
        expect(await queue.get(running)).toMatchObject({ status: 'active' });
      });
    });

    describe('fail', () => {
      it('fails for good at once when permanent, whatever attempts remain', async () => {
        const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 5 });
        const job = (await lease())!;
        const failedFrom = time.now();
        expect(
          await queue.fail(job.id, job.owner, { error: 'unsupported codec', permanent: true, retryInMs: LEASE_MS / 10 }),
        ).toBe('failed');
        expect(await queue.get(id)).toMatchObject({
          status: 'failed',
          attempts: 1,
          lastError: 'unsupported codec',
          finishedAt: timeBetween(failedFrom, time.now()),
        });
        await waitOutAnyLease();
        expect(await lease()).toBeNull();
      });

      it('re-queues with back-off while attempts remain', async () => {
        const retryInMs = LEASE_MS / 2;
        const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 3 });
        const job = (await lease())!;
        const failedFrom = time.now();
        expect(await queue.fail(job.id, job.owner, { error: 'disk full', permanent: false, retryInMs })).toBe('retrying');
        const failedBy = time.now();
        expect(await queue.get(id)).toMatchObject({
          status: 'queued',
          attempts: 1,
          lastError: 'disk full',
          runAt: timeBetween(failedFrom + retryInMs, failedBy + retryInMs),
          finishedAt: null,
        });
        expect(await queue.complete(job.id, job.owner)).toBe(false);
        const early = await leaseJustBefore(failedFrom + retryInMs);
        await time.advance(failedBy + retryInMs - time.now());
        expect(early ?? (await leaseOnceDue())).toMatchObject({ id, attempt: 2 });
      });

      it('fails for good when the last attempt fails', async () => {
        const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 2 });
        const first = (await lease())!;
        expect(await queue.fail(first.id, first.owner, { error: 'one', permanent: false, retryInMs: 0 })).toBe('retrying');
        const second = (await lease())!;
        expect(second.attempt).toBe(2);
        const failedFrom = time.now();
        expect(await queue.fail(second.id, second.owner, { error: 'two', permanent: false, retryInMs: 0 })).toBe('failed');
        expect(await queue.get(id)).toMatchObject({
          status: 'failed',
          attempts: 2,
          lastError: 'two',
          finishedAt: timeBetween(failedFrom, time.now()),
        });
        expect(await lease()).toBeNull();
      });
    });

    describe('release', () => {
      it('hands a running job back untried: queued, runnable now, its attempt not counted', async () => {
        const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 1 });
        const job = (await lease())!;
        expect(await queue.release!(job.id, job.owner)).toBe(true);
        expect(await queue.get(id)).toMatchObject({ status: 'queued', attempts: 0, finishedAt: null });
        expect(await queue.complete(job.id, job.owner)).toBe(false);
        // Its only attempt is still there to take.
        expect(await leaseOnceDue('w2')).toMatchObject({ id, attempt: 1 });
      });

      it('is refused for a wrong owner, a finished job and an unknown job', async () => {
        const id = await queue.enqueue({ type: 't', payload: null });
        const job = (await lease())!;
        expect(await queue.release!(job.id, `${job.owner}-not`)).toBe(false);
        expect(await queue.complete(job.id, job.owner)).toBe(true);
        expect(await queue.release!(job.id, job.owner)).toBe(false);
        expect(await queue.get(id)).toMatchObject({ status: 'completed', attempts: 1 });
        expect(await queue.release!(`${job.id}x`, job.owner)).toBe(false);
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

      it('reports them per job type', async () => {
        expect(await queue.countsByType()).toEqual({});
        for (let i = 0; i < 3; i++) await queue.enqueue({ type: 'a', payload: { i } });
        await queue.enqueue({ type: 'b', payload: null });
        const job = (await lease('w1', ['b']))!;
        await queue.complete(job.id, job.owner);
        expect(await queue.countsByType()).toEqual({
          a: { queued: 3, active: 0, completed: 0, failed: 0 },
          b: { queued: 0, active: 0, completed: 1, failed: 0 },
        });
      });
    });
  });
}
