/** VideoRepository on PostgreSQL: a throw-away database per test. */
import { describe } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { dropPostgresTestDatabase, postgresTestUrl } from '../helpers/postgres.js';
import { videoRepositoryContract } from './video-repository-contract.js';

// Probed once at load, so an unreachable server skips (or, under CI, fails) the whole file.
const probeUrl = await postgresTestUrl();
if (probeUrl) await dropPostgresTestDatabase(probeUrl);

describe.skipIf(probeUrl === null)('PostgreSQL', () => {
  videoRepositoryContract('PostgreSQL', async () => {
    const url = await postgresTestUrl();
    if (!url) throw new Error('PostgreSQL went away during the run');
    const handle = openDatabase(url);
    return {
      handle,
      close: async () => {
        await handle.close();
        await dropPostgresTestDatabase(url);
      },
    };
  });
});
