/**
 * The scale-out Queue driver: BullMQ on Redis (REDIS_URL), so many worker processes share the jobs.
 * It passes the same contract suite as the SQL queue (test/contract/queue-contract.ts).
 *
 * One BullMQ queue per job type, keys `<prefix>:queue:<type>:…`, worked through BullMQ's documented
 * *manual processing* API (https://docs.bullmq.io/patterns/manually-fetching-jobs): a BullMQ Worker
 * without a processor per type, `getNextJob(token, { block: false })` to lease, `extendLock` to
 * heartbeat, `moveToCompleted` / `moveToFailed` to finish. Our Worker (worker.ts) keeps doing the
 * heartbeats, aborts and back-off; BullMQ is only the store.
 *
 * How our contract maps onto BullMQ:
 * - Lease = BullMQ lock; `LeasedJob.owner` is the lock token (`<owner>:<uuid>`, new per lease), so a
 *   stale owner's heartbeat/complete/fail finds another token (or none) and is refused.
 * - Attempt = BullMQ `attemptsStarted`, which every move to active increments — also the re-run of a
 *   stalled job (lease expired), exactly as our contract counts it.
 * - Lease expiry = BullMQ's stalled check (`startStalledCheckTimer`, every `stalledCheckIntervalMs`):
 *   an active job whose lock expired goes back to wait. BullMQ's own stall limit (`maxStalledCount`)
 *   is global and separate from attempts, so it is switched off; instead a job that comes back with
 *   `attemptsStarted > attempts` had its lease expire on its last attempt, and lease() fails it (the
 *   same thing BullMQ's `maxStartedAttempts` does, but per job).
 * - Retries: we decide (permanent, or attempts used up → `UnrecoverableError`, which BullMQ never
 *   retries); otherwise `moveToFailed` with a RetryLaterError and every job's `backoff` set to our
 *   custom strategy, which returns the error's `retryInMs`. That is BullMQ's documented custom
 *   back-off hook, and unlike `moveToDelayed` it records the error and counts the attempt.
 * - Dedupe = deterministic BullMQ job id (`d-<sha256(key)>`): BullMQ adds nothing when the id exists,
 *   finished or not. Finished jobs are kept (as the SQL queue keeps its rows), which is what makes
 *   "dedupes against a finished job too" hold — for FINISHED_JOB_RETENTION_SECONDS (14 days), after
 *   which BullMQ removes them (the SQL queue keeps its rows). Keys dedupe within one job type.
 *
 * Two Redis connections: `commands` (enqueue, get, counts) keeps ioredis' bounded retries, so an
 * API call fails after ~10 s of outage instead of hanging; `workers` has `maxRetriesPerRequest:
 * null`, as BullMQ requires for workers, so leases and heartbeats wait out an outage and resume.
 * Every emitter has an error listener: an outage is logged once, never an uncaught 'error' event.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Job, Queue as BullQueue, UnrecoverableError, Worker as BullWorker, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { EnqueueOptions, FailOptions, FailOutcome, JobInfo, JobStatus, LeasedJob, Queue } from './queue.js';
import type { WorkerLogger } from './worker.js';

export interface BullMqQueueOptions {
  /** redis:// or rediss:// URL (config.redisUrl). */
  redisUrl: string;
  /** Key prefix (config.redisPrefix): queues live under `<prefix>:queue:<type>:…`. */
  prefix: string;
  /** maxAttempts of jobs enqueued without one (default 5, as config.jobMaxAttempts). */
  defaultMaxAttempts?: number;
  /**
   * How often a leasing process looks for jobs whose lease expired (default 5 s). A dead worker's
   * job is leased again at most this long after its lease ran out.
   */
  stalledCheckIntervalMs?: number;
  logger?: Pick<WorkerLogger, 'info' | 'warn'>;
}

/** How long completed and failed jobs are kept (and dedupe keys hold after a job finished). */
const FINISHED_JOB_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** A call on a queue after close(). */
export class QueueClosedError extends Error {
  override name = 'QueueClosedError';
  constructor() {
    super('the queue is closed');
  }
}

