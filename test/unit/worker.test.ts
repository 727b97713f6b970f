/**
 * The Worker against a real SqlQueue on a SQLite file. The queue reads a manual clock, so back-off
 * and lease times are exact; the worker's own timers (polling, heartbeats) run in real time, and
 * tests wait for observable states (vi.waitFor), never for fixed sleeps.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { PermanentError, UnsupportedMediaError } from '../../src/errors.js';
import type { LeasedJob, Queue } from '../../src/queue/queue.js';
import { SqlQueue } from '../../src/queue/sql-queue.js';
import { LeaseLostError, ShutdownError, Worker, type JobHandler, type WorkerLogger, type WorkerOptions } from '../../src/queue/worker.js';
import { ManualClock } from '../contract/queue-contract.js';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function recordingLogger() {
  const entries: Array<{ level: string; obj: object; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj, msg });
  const logger: WorkerLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, entries };
}

/** Resolves when the signal aborts, with its reason. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

describe('Worker', () => {
  let dir: string;
  let handle: DatabaseHandle;
  let clock: ManualClock;
  let queue: SqlQueue;
  let workers: Worker[];
  let log: ReturnType<typeof recordingLogger>;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sf-worker-'));
    handle = openDatabase(`sqlite:${path.join(dir, 'worker.db')}`);
    await migrateToLatest(handle.db);
    clock = new ManualClock();
    queue = new SqlQueue({ db: handle.db, dialect: handle.dialect, now: () => clock.now() });
    workers = [];
    log = recordingLogger();
  });
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.stop({ graceMs: 0, settleMs: 100 })));
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  });

  function startWorker(handlers: Record<string, JobHandler>, options: Partial<WorkerOptions> = {}): Worker {
    const worker = new Worker({
      queue,
      handlers,
      concurrency: 1,
      leaseMs: 30_000,
      backoffMs: 1_000,
      pollIntervalMs: 10,
      workerId: 'test-worker',
      logger: log.logger,
      ...options,
    });
    workers.push(worker);
    worker.start();
    return worker;
  }

  const statusOf = async (id: string) => (await queue.get(id))?.status;

  it('runs a job and completes it', async () => {
    const seen: LeasedJob[] = [];
    const id = await queue.enqueue({ type: 'video.process', payload: { videoId: 'v1' } });
    startWorker({
      'video.process': async (job, ctx) => {
        expect(ctx.signal.aborted).toBe(false);
        await ctx.heartbeat();
        seen.push(job);
      },
    });
    await vi.waitFor(async () => expect(await statusOf(id)).toBe('completed'));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id, type: 'video.process', payload: { videoId: 'v1' }, attempt: 1 });
    expect(seen[0]!.owner).toMatch(/^test-worker:/);
  });

  it('wakes at once on notify() instead of waiting for the next poll', async () => {
    const ran = deferred<string>();
    const worker = startWorker({ t: async (job) => ran.resolve(job.id) }, { pollIntervalMs: 60_000 });
    // Let the first (empty) poll finish, so the worker is idle for a minute.
    await vi.waitFor(() => expect(worker.activeJobs).toBe(0));
    const id = await queue.enqueue({ type: 't', payload: null });
    worker.notify();
    expect(await ran.promise).toBe(id);
  });

  it('retries with exponential back-off, capped, until the handler succeeds', async () => {
    const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 5 });
    const attempts: number[] = [];
    const worker = startWorker(
      {
        t: async (job) => {
          attempts.push(job.attempt);
          if (job.attempt < 4) throw new Error(`transient ${job.attempt}`);
        },
      },
      { backoffMs: 1_000, maxBackoffMs: 3_000 },
    );
    for (const [attempt, delayMs] of [[1, 1_000], [2, 2_000], [3, 3_000]] as const) {
      await vi.waitFor(async () => expect(await queue.get(id)).toMatchObject({ status: 'queued', attempts: attempt }));
      const info = (await queue.get(id))!;
      expect(info.runAt).toBe(clock.now() + delayMs);
      expect(info.lastError).toBe(`transient ${attempt}`);
      clock.advance(delayMs - 1);
      worker.notify();
      expect(await statusOf(id)).toBe('queued');
      clock.advance(1);
      worker.notify();
    }
    await vi.waitFor(async () => expect(await queue.get(id)).toMatchObject({ status: 'completed', attempts: 4 }));
    expect(attempts).toEqual([1, 2, 3, 4]);
  });

  it('fails at once on a PermanentError, subclasses included', async () => {
    const plain = await queue.enqueue({ type: 't', payload: 'plain', maxAttempts: 5 });
    const sub = await queue.enqueue({ type: 't', payload: 'sub', maxAttempts: 5 });
    startWorker({
      t: async (job) => {
        throw job.payload === 'plain' ? new PermanentError('corrupt upload') : new UnsupportedMediaError('no video stream');
      },
    });
    await vi.waitFor(async () => expect(await queue.counts()).toMatchObject({ failed: 2 }));
    expect(await queue.get(plain)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'corrupt upload' });
    expect(await queue.get(sub)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'no video stream' });
  });

  it('fails for good when the last attempt throws, also for non-Error throws', async () => {
    const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 1 });
    startWorker({
      t: async () => {
        throw 'a bare string';
      },
    });
    await vi.waitFor(async () => expect(await queue.get(id)).toMatchObject({ status: 'failed', lastError: 'a bare string' }));
  });

  it('heartbeats every leaseMs/3 while a handler runs, so the lease never expires', async () => {
    const release = deferred();
    const started = deferred();
    const id = await queue.enqueue({ type: 't', payload: null });
    startWorker(
      {
        t: async () => {
          started.resolve();
          await release.promise;
        },
      },
      { leaseMs: 300 },
    );
    await started.promise;
    const peer = new SqlQueue({ db: handle.db, dialect: handle.dialect, now: () => clock.now() });
    const leaseExpiresAt = async () =>
      (await handle.db.selectFrom('jobs').select('lease_expires_at').where('id', '=', id).executeTakeFirstOrThrow()).lease_expires_at;
    for (let i = 0; i < 3; i++) {
      clock.advance(200);
      await vi.waitFor(async () => expect(await leaseExpiresAt()).toBe(clock.now() + 300));
      expect(await peer.lease({ types: ['t'], owner: 'peer', leaseMs: 300 })).toBeNull();
    }
    release.resolve();
    await vi.waitFor(async () => expect(await queue.get(id)).toMatchObject({ status: 'completed', attempts: 1 }));
  });

  it('aborts the handler with a LeaseLostError when a heartbeat finds the lease gone, and records nothing', async () => {
    const started = deferred<LeasedJob>();
    const seen = deferred<{ reason: unknown; manualBeat: unknown }>();
    const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 3 });
    startWorker(
      {
        t: async (job, ctx) => {
          started.resolve(job);
          const reason = await aborted(ctx.signal);
          const manualBeat = await ctx.heartbeat().catch((err: unknown) => err);
          seen.resolve({ reason, manualBeat });
          throw reason;
        },
      },
      { leaseMs: 300 },
    );
    const job = await started.promise;
    // What another worker's lease of the expired job does to the row: a new owner, one more attempt.
    await handle.db
      .updateTable('jobs')
      .set((eb) => ({ lease_owner: 'other-worker:lease', attempts: eb('attempts', '+', 1) }))
      .where('id', '=', job.id)
      .execute();
    const { reason, manualBeat } = await seen.promise;
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(manualBeat).toBeInstanceOf(LeaseLostError);
    await vi.waitFor(() => expect(workers[0]!.activeJobs).toBe(0));
    const row = await handle.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'active', lease_owner: 'other-worker:lease', attempts: 2, last_error: null });
    expect(log.entries.some((e) => e.level === 'warn' && /lease/.test(e.msg ?? ''))).toBe(true);
  });

  it('runs at most `concurrency` jobs at once', async () => {
    const releases = new Map<string, () => void>();
    let running = 0;
    let peak = 0;
    const ids = await Promise.all([1, 2, 3, 4].map((i) => queue.enqueue({ type: 't', payload: { i } })));
    const worker = startWorker(
      {
        t: async (job) => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise<void>((resolve) => releases.set(job.id, resolve));
          running -= 1;
        },
      },
      { concurrency: 2 },
    );
    await vi.waitFor(() => expect(releases.size).toBe(2));
    expect(worker.activeJobs).toBe(2);
    expect((await queue.counts()).queued).toBe(2);
    for (const release of releases.values()) release();
    await vi.waitFor(() => expect(releases.size).toBe(4));
    for (const release of releases.values()) release();
    await vi.waitFor(async () => expect((await queue.counts()).completed).toBe(4));
    expect(peak).toBe(2);
    expect(new Set(releases.keys())).toEqual(new Set(ids));
  });

  it('keeps running when leasing throws, logging the error', async () => {
    let failuresLeft = 2;
    const flaky: Queue = {
      enqueue: (o) => queue.enqueue(o),
      lease: async (o) => {
        if (failuresLeft-- > 0) throw new Error('database is locked');
        return queue.lease(o);
      },
      heartbeat: (...a) => queue.heartbeat(...a),
      complete: (...a) => queue.complete(...a),
      fail: (...a) => queue.fail(...a),
      get: (id) => queue.get(id),
      counts: () => queue.counts(),
      countsByType: () => queue.countsByType(),
    };
    const id = await queue.enqueue({ type: 't', payload: null });
    startWorker({ t: async () => {} }, { queue: flaky });
    await vi.waitFor(async () => expect(await statusOf(id)).toBe('completed'));
    expect(log.entries.filter((e) => e.level === 'error' && /leas/.test(e.msg ?? ''))).toHaveLength(2);
  });

  describe('stop()', () => {
    it('stops leasing and waits for running handlers that finish within the grace period', async () => {
      const release = deferred();
      const started = deferred();
      const id = await queue.enqueue({ type: 't', payload: null });
      const worker = startWorker({
        t: async () => {
          started.resolve();
          await release.promise;
        },
      });
      await started.promise;
      let stopped = false;
      const stopping = worker.stop({ graceMs: 30_000 }).then(() => (stopped = true));
      const later = await queue.enqueue({ type: 't', payload: null });
      worker.notify();
      expect(stopped).toBe(false);
      release.resolve();
      await stopping;
      expect(await statusOf(id)).toBe('completed');
      expect(await statusOf(later)).toBe('queued');
      expect(worker.activeJobs).toBe(0);
    });

    it('aborts handlers still running after the grace period and hands their jobs back at once, attempt not counted', async () => {
      const started = deferred();
      let reason: unknown;
      // One attempt: a shutdown must not use it up.
      const id = await queue.enqueue({ type: 't', payload: null, maxAttempts: 1 });
      const worker = startWorker({
        t: async (_job, ctx) => {
          started.resolve();
          reason = await aborted(ctx.signal);
          throw reason;
        },
      });
      await started.promise;
      await worker.stop({ graceMs: 20 });
      expect(reason).toBeInstanceOf(ShutdownError);
      const info = (await queue.get(id))!;
      expect(info).toMatchObject({ status: 'queued', attempts: 0, runAt: clock.now(), lastError: null });
    });

    it('completes a job whose handler still succeeds after the abort', async () => {
      const started = deferred();
      const id = await queue.enqueue({ type: 't', payload: null });
      const worker = startWorker({
        t: async (_job, ctx) => {
          started.resolve();
          await aborted(ctx.signal);
        },
      });
      await started.promise;
      await worker.stop({ graceMs: 10 });
      expect(await statusOf(id)).toBe('completed');
    });

    it('abandons a handler that ignores its signal, after settleMs', async () => {
      const started = deferred();
      const never = deferred();
      const id = await queue.enqueue({ type: 't', payload: null });
      const worker = startWorker({
        t: async () => {
          started.resolve();
          await never.promise;
        },
      });
      await started.promise;
      await worker.stop({ graceMs: 10, settleMs: 10 });
      expect(log.entries.some((e) => e.level === 'error' && /abandon/.test(e.msg ?? ''))).toBe(true);
      expect(await statusOf(id)).toBe('active');
      // Let it finish so the database closes cleanly; it still holds its lease.
      never.resolve();
      await vi.waitFor(async () => expect(await statusOf(id)).toBe('completed'));
    });

    it('can be called before start and twice at once', async () => {
      const worker = new Worker({ queue, handlers: {}, concurrency: 1, leaseMs: 1_000, backoffMs: 100 });
      await worker.stop();
      worker.start();
      await Promise.all([worker.stop({ graceMs: 0 }), worker.stop({ graceMs: 0 })]);
    });
  });
});
