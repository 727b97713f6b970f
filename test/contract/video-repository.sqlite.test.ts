/** VideoRepository on SQLite, in a file as in production. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import { videoRepositoryContract } from './video-repository-contract.js';

videoRepositoryContract('SQLite', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sf-repo-'));
  const handle = openDatabase(`sqlite:${path.join(dir, 'streamforge.db')}`);
  return {
    handle,
    close: async () => {
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