/** What fail() hands BullMQ for a retry; our back-off strategy reads the delay from it. */
class RetryLaterError extends Error {
  override name = 'RetryLaterError';
  constructor(message: string, readonly retryInMs: number) {
    super(message);
  }
}

/** BullMQ priorities are 1 … 2^21-1, lower first (0 means "none" and would jump ahead of all). */
const PRIORITY_OFFSET = 2 ** 20;
const MAX_PRIORITY = PRIORITY_OFFSET - 1;
const RETRY_BACKOFF = 'streamforge-retry';
const MAX_ERROR_CHARS = 4000;
const DEFAULT_STALLED_CHECK_INTERVAL_MS = 5_000;
const ERROR_LOG_INTERVAL_MS = 60_000;
/** Lock length of workers made for heartbeat/complete/fail before any lease (never used to lock). */
const DEFAULT_LOCK_MS = 30_000;

const silentLogger: Pick<WorkerLogger, 'info' | 'warn'> = { info() {}, warn() {} };

interface JobRef {
  type: string;
  bullId: string;
}

/** The BullMQ worker of one job type; `checking` once its stalled-job check runs. */
interface TypeWorker {
  worker: BullWorker;
  lockMs: number;
  checking: boolean;
}

export class BullMqQueue implements Queue {
  private readonly prefix: string;
  private readonly typesKey: string;
  private readonly defaultMaxAttempts: number;
  private readonly stalledCheckIntervalMs: number;
  private readonly logger: Pick<WorkerLogger, 'info' | 'warn'>;
  private readonly commands: Redis;
  private readonly workersConnection: Redis;
  private readonly queues = new Map<string, BullQueue>();
  private readonly workers = new Map<string, TypeWorker>();
  private readonly registeredTypes = new Set<string>();
  /** When each error message was last logged: an outage logs its few messages, not every reconnect. */
  private readonly errorsLoggedAt = new Map<string, number>();
  private closed = false;

  constructor(options: BullMqQueueOptions) {
    this.prefix = `${options.prefix}:queue`;
    this.typesKey = `${options.prefix}:queue-types`;
    this.defaultMaxAttempts = options.defaultMaxAttempts ?? 5;
    this.stalledCheckIntervalMs = options.stalledCheckIntervalMs ?? DEFAULT_STALLED_CHECK_INTERVAL_MS;
    this.logger = options.logger ?? silentLogger;
    assertPositiveInteger('defaultMaxAttempts', this.defaultMaxAttempts);
    assertPositiveInteger('stalledCheckIntervalMs', this.stalledCheckIntervalMs);
    this.commands = this.watch(new Redis(options.redisUrl));
    this.workersConnection = this.watch(new Redis(options.redisUrl, { maxRetriesPerRequest: null }));
  }

  async enqueue<P>(options: EnqueueOptions<P>): Promise<string> {
    this.assertOpen();
    assertJobType(options.type);
    const maxAttempts = options.maxAttempts ?? this.defaultMaxAttempts;
    const priority = options.priority ?? 0;
    assertPositiveInteger('maxAttempts', maxAttempts);
    if (!Number.isSafeInteger(priority) || Math.abs(priority) > MAX_PRIORITY) {
      throw new RangeError(`priority must be an integer within ±${MAX_PRIORITY}, got ${priority}`);
    }
    if (options.runAt !== undefined && !Number.isFinite(options.runAt)) throw new RangeError(`runAt must be epoch ms, got ${options.runAt}`);
    const now = Date.now();
    const jobOptions: JobsOptions = {
      // One clock reading for both, so timestamp + delay is exactly runAt and equal runAts stay FIFO.
      timestamp: now,
      delay: options.runAt === undefined ? 0 : Math.max(0, Math.floor(options.runAt) - now),
      priority: PRIORITY_OFFSET + priority,
      attempts: maxAttempts,
      backoff: { type: RETRY_BACKOFF },
      jobId: options.dedupeKey === undefined ? undefined : dedupeJobId(options.dedupeKey),
      // Finished jobs stay long enough to dedupe against (the reconciler asks about a video's job
      // while it is processing), then go: unbounded, they would cost ~1.5 KB of Redis memory each.
      removeOnComplete: { age: FINISHED_JOB_RETENTION_SECONDS },
      removeOnFail: { age: FINISHED_JOB_RETENTION_SECONDS },
      stackTraceLimit: 0,
    };
    await this.registerType(options.type);
    const job = await this.queueFor(options.type).add(options.type, options.payload ?? null, jobOptions);
    if (!job.id) throw new Error(`enqueue: BullMQ returned no id for a ${options.type} job`);
    return formatJobId({ type: options.type, bullId: job.id });
  }

