/** openDatabase/migrateToLatest on PostgreSQL: a throw-away database per test. */
import { describe } from 'vitest';
import { dropPostgresTestDatabase, postgresDatabaseHarness, postgresTestUrl } from '../helpers/postgres.js';
import { databaseContract } from './database-contract.js';

// Probed once at load, so an unreachable server skips (or, under CI, fails) the whole file.
const probeUrl = await postgresTestUrl();
if (probeUrl) await dropPostgresTestDatabase(probeUrl);

describe.skipIf(probeUrl === null)('PostgreSQL', () => {
  databaseContract('PostgreSQL', postgresDatabaseHarness);
});
