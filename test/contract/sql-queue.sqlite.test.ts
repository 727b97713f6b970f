/** SqlQueue on SQLite: a database file per test, and a second connection to it as the peer process. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { SqlQueue } from '../../src/queue/sql-queue.js';
import { ManualClock, manualTime, queueContract } from './queue-contract.js';

queueContract('SqlQueue (SQLite)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sf-queue-'));
  const url = `sqlite:${path.join(dir, 'queue.db')}`;
  const clock = new ManualClock();
  const handles: DatabaseHandle[] = [];
  const open = async () => {
    const handle = openDatabase(url);
    handles.push(handle);
    await migrateToLatest(handle.db);
    return new SqlQueue({ db: handle.db, dialect: handle.dialect, now: () => clock.now() });
  };
  return {
    queue: await open(),
    time: manualTime(clock),
    leaseMs: 10_000,
    openPeer: open,
    close: async () => {
      for (const handle of handles) await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