  async lease(options: { types: string[]; owner: string; leaseMs: number }): Promise<LeasedJob | null> {
    this.assertOpen();
    assertPositiveInteger('leaseMs', options.leaseMs);
    // Types are tried in the order given; priorities order jobs within a type.
    for (const type of options.types) {
      assertJobType(type);
      const entry = await this.leasingWorkerFor(type, options.leaseMs);
      const token = `${options.owner}:${randomUUID()}`;
      for (;;) {
        const job = await entry.worker.getNextJob(token, { block: false });
        if (!job?.id) break;
        const maxAttempts = job.opts.attempts ?? this.defaultMaxAttempts;
        if (job.attemptsStarted > maxAttempts) {
          await this.failExhausted(job, token, maxAttempts);
          continue;
        }
        // The lock was taken with the worker's lockDuration; a caller with another lease length gets it now.
        if (entry.lockMs !== options.leaseMs) await job.extendLock(token, options.leaseMs);
        return {
          id: formatJobId({ type, bullId: job.id }),
          type,
          payload: job.data as unknown,
          attempt: job.attemptsStarted,
          maxAttempts,
          owner: token,
        };
      }
    }
    return null;
  }

  async heartbeat(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    this.assertOpen();
    assertPositiveInteger('leaseMs', leaseMs);
    const found = await this.findJob(jobId, 'worker');
    // extendLock sets the lock only while it holds this owner's token.
    return found !== null && (await found.job.extendLock(owner, leaseMs)) === 1;
  }

  async complete(jobId: string, owner: string): Promise<boolean> {
    this.assertOpen();
    const found = await this.findJob(jobId, 'worker');
    if (!found) return false;
    try {
      await found.job.moveToCompleted(null, owner, false);
      return true;
    } catch (err) {
      await this.rethrowUnlessLeaseLost(err, found.ref, owner);
      return false;
    }
  }

  async fail(jobId: string, owner: string, options: FailOptions): Promise<FailOutcome> {
    this.assertOpen();
    const found = await this.findJob(jobId, 'worker');
    if (!found) return 'lease-lost';
    const { job } = found;
    const maxAttempts = job.opts.attempts ?? this.defaultMaxAttempts;
    // attemptsStarted cannot change under us: only a new lease raises it, and that takes the lock,
    // which moveToFailed checks. BullMQ agrees with a retry decided here because its own test,
    // attemptsMade + 1 < attempts, holds whenever attemptsStarted < attempts.
    const giveUp = options.permanent || job.attemptsStarted >= maxAttempts;
    const message = truncate(options.error);
    const error = giveUp
      ? new UnrecoverableError(message)
      : new RetryLaterError(message, Math.max(0, Math.ceil(options.retryInMs) || 0));
    try {
      await job.moveToFailed(error, owner, false);
    } catch (err) {
      await this.rethrowUnlessLeaseLost(err, found.ref, owner);
      return 'lease-lost';
    }
    return giveUp ? 'failed' : 'retrying';
  }

  async release(jobId: string, owner: string): Promise<boolean> {
    this.assertOpen();
    const found = await this.findJob(jobId, 'worker');
    if (!found) return false;
    try {
      // Checks and removes our lock, then back to wait (or prioritized) with no delay.
      await found.job.moveToWait(owner);
    } catch (err) {
      await this.rethrowUnlessLeaseLost(err, found.ref, owner);
      return false;
    }
    // moveToWait keeps the start count (`ats`, attemptsStarted): give the interrupted attempt back.
    // Done after the move, so it can never touch a job we no longer held; a worker that leased it in
    // between reports one attempt more than it stores, and the stored count is the true one.
    await this.commands.hincrby(this.queueFor(found.ref.type).toKey(found.ref.bullId), 'ats', -1);
    return true;
  }

