/**
 * A durable job queue. At-least-once: a job whose worker dies is leased again once its lease
 * expires, so every handler must be idempotent. The embedded driver keeps jobs in the SQL database
 * (sql-queue.ts, SQLite or PostgreSQL); the scale-out driver is BullMQ on Redis (bullmq-queue.ts,
 * docs/scale-out.md). All drivers pass test/contract/queue-contract.ts.
 */
export type JobStatus = 'queued' | 'active' | 'completed' | 'failed';

export interface EnqueueOptions<P = unknown> {
  type: string;
  payload: P;
  /** Lower runs first (default 0). */
  priority?: number;
  /** A second enqueue with the same key returns the first job's id and adds nothing. */
  dedupeKey?: string;
  maxAttempts?: number;
  /** Epoch ms before which the job is not leased. */
  runAt?: number;
}

export interface LeasedJob<P = unknown> {
  id: string;
  type: string;
  payload: P;
  /** 1 on the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Identifies this lease; pass it back to heartbeat/complete/fail. */
  owner: string;
}

export interface JobInfo {
  id: string;
  type: string;
  payload: unknown;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAt: number;
  createdAt: number;
  finishedAt: number | null;
}

export interface FailOptions {
  error: string;
  /** Fail for good now, whatever attempts remain. */
  permanent: boolean;
  /** Delay before the retry (ignored when permanent or out of attempts). */
  retryInMs: number;
}

export type FailOutcome = 'retrying' | 'failed' | 'lease-lost';

export interface Queue {
  enqueue<P>(options: EnqueueOptions<P>): Promise<string>;
  /** Leases the next runnable job of one of `types`, or returns null. */
  lease(options: { types: string[]; owner: string; leaseMs: number }): Promise<LeasedJob | null>;
  /** Extends a lease; false when the lease was lost (expired and taken by another worker). */
  heartbeat(jobId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Marks done; false when the lease was lost. */
  complete(jobId: string, owner: string): Promise<boolean>;
  fail(jobId: string, owner: string, options: FailOptions): Promise<FailOutcome>;
  /**
   * Hands a running job back untried: queued again, runnable now, and the attempt it was leased for
   * not counted (a graceful shutdown interrupted it; nothing failed). False when the lease was lost.
   * Drivers without it: the worker fails the attempt with no delay instead.
   */
  release?(jobId: string, owner: string): Promise<boolean>;
  get(jobId: string): Promise<JobInfo | null>;
  counts(): Promise<Record<JobStatus, number>>;
  /** The same counts per job type (every type ever enqueued, zeros included): queue depth metrics. */
  countsByType(): Promise<Record<string, Record<JobStatus, number>>>;
  /**
   * Deletes completed and failed jobs that finished before `finishedBefore` (epoch ms); resolves with
   * how many. Drivers that expire finished jobs themselves (BullMQ) leave it out.
   */
  pruneFinished?(options: { finishedBefore: number }): Promise<number>;
  /** Releases connections (drivers that hold any). */
  close?(): Promise<void>;
}
