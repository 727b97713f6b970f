/**
 * SqlQueue on PostgreSQL: one throw-away database per file, emptied before each test; the peer is a
 * second connection pool, so concurrent leases really race (FOR UPDATE SKIP LOCKED).
 */
import { afterAll, describe } from 'vitest';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { SqlQueue } from '../../src/queue/sql-queue.js';
import { dropPostgresTestDatabase, postgresTestUrl } from '../helpers/postgres.js';
import { ManualClock, manualTime, queueContract } from './queue-contract.js';

const url = await postgresTestUrl();

describe.skipIf(url === null)('PostgreSQL', () => {
  afterAll(async () => {
    if (url) await dropPostgresTestDatabase(url);
  });

  queueContract('SqlQueue (PostgreSQL)', async () => {
    const clock = new ManualClock();
    const handles: DatabaseHandle[] = [];
    const open = async () => {
      const handle = openDatabase(url!);
      handles.push(handle);
      return new SqlQueue({ db: handle.db, dialect: handle.dialect, now: () => clock.now() });
    };
    const queue = await open();
    await migrateToLatest(handles[0]!.db);
    await handles[0]!.db.deleteFrom('jobs').execute();
    return {
      queue,
      time: manualTime(clock),
      leaseMs: 10_000,
      openPeer: open,
      close: async () => {
        for (const handle of handles) await handle.close();
      },
    };
  });
});