  async get(jobId: string): Promise<JobInfo | null> {
    this.assertOpen();
    const found = await this.findJob(jobId, 'queue');
    if (!found) return null;
    const { job, ref } = found;
    const state = await job.getState();
    const maxAttempts = job.opts.attempts ?? this.defaultMaxAttempts;
    return {
      id: jobId,
      type: ref.type,
      payload: job.data as unknown,
      status: toJobStatus(state),
      // An exhausted job is failed by the lease that started it once more (see lease()); that
      // extra start was never an attempt.
      attempts: Math.min(job.attemptsStarted, maxAttempts),
      maxAttempts,
      lastError: job.failedReason || null,
      runAt: state === 'delayed' ? await this.delayedUntil(ref) : job.timestamp + (job.opts.delay ?? 0),
      createdAt: job.timestamp,
      finishedAt: job.finishedOn ?? null,
    };
  }

  async counts(): Promise<Record<JobStatus, number>> {
    const counts: Record<JobStatus, number> = { queued: 0, active: 0, completed: 0, failed: 0 };
    for (const byStatus of Object.values(await this.countsByType())) {
      for (const status of Object.keys(counts) as JobStatus[]) counts[status] += byStatus[status];
    }
    return counts;
  }

  async countsByType(): Promise<Record<string, Record<JobStatus, number>>> {
    this.assertOpen();
    const counts: Record<string, Record<JobStatus, number>> = {};
    for (const type of await this.commands.smembers(this.typesKey)) {
      const byState = await this.queueFor(type).getJobCounts(
        'waiting', 'paused', 'delayed', 'prioritized', 'waiting-children', 'active', 'completed', 'failed',
      );
      const byStatus: Record<JobStatus, number> = { queued: 0, active: 0, completed: 0, failed: 0 };
      for (const [state, count] of Object.entries(byState)) byStatus[toJobStatus(state)] += count;
      counts[type] = byStatus;
    }
    return counts;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Workers and queues borrow our connections (BullMQ does not close a passed-in client);
    // each worker closes the blocking connection it made for itself.
    await Promise.allSettled([...this.workers.values()].map(({ worker }) => worker.close()));
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    await Promise.allSettled([this.commands.quit(), this.workersConnection.quit()]);
  }

  private async failExhausted(job: Job, token: string, maxAttempts: number): Promise<void> {
    const previous = job.failedReason ? `; previous error: ${job.failedReason}` : '';
    const message = `worker lost: the lease of attempt ${maxAttempts} of ${maxAttempts} expired${previous}`;
    await job.moveToFailed(new UnrecoverableError(truncate(message)), token, false);
    this.logger.warn({ jobId: job.id, queue: job.queueName }, message);
  }

  /**
   * BullMQ reports a lost lock as a plain Error ("Missing lock", "Lock mismatch", "not in the active
   * state"). Rather than parse messages, ask Redis: if the lock is not ours, the lease was lost; if
   * it still is, the failure was something else and is rethrown (as is an unreachable Redis).
   */
  private async rethrowUnlessLeaseLost(err: unknown, ref: JobRef, owner: string): Promise<void> {
    const lockKey = `${this.queueFor(ref.type).toKey(ref.bullId)}:lock`;
    if ((await this.workersConnection.get(lockKey)) === owner) throw err;
  }

  private async findJob(jobId: string, via: 'queue' | 'worker'): Promise<{ job: Job; ref: JobRef } | null> {
    const ref = parseJobId(jobId);
    if (!ref) return null;
    // Jobs read through a worker run their scripts on the worker connection and see its back-off strategy.
    const source = via === 'worker' ? this.workerFor(ref.type, DEFAULT_LOCK_MS).worker : this.queueFor(ref.type);
    const job = await Job.fromId(source, ref.bullId);
    return job ? { job, ref } : null;
  }

