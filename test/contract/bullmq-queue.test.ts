/**
 * BullMqQueue against real Redis: the Queue contract, then our Worker over it as two processes would
 * run it (concurrency, exactly-once, a vanished worker's job recovered by the stalled check).
 *
 * Each test works under its own key prefix (test files run in parallel and share the Redis). BullMQ
 * keeps locks and delays on real time, so leases are 2 s and the stalled check runs every 100 ms;
 * the contract looks 500 ms before a deadline and allows the driver 5 s after it to act (it polls,
 * so only a busy machine waits that long). The lease is that long because a 2-core machine running
 * other suites can starve timers for hundreds of milliseconds, and a late heartbeat is a lost lease.
 */
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BullMqQueue, type BullMqQueueOptions } from '../../src/queue/bullmq-queue.js';
import type { LeasedJob } from '../../src/queue/queue.js';
import { Worker, type JobHandler } from '../../src/queue/worker.js';
import { deleteRedisPrefix, redisTestUrl, uniqueRedisPrefix } from '../helpers/redis.js';
import { queueContract, realTime } from './queue-contract.js';

const url = await redisTestUrl();
const LEASE_MS = 2_000;
const STALLED_CHECK_INTERVAL_MS = 100;

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A TCP proxy in front of Redis that a test can cut, as a network outage would. */
async function cuttableProxy(target: string) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) return void client.destroy();
    const upstream = net.connect(Number(port || 6379), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    up = false;
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut,
    restore: () => void (up = true),
    close: () => {
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Queues over one fresh prefix, as separate processes would open them; close() removes its keys. */
function redisNamespace() {
  const prefix = uniqueRedisPrefix();
  const queues: BullMqQueue[] = [];
  return {
    open(options: Partial<BullMqQueueOptions> = {}): BullMqQueue {
      const queue = new BullMqQueue({ redisUrl: url!, prefix, stalledCheckIntervalMs: STALLED_CHECK_INTERVAL_MS, ...options });
      queues.push(queue);
      return queue;
    },
    async close(): Promise<void> {
      await Promise.all(queues.map((queue) => queue.close()));
      await deleteRedisPrefix(url!, prefix);
    },
  };
}

describe.skipIf(url === null)('BullMQ on Redis', () => {
  queueContract('BullMqQueue', async () => {
    const namespace = redisNamespace();
    return {
      queue: namespace.open(),
      time: realTime({ marginMs: 500, settleMs: 5_000 }),
      leaseMs: LEASE_MS,
      openPeer: async () => namespace.open(),
      close: () => namespace.close(),
    };
  });
});

describe.skipIf(url === null)('Worker over BullMqQueue, as two processes', () => {
  let namespace: ReturnType<typeof redisNamespace>;
  let workers: Worker[];

  beforeEach(() => {
    namespace = redisNamespace();
    workers = [];
  });
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.stop({ graceMs: 0, settleMs: 100 })));
    await namespace.close();
  });

  function startWorker(options: { queue: BullMqQueue; handler: JobHandler; concurrency: number }): Worker {
    const worker = new Worker({
      queue: options.queue,
      handlers: { t: options.handler },
      concurrency: options.concurrency,
      leaseMs: LEASE_MS,
      backoffMs: 50,
      pollIntervalMs: 20,
    });
    workers.push(worker);
    worker.start();
    return worker;
  }

  it('runs every job exactly once, at most N at a time in each process', async () => {
    const processes = { a: namespace.open(), b: namespace.open() };
    const runs = new Map<string, number>();
    const ranIn = { a: 0, b: 0 };
    const running = { a: 0, b: 0 };
    const peak = { a: 0, b: 0 };
    for (const name of ['a', 'b'] as const) {
      startWorker({
        queue: processes[name],
        concurrency: 3,
        handler: async (job) => {
          runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
          ranIn[name] += 1;
          peak[name] = Math.max(peak[name], ++running[name]);
          await sleep(30); // the job's work
          running[name] -= 1;
        },
      });
    }
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => processes.a.enqueue({ type: 't', payload: { i } })));
    await vi.waitFor(async () => expect(await processes.b.counts()).toEqual({ queued: 0, active: 0, completed: 30, failed: 0 }), {
      timeout: 15_000,
    });
    expect(new Set(runs.keys())).toEqual(new Set(ids));
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(ranIn.a).toBeGreaterThan(0);
    expect(ranIn.b).toBeGreaterThan(0);
    expect(Math.max(peak.a, peak.b)).toBe(3);
  });

  it("recovers a vanished worker's job through the stalled check and runs it in the other process", async () => {
    const processes = { a: namespace.open(), b: namespace.open() };
    const firstRun = deferred<{ process: 'a' | 'b'; job: LeasedJob }>();
    const releaseFirstRun = deferred();
    const laterRuns: Array<{ process: 'a' | 'b'; job: LeasedJob }> = [];
    for (const name of ['a', 'b'] as const) {
      startWorker({
        queue: processes[name],
        concurrency: 2,
        handler: async (job) => {
          if (job.attempt > 1) return void laterRuns.push({ process: name, job });
          firstRun.resolve({ process: name, job });
          // Hangs, deaf to its abort signal, as a wedged process would.
          await releaseFirstRun.promise;
        },
      });
    }
    const id = await processes.a.enqueue({ type: 't', payload: null, maxAttempts: 3 });
    const first = await firstRun.promise;
    expect(first.job).toMatchObject({ id, attempt: 1 });

    // While its process heartbeats, the job outlives its lease and nobody else runs it.
    await sleep(1.5 * LEASE_MS);
    expect(laterRuns).toEqual([]);
    expect(await processes.a.get(id)).toMatchObject({ status: 'active', attempts: 1 });

    // The process vanishes: its connections close, so its heartbeats stop reaching Redis.
    const survivor = first.process === 'a' ? 'b' : 'a';
    await processes[first.process].close();
    await vi.waitFor(async () => expect(await processes[survivor].get(id)).toMatchObject({ status: 'completed', attempts: 2 }), {
      timeout: 10_000,
    });
    expect(laterRuns).toEqual([{ process: survivor, job: expect.objectContaining({ id, attempt: 2 }) }]);
    releaseFirstRun.resolve();
  });

  it('survives a Redis outage: no error escapes, and leasing resumes when Redis is back', async () => {
    const proxy = await cuttableProxy(url!);
    try {
      const warnings: string[] = [];
      const queue = namespace.open({
        redisUrl: proxy.url,
        logger: { info() {}, warn: (obj) => void warnings.push(String((obj as { err?: Error }).err?.message)) },
      });
      const ran: unknown[] = [];
      startWorker({ queue, concurrency: 2, handler: async (job) => void ran.push(job.payload) });
      await queue.enqueue({ type: 't', payload: 'before' });
      await vi.waitFor(() => expect(ran).toEqual(['before']), { timeout: 10_000 });

      proxy.cut();
      await sleep(2_000); // the outage: what is under test is the worker living through it
      // Logged, but once per kind of error rather than on every reconnection attempt.
      expect(warnings.length).toBeGreaterThan(0);
      expect(new Set(warnings).size).toBe(warnings.length);
      proxy.restore();

      // Enqueued through Redis directly, as an API process that never lost it would.
      await namespace.open().enqueue({ type: 't', payload: 'after' });
      await vi.waitFor(() => expect(ran).toEqual(['before', 'after']), { timeout: 10_000 });
    } finally {
      await Promise.all(workers.splice(0).map((worker) => worker.stop({ graceMs: 0, settleMs: 100 })));
      await proxy.close();
    }
  });
});
