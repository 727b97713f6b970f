/** openDatabase/migrateToLatest on SQLite, in a file as in production (not :memory:). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import { databaseContract } from './database-contract.js';

databaseContract('SQLite', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sf-db-'));
  // A missing parent directory is created by openDatabase.
  const handle = openDatabase(`sqlite:${path.join(dir, 'nested', 'streamforge.db')}`);
  return {
    handle,
    close: async () => {
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
