/**
 * The embedded Queue driver: jobs live in the `jobs` table of the StreamForge database, so one
 * SQLite file (or one PostgreSQL database) holds both the videos and the work still to do on them.
 *
 * A lease is one atomic UPDATE that picks the best runnable row and marks it active — on
 * PostgreSQL through a `FOR UPDATE SKIP LOCKED` subselect (the classic SQL work-queue pattern, so
 * concurrent leasers skip each other's candidate instead of queueing behind it), on SQLite through
 * `UPDATE … WHERE id = (SELECT …) RETURNING`, which SQLite runs under its single write lock.
 *
 * Owners are per lease, not per worker: `lease({ owner })` returns `LeasedJob.owner` =
 * `${owner}:${randomUUID()}`. Because a re-lease always writes a new owner, "status is active and
 * lease_owner matches" is enough for heartbeat/complete/fail to know the caller still holds the job,
 * even when the same worker happens to lease the same job again.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { DialectName } from '../db/database.js';
import type { Database, JobsTable } from '../db/schema.js';
import type { EnqueueOptions, FailOptions, FailOutcome, JobInfo, JobStatus, LeasedJob, Queue } from './queue.js';

export interface SqlQueueOptions {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Clock in epoch ms; tests inject one to move time without sleeping. */
  now?: () => number;
  newId?: () => string;
  /** maxAttempts of jobs enqueued without one (default 5, as config.jobMaxAttempts). */
  defaultMaxAttempts?: number;
}

/** last_error keeps the head of a message; a full ffmpeg stderr does not belong in a queue row. */
const MAX_ERROR_CHARS = 4000;
/** Expired, exhausted jobs failed per lease() call; the rest go on the next calls. */
const EXHAUSTED_SWEEP_LIMIT = 100;

const JOB_STATUSES: readonly JobStatus[] = ['queued', 'active', 'completed', 'failed'];

export class SqlQueue implements Queue {
  private readonly db: Kysely<Database>;
  private readonly dialect: DialectName;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly defaultMaxAttempts: number;

  constructor(options: SqlQueueOptions) {
    this.db = options.db;
    this.dialect = options.dialect;
    const clock = options.now ?? Date.now;
    // Time columns are bigint: PostgreSQL rejects a fractional millisecond.
    this.now = () => Math.floor(clock());
    this.newId = options.newId ?? randomUUID;
    this.defaultMaxAttempts = options.defaultMaxAttempts ?? 5;
    assertPositiveInteger('defaultMaxAttempts', this.defaultMaxAttempts);
  }

  async enqueue<P>(options: EnqueueOptions<P>): Promise<string> {
    const maxAttempts = options.maxAttempts ?? this.defaultMaxAttempts;
    const priority = options.priority ?? 0;
    assertPositiveInteger('maxAttempts', maxAttempts);
    if (!Number.isSafeInteger(priority)) throw new RangeError(`priority must be an integer, got ${priority}`);
    if (options.runAt !== undefined && !Number.isFinite(options.runAt)) throw new RangeError(`runAt must be epoch ms, got ${options.runAt}`);
    const now = this.now();
    const id = this.newId();
    const row = {
      id,
      type: options.type,
      payload_json: JSON.stringify(options.payload ?? null),
      status: 'queued' as const,
      priority,
      attempts: 0,
      max_attempts: maxAttempts,
      run_at: options.runAt === undefined ? now : Math.floor(options.runAt),
      lease_owner: null,
      lease_expires_at: null,
      last_error: null,
      dedupe_key: options.dedupeKey ?? null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    };
    if (options.dedupeKey === undefined) {
      await this.db.insertInto('jobs').values(row).execute();
      return id;
    }
    // ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL a violation
    // would abort a surrounding transaction, and a racing enqueue waits for the winner's commit, so
    // the read-back below always finds the winner's row.
    const inserted = await this.db
      .insertInto('jobs')
      .values(row)
      .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return inserted.id;
    const existing = await this.db
      .selectFrom('jobs')
      .select('id')
      .where('dedupe_key', '=', options.dedupeKey)
      .executeTakeFirst();
    if (!existing) throw new Error(`enqueue: dedupe key ${JSON.stringify(options.dedupeKey)} conflicted but no job holds it`);
    return existing.id;
  }

  async lease(options: { types: string[]; owner: string; leaseMs: number }): Promise<LeasedJob | null> {
    if (options.types.length === 0) return null;
    assertPositiveInteger('leaseMs', options.leaseMs);
    const now = this.now();
    await this.failExhaustedLeases(now);
    const owner = `${options.owner}:${randomUUID()}`;

    const leased = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'active',
        lease_owner: owner,
        lease_expires_at: now + options.leaseMs,
        attempts: eb('attempts', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', (eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where('type', 'in', options.types)
          .where((w) =>
            w.or([
              w.and([w('status', '=', 'queued'), w('run_at', '<=', now)]),
              // A dead worker's job. One with no attempts left is failed by failExhaustedLeases;
              // the guard here keeps it unleasable even if that sweep lost a race.
              w.and([
                w('status', '=', 'active'),
                w('lease_expires_at', '<', now),
                w('attempts', '<', w.ref('max_attempts')),
              ]),
            ]),
          )
          .orderBy('priority')
          .orderBy('run_at')
          .orderBy('created_at')
          .orderBy('id')
          .limit(1)
          .$if(this.dialect === 'postgres', (qb) => qb.forUpdate().skipLocked()),
      )
      .returningAll()
      .executeTakeFirst();
    if (!leased) return null;
    return {
      id: leased.id,
      type: leased.type,
      payload: JSON.parse(leased.payload_json) as unknown,
      attempt: Number(leased.attempts),
      maxAttempts: Number(leased.max_attempts),
      owner,
    };
  }

