/**
 * Runs queued jobs: leases up to `concurrency` jobs of the types it has handlers for, keeps their
 * leases alive with heartbeats while the handlers run, and records the outcome — complete, retry
 * with exponential back-off, or fail for good on a PermanentError.
 *
 * Handlers get an AbortSignal. It fires with a LeaseLostError when a heartbeat finds the lease gone
 * (another worker now owns the job, so this one must stop touching its outputs), and with a
 * ShutdownError when stop() runs out of grace.
 *
 * stop() and running jobs: leasing stops at once; running handlers get `graceMs` to finish; the rest
 * are aborted, and once a handler settles its job is handed back to the queue (Queue.release: queued,
 * runnable now, the attempt not counted), so a restarted or other worker takes it at once instead of
 * waiting out the lease, and a shutdown never uses up a job's attempts. A driver without release()
 * fails the attempt with no delay instead (it counts). A handler that ignores its
 * signal for `settleMs` more is abandoned: its heartbeats have stopped, so its lease expires and the
 * job is leased again elsewhere.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { PermanentError } from '../errors.js';
import type { FailOutcome, LeasedJob, Queue } from './queue.js';

export interface JobContext {
  /** Aborted with a LeaseLostError or a ShutdownError; pass it to ffmpeg runs and fetches. */
  signal: AbortSignal;
  /** Extends the lease now (the worker also does so every leaseMs/3); throws LeaseLostError when lost. */
  heartbeat(): Promise<void>;
}

export type JobHandler = (job: LeasedJob, ctx: JobContext) => Promise<void>;

/** How one attempt of a job ended, for observers such as the metrics (src/observability/metrics.ts). */
export interface JobAttemptReport {
  type: string;
  attempt: number;
  /** From the handler's start to its end. */
  durationMs: number;
  /** `interrupted`: stopped by a worker shutdown and handed back to the queue. */
  outcome: 'completed' | 'interrupted' | FailOutcome;
  /** Why it did not complete: the handler's error, or the LeaseLostError / ShutdownError that aborted it. */
  error?: unknown;
}

/** The subset of pino the worker uses. */
export interface WorkerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WorkerOptions {
  queue: Queue;
  /** By job type; the worker leases only these types. */
  handlers: Record<string, JobHandler>;
  /** Jobs run at once; 0 runs nothing. */
  concurrency: number;
  leaseMs: number;
  /** Delay before the first retry; doubles on every further attempt. */
  backoffMs: number;
  /** Longest retry delay (default 10 min). */
  maxBackoffMs?: number;
  /** How often an idle worker looks for jobs (default 500 ms); notify() wakes it sooner. */
  pollIntervalMs?: number;
  /** Prefix of every lease owner (default `<hostname>:<pid>:<random>`). */
  workerId?: string;
  logger?: WorkerLogger;
  /** Told of every attempt once its outcome is recorded; must not throw. */
  onAttemptEnded?: (report: JobAttemptReport) => void;
}

export interface StopOptions {
  /** How long running handlers may take to finish before they are aborted (default 30 s). */
  graceMs?: number;
  /** After the abort, how long to wait for handlers to settle before abandoning them (default 5 s). */
  settleMs?: number;
}

export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor(readonly jobId: string) {
    super(`lost the lease of job ${jobId}; another worker may own it now`);
  }
}

export class ShutdownError extends Error {
  override name = 'ShutdownError';
  constructor() {
    super('worker shut down before the job finished');
  }
}

const DEFAULT_MAX_BACKOFF_MS = 10 * 60_000;
const DEFAULT_POLL_INTERVAL_MS = 500;
const DEFAULT_GRACE_MS = 30_000;
const DEFAULT_SETTLE_MS = 5_000;

const silentLogger: WorkerLogger = { debug() {}, info() {}, warn() {}, error() {} };

interface RunningJob {
  job: LeasedJob;
  controller: AbortController;
  stopHeartbeats(): void;
  done: Promise<void>;
}

export class Worker {
  private readonly queue: Queue;
  private readonly handlers: Record<string, JobHandler>;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly pollIntervalMs: number;
  private readonly workerId: string;
  private readonly logger: WorkerLogger;
  private readonly onAttemptEnded: ((report: JobAttemptReport) => void) | undefined;

