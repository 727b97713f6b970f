/**
 * A throw-away PostgreSQL database for one test suite, so the SQL drivers run their contract suites
 * against the real thing. Reads TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 *
 * Each call creates a fresh *database* `sf_test_<random>` rather than a schema selected through
 * search_path: Kysely's Migrator looks for its `kysely_migration` table in every schema it can see,
 * so a second schema in the same database is taken as already migrated and migrateToLatest fails
 * ("relation kysely_migration_lock does not exist"). A database isolates completely.
 *
 * Unreachable PostgreSQL: returns null after a loud console.warn, and suites skip — except under
 * CI=true, where it throws, because a CI run that silently skips the PostgreSQL driver proves nothing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../../src/db/database.js';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? DEFAULT_URL;
}

async function withAdminClient<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** URL of a fresh, empty database, or null (with a warning) when PostgreSQL is unreachable. */
export async function postgresTestUrl(): Promise<string | null> {
  const name = `sf_test_${randomBytes(6).toString('hex')}`;
  try {
    await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  } catch (err) {
    const reason = `PostgreSQL at ${redact(adminUrl())} is unavailable: ${(err as Error).message}`;
    if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: PostgreSQL tests must run)`, { cause: err });
    console.warn(`\n⚠️  SKIPPING PostgreSQL tests — ${reason}\n`);
    return null;
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by postgresTestUrl, closing any connection a test left open. */
export async function dropPostgresTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^sf_test_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** A fresh database opened through openDatabase, dropped again by close(): the contract suites' harness. */
export async function postgresDatabaseHarness(): Promise<{ handle: DatabaseHandle; close(): Promise<void> }> {
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

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
