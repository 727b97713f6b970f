/** VideoRepository and StageRepository on SQLite, in a file as in production. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import { stageRepositoryContract } from './stage-repository-contract.js';
import { videoRepositoryContract } from './video-repository-contract.js';

async function sqliteHarness() {
  const dir = await mkdtemp(path.join(tmpdir(), 'sf-repo-'));
  const handle = openDatabase(`sqlite:${path.join(dir, 'streamforge.db')}`);
  return {
    handle,
    close: async () => {
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

videoRepositoryContract('SQLite', sqliteHarness);
stageRepositoryContract('SQLite', sqliteHarness);