  async heartbeat(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    assertPositiveInteger('leaseMs', leaseMs);
    const now = this.now();
    const result = await this.db
      .updateTable('jobs')
      .set({ lease_expires_at: now + leaseMs, updated_at: now })
      .where('id', '=', jobId)
      .where('status', '=', 'active')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async complete(jobId: string, owner: string): Promise<boolean> {
    const now = this.now();
    const result = await this.db
      .updateTable('jobs')
      // lease_owner stays as a record of who finished the job.
      .set({ status: 'completed', lease_expires_at: null, finished_at: now, updated_at: now })
      .where('id', '=', jobId)
      .where('status', '=', 'active')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async fail(jobId: string, owner: string, options: FailOptions): Promise<FailOutcome> {
    const now = this.now();
    const row = await this.db
      .selectFrom('jobs')
      .select(['attempts', 'max_attempts'])
      .where('id', '=', jobId)
      .where('status', '=', 'active')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    if (!row) return 'lease-lost';
    // attempts cannot change under us: only lease() increments it, and a lease writes a new owner,
    // which the guarded UPDATE below would then not match.
    const giveUp = options.permanent || Number(row.attempts) >= Number(row.max_attempts);
    const error = truncate(options.error);
    const update = giveUp
      ? { status: 'failed' as const, last_error: error, lease_expires_at: null, finished_at: now, updated_at: now }
      : {
          status: 'queued' as const,
          last_error: error,
          lease_owner: null,
          lease_expires_at: null,
          run_at: now + Math.max(0, Math.ceil(options.retryInMs) || 0),
          updated_at: now,
        };
    const result = await this.db
      .updateTable('jobs')
      .set(update)
      .where('id', '=', jobId)
      .where('status', '=', 'active')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return 'lease-lost';
    return giveUp ? 'failed' : 'retrying';
  }

  async release(jobId: string, owner: string): Promise<boolean> {
    const now = this.now();
    const result = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'queued',
        attempts: eb('attempts', '-', 1),
        lease_owner: null,
        lease_expires_at: null,
        run_at: now,
        updated_at: now,
      }))
      .where('id', '=', jobId)
      .where('status', '=', 'active')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async pruneFinished(options: { finishedBefore: number }): Promise<number> {
    const result = await this.db
      .deleteFrom('jobs')
      .where('status', 'in', ['completed', 'failed'])
      .where('finished_at', '<', Math.floor(options.finishedBefore))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async get(jobId: string): Promise<JobInfo | null> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    return row ? toJobInfo(row) : null;
  }

  async counts(): Promise<Record<JobStatus, number>> {
    const rows = await this.db
      .selectFrom('jobs')
      .select((eb) => ['status', eb.fn.countAll().as('count')])
      .groupBy('status')
      .execute();
    const counts: Record<JobStatus, number> = { queued: 0, active: 0, completed: 0, failed: 0 };
    for (const row of rows) {
      if ((JOB_STATUSES as readonly string[]).includes(row.status)) counts[row.status] = Number(row.count);
    }
    return counts;
  }

  async countsByType(): Promise<Record<string, Record<JobStatus, number>>> {
    const rows = await this.db
      .selectFrom('jobs')
      .select((eb) => ['type', 'status', eb.fn.countAll().as('count')])
      .groupBy(['type', 'status'])
      .execute();
    const counts: Record<string, Record<JobStatus, number>> = {};
    for (const row of rows) {
      const byStatus = (counts[row.type] ??= { queued: 0, active: 0, completed: 0, failed: 0 });
      if ((JOB_STATUSES as readonly string[]).includes(row.status)) byStatus[row.status] = Number(row.count);
    }
    return counts;
  }

  /**
   * A job whose lease expired on its last attempt lost its worker every time it could run (often a
   * crash the job itself causes, such as running out of memory): fail it instead of leasing it again.
   */
  private async failExhaustedLeases(now: number): Promise<void> {
    const exhausted = await this.db
      .selectFrom('jobs')
      .select(['id', 'lease_owner', 'attempts', 'max_attempts', 'last_error'])
      .where('status', '=', 'active')
      .where('lease_expires_at', '<', now)
      .where('attempts', '>=', (eb) => eb.ref('max_attempts'))
      .limit(EXHAUSTED_SWEEP_LIMIT)
      .execute();
    for (const job of exhausted) {
      const previous = job.last_error ? `; previous error: ${job.last_error}` : '';
      const message = `worker lost: the lease of attempt ${job.attempts} of ${job.max_attempts} expired${previous}`;
      // Guarded on the owner and expiry we read, so a heartbeat that revived the lease meanwhile wins.
      await this.db
        .updateTable('jobs')
        .set({ status: 'failed', last_error: truncate(message), lease_expires_at: null, finished_at: now, updated_at: now })
        .where('id', '=', job.id)
        .where('status', '=', 'active')
        .where('lease_owner', '=', job.lease_owner ?? '')
        .where('lease_expires_at', '<', now)
        .execute();
    }
  }
}

function toJobInfo(row: Selectable<JobsTable>): JobInfo {
  return {
    id: row.id,
    type: row.type,
    payload: JSON.parse(row.payload_json) as unknown,
    status: row.status,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    lastError: row.last_error,
    // PostgreSQL int8 arrives as a string unless the pool parses it (openDatabase does); be safe.
    runAt: Number(row.run_at),
    createdAt: Number(row.created_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

function truncate(message: string): string {
  return message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS - 1)}…` : message;
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}
