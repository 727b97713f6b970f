/**
 * Picks the Queue driver from the config: BullMQ on Redis when REDIS_URL is set (scale-out: every
 * process shares the jobs), else the SQL queue in the same database as the records (embedded). Both
 * pass test/contract/queue-contract.ts.
 */
import { pino } from 'pino';
import type { Config } from '../config/config.js';
import type { DatabaseHandle } from '../db/database.js';
import { BullMqQueue } from './bullmq-queue.js';
import type { Queue } from './queue.js';
import { SqlQueue } from './sql-queue.js';
import type { WorkerLogger } from './worker.js';

export interface OpenQueueOptions {
  config: Config;
  database: DatabaseHandle;
  /** Where the BullMQ driver reports Redis errors (default: a pino logger at config.logLevel). */
  logger?: Pick<WorkerLogger, 'info' | 'warn'>;
}

/** Longest wait between stalled-job checks: a dead worker's job runs again ≤ lease + this later. */
const MAX_STALLED_CHECK_INTERVAL_MS = 5_000;

export async function openQueue({ config, database, logger }: OpenQueueOptions): Promise<Queue> {
  if (config.redisUrl) {
    return new BullMqQueue({
      redisUrl: config.redisUrl,
      prefix: config.redisPrefix,
      defaultMaxAttempts: config.jobMaxAttempts,
      stalledCheckIntervalMs: Math.max(1, Math.min(MAX_STALLED_CHECK_INTERVAL_MS, Math.floor(config.jobLeaseMs / 2))),
      logger: logger ?? pino({ level: config.logLevel }).child({ component: 'queue' }),
    });
  }
  return new SqlQueue({ db: database.db, dialect: database.dialect, defaultMaxAttempts: config.jobMaxAttempts });
}
