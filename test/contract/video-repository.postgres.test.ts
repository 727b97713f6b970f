/** VideoRepository and StageRepository on PostgreSQL: a throw-away database per test. */
import { describe } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { dropPostgresTestDatabase, postgresTestUrl } from '../helpers/postgres.js';
import { stageRepositoryContract } from './stage-repository-contract.js';
import { videoRepositoryContract } from './video-repository-contract.js';

// Probed once at load, so an unreachable server skips (or, under CI, fails) the whole file.
const probeUrl = await postgresTestUrl();
if (probeUrl) await dropPostgresTestDatabase(probeUrl);

async function postgresHarness() {
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
}

describe.skipIf(probeUrl === null)('PostgreSQL', () => {
  videoRepositoryContract('PostgreSQL', postgresHarness);
  stageRepositoryContract('PostgreSQL', postgresHarness);
});