  private readonly running = new Set<RunningJob>();
  private loopDone: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private stopRequested = false;
  /** Set by notify() and finished jobs; makes the next idle wait return at once. */
  private wakeRequested = false;
  private wakeWaiter: (() => void) | null = null;

  constructor(options: WorkerOptions) {
    this.queue = options.queue;
    this.handlers = { ...options.handlers };
    this.concurrency = options.concurrency;
    this.leaseMs = options.leaseMs;
    this.backoffMs = options.backoffMs;
    this.maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.logger = options.logger ?? silentLogger;
    this.onAttemptEnded = options.onAttemptEnded;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 0) {
      throw new RangeError(`concurrency must be a non-negative integer, got ${this.concurrency}`);
    }
    if (!Number.isInteger(this.leaseMs) || this.leaseMs < 3) throw new RangeError(`leaseMs must be an integer ≥ 3, got ${this.leaseMs}`);
  }

  /** Jobs whose handlers are running now. */
  get activeJobs(): number {
    return this.running.size;
  }

  /** Starts leasing; a no-op when already running. */
  start(): void {
    if (this.loopDone || this.stopping) return;
    this.stopRequested = false;
    this.loopDone = this.loop();
  }

  /** Wakes an idle worker now, e.g. right after an in-process enqueue. */
  notify(): void {
    this.wakeRequested = true;
    this.wakeWaiter?.();
  }

  /** Stops leasing, then waits for, aborts and settles running jobs as the header describes. */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.shutdown(options).finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  private async shutdown({ graceMs = DEFAULT_GRACE_MS, settleMs = DEFAULT_SETTLE_MS }: StopOptions): Promise<void> {
    this.stopRequested = true;
    this.notify();
    // A lease in flight finishes first, so no job starts after this point.
    await this.loopDone;
    this.loopDone = null;
    const pending = [...this.running];
    if (pending.length === 0) return;
    const allSettled = Promise.all(pending.map((running) => running.done));
    if (await settlesWithin(allSettled, graceMs)) return;
    for (const running of this.running) {
      this.logger.warn({ jobId: running.job.id, type: running.job.type }, 'aborting job: worker is stopping');
      running.stopHeartbeats();
      running.controller.abort(new ShutdownError());
    }
    if (await settlesWithin(allSettled, settleMs)) return;
    for (const running of this.running) {
      this.logger.error(
        { jobId: running.job.id, type: running.job.type },
        'job handler ignored its abort signal; abandoning it, its lease will expire',
      );
    }
  }

  private async loop(): Promise<void> {
    const types = Object.keys(this.handlers);
    while (!this.stopRequested) {
      this.wakeRequested = false;
      try {
        while (!this.stopRequested && this.running.size < this.concurrency) {
          const job = await this.queue.lease({ types, owner: this.workerId, leaseMs: this.leaseMs });
          if (!job) break;
          this.run(job);
        }
      } catch (err) {
        this.logger.error({ err }, 'leasing a job failed');
      }
      if (this.stopRequested) break;
      await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.wakeRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeWaiter = null;
        resolve();
      };
      const timer = setTimeout(wake, this.pollIntervalMs);
      this.wakeWaiter = wake;
    });
  }

  private run(job: LeasedJob): void {
    const controller = new AbortController();
    let heartbeatTimer: NodeJS.Timeout | undefined;
    const running: RunningJob = {
      job,
      controller,
      stopHeartbeats: () => clearInterval(heartbeatTimer),
      done: Promise.resolve(),
    };
    this.running.add(running);
    running.done = this.execute(running, (timer) => (heartbeatTimer = timer))
      .catch((err: unknown) => {
        // The job's lease expires and another attempt follows; nothing more to do here.
        this.logger.error({ err, jobId: job.id, type: job.type }, 'recording the outcome of a job failed');
      })
      .finally(() => {
        running.stopHeartbeats();
        this.running.delete(running);
        this.notify();
      });
  }

  private async execute(running: RunningJob, setHeartbeatTimer: (timer: NodeJS.Timeout) => void): Promise<void> {
    const { job, controller } = running;
    const { queue, leaseMs } = this;
    const log = { jobId: job.id, type: job.type, attempt: job.attempt };
    const handler = this.handlers[job.type];
    if (!handler) {
      await queue.fail(job.id, job.owner, { error: `no handler for job type ${job.type}`, permanent: true, retryInMs: 0 });
      return;
    }

    let finished = false;
    const heartbeat = async (): Promise<boolean> => {
      const held = await queue.heartbeat(job.id, job.owner, leaseMs);
      if (!held && !finished && !controller.signal.aborted) {
        this.logger.warn(log, 'lost the lease of a running job; aborting its handler');
        running.stopHeartbeats();
        controller.abort(new LeaseLostError(job.id));
      }
      return held;
    };
    let heartbeatInFlight: Promise<unknown> | null = null;
    const timer = setInterval(() => {
      if (heartbeatInFlight) return;
      heartbeatInFlight = heartbeat()
        .catch((err: unknown) => {
          // A database hiccup is not a lost lease; the next beat may still be in time.
          this.logger.warn({ ...log, err }, 'heartbeat failed');
        })
        .finally(() => (heartbeatInFlight = null));
    }, Math.floor(leaseMs / 3));
    // The handler's own work keeps the process alive, not its heartbeat.
    timer.unref();
    setHeartbeatTimer(timer);

    const ctx: JobContext = {
      signal: controller.signal,
      heartbeat: async () => {
        controller.signal.throwIfAborted();
        if (!(await heartbeat())) controller.signal.throwIfAborted();
      },
    };

    this.logger.debug(log, 'job started');
    const startedAt = performance.now();
    let failure: { err: unknown } | null = null;
    try {
      await handler(job, ctx);
    } catch (err) {
      failure = { err };
    } finally {
      finished = true;
      running.stopHeartbeats();
      // A beat landing after complete() would look like a lost lease; let it finish first.
      await heartbeatInFlight;
    }
    const durationMs = performance.now() - startedAt;
    const report = (outcome: JobAttemptReport['outcome'], error?: unknown) =>
      this.onAttemptEnded?.({ type: job.type, attempt: job.attempt, durationMs, outcome, error });

    const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
    if (!failure) {
      if (await queue.complete(job.id, job.owner)) {
        this.logger.info({ ...log, durationMs: Math.round(durationMs) }, 'job completed');
        report('completed');
      } else {
        this.logger.warn(log, 'job finished after its lease was lost; its result may be redone');
        report('lease-lost', new LeaseLostError(job.id));
      }
      return;
    }
    const { err } = failure;
    if (reason instanceof LeaseLostError) {
      // The job belongs to its new owner; recording anything would be wrong (and refused).
      this.logger.warn({ ...log, err }, 'job aborted: lease lost');
      report('lease-lost', reason);
      return;
    }
    if (reason instanceof ShutdownError) {
      const outcome = queue.release
        ? (await queue.release(job.id, job.owner)) ? 'released' : 'lease-lost'
        : await queue.fail(job.id, job.owner, { error: reason.message, permanent: false, retryInMs: 0 });
      this.logger.warn({ ...log, outcome }, 'job interrupted by shutdown; handed back to the queue');
      report('interrupted', reason);
      return;
    }
    const permanent = err instanceof PermanentError;
    const retryInMs = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (job.attempt - 1));
    const outcome = await queue.fail(job.id, job.owner, { error: errorMessage(err), permanent, retryInMs });
    if (outcome === 'retrying') this.logger.warn({ ...log, err, retryInMs }, 'job failed; will retry');
    // Bad input is an expected outcome (warn, no stack); anything else exhausted its retries (error).
    else if (outcome === 'failed' && permanent) this.logger.warn({ ...log, reason: errorMessage(err) }, 'job failed: permanent error');
    else if (outcome === 'failed') this.logger.error({ ...log, err }, 'job failed for good');
    else this.logger.warn({ ...log, err }, 'job failed after its lease was lost');
    report(outcome, err);
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** True when `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
