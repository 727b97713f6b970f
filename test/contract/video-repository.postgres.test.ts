/** VideoRepository and StageRepository on PostgreSQL: a throw-away database per test. */
import { describe } from 'vitest';
import { dropPostgresTestDatabase, postgresDatabaseHarness, postgresTestUrl } from '../helpers/postgres.js';
import { stageRepositoryContract } from './stage-repository-contract.js';
import { videoRepositoryContract } from './video-repository-contract.js';

// Probed once at load, so an unreachable server skips (or, under CI, fails) the whole file.
const probeUrl = await postgresTestUrl();
if (probeUrl) await dropPostgresTestDatabase(probeUrl);

describe.skipIf(probeUrl === null)('PostgreSQL', () => {
  videoRepositoryContract('PostgreSQL', postgresDatabaseHarness);
  stageRepositoryContract('PostgreSQL', postgresDatabaseHarness);
});