  /** When a delayed job becomes due: its score in the delayed set is `dueMs * 0x1000 + n`. */
  private async delayedUntil(ref: JobRef): Promise<number> {
    const score = await this.commands.zscore(this.queueFor(ref.type).toKey('delayed'), ref.bullId);
    return score === null ? Date.now() : Math.floor(Number(score) / 0x1000);
  }

  private async registerType(type: string): Promise<void> {
    if (this.registeredTypes.has(type)) return;
    await this.commands.sadd(this.typesKey, type);
    this.registeredTypes.add(type);
  }

  private queueFor(type: string): BullQueue {
    let queue = this.queues.get(type);
    if (!queue) {
      queue = new BullQueue(type, { connection: this.commands, prefix: this.prefix });
      queue.on('error', (err) => this.logError(err));
      this.queues.set(type, queue);
    }
    return queue;
  }

  private workerFor(type: string, lockMs: number): TypeWorker {
    let entry = this.workers.get(type);
    if (!entry) {
      const worker = new BullWorker(type, null, {
        connection: this.workersConnection,
        prefix: this.prefix,
        autorun: false,
        lockDuration: lockMs,
        stalledInterval: this.stalledCheckIntervalMs,
        // Lease expiry counts as an attempt and is judged per job in lease(); BullMQ's per-queue
        // stall limit would fail jobs regardless of their own maxAttempts.
        maxStalledCount: Number.MAX_SAFE_INTEGER,
        settings: { backoffStrategy: retryBackoff },
      });
      worker.on('error', (err) => this.logError(err));
      entry = { worker, lockMs, checking: false };
      this.workers.set(type, entry);
    }
    return entry;
  }

  /** The worker of a type that this process leases from, with the stalled-job check running. */
  private async leasingWorkerFor(type: string, leaseMs: number): Promise<TypeWorker> {
    const entry = this.workerFor(type, leaseMs);
    if (!entry.checking) {
      entry.checking = true;
      await entry.worker.startStalledCheckTimer();
    }
    return entry;
  }

  private watch(client: Redis): Redis {
    client.on('error', (err: Error) => this.logError(err));
    client.on('ready', () => {
      if (this.errorsLoggedAt.size === 0) return;
      this.errorsLoggedAt.clear();
      this.logger.info({}, 'queue: redis connection restored');
    });
    return client;
  }

  private logError(err: Error): void {
    const now = Date.now();
    if (now - (this.errorsLoggedAt.get(err.message) ?? -Infinity) < ERROR_LOG_INTERVAL_MS) return;
    this.errorsLoggedAt.set(err.message, now);
    this.logger.warn({ err }, 'queue: redis error');
  }

  private assertOpen(): void {
    if (this.closed) throw new QueueClosedError();
  }
}

/** BullMQ's custom back-off hook (settings.backoffStrategy): the delay fail() asked for. */
function retryBackoff(_attemptsMade: number, _type?: string, err?: Error): number {
  return err instanceof RetryLaterError ? err.retryInMs : 0;
}

/** Our id `<type>:<BullMQ id>`, so get(id) knows the queue; neither part may contain ':'. */
function formatJobId(ref: JobRef): string {
  return `${ref.type}:${ref.bullId}`;
}

function parseJobId(jobId: string): JobRef | null {
  const colon = jobId.indexOf(':');
  if (colon <= 0 || colon === jobId.length - 1) return null;
  const bullId = jobId.slice(colon + 1);
  return bullId.includes(':') ? null : { type: jobId.slice(0, colon), bullId };
}

/** Not an integer (BullMQ reserves those for its own ids) and no ':' (BullMQ forbids it). */
function dedupeJobId(dedupeKey: string): string {
  return `d-${createHash('sha256').update(dedupeKey).digest('base64url')}`;
}

function toJobStatus(state: string): JobStatus {
  if (state === 'active' || state === 'completed' || state === 'failed') return state;
  // waiting, paused, prioritized, delayed, waiting-children; 'unknown' only mid-move.
  return 'queued';
}

function assertJobType(type: string): void {
  if (!/^[^:\s]+$/.test(type)) throw new RangeError(`job type must be non-empty without ':' or spaces, got ${JSON.stringify(type)}`);
}

function truncate(message: string): string {
  return message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS - 1)}…` : message;
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}
