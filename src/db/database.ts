/**
 * Opens the database named by a URL: `sqlite:/path/file.db` (embedded default) or `postgres://…`
 * (scale-out). Both are driven through Kysely with the same schema and migrations.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import pg from 'pg';
import * as initial from './migrations/0001-initial.js';
import * as videoDetails from './migrations/0002-video-details.js';
import * as subtitles from './migrations/0003-subtitles.js';
import * as videoStages from './migrations/0004-video-stages.js';
import * as videoChunks from './migrations/0005-video-chunks.js';
import * as requestedCodecs from './migrations/0006-requested-codecs.js';
import * as accounts from './migrations/0007-accounts.js';
import * as webhooks from './migrations/0008-webhooks.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

/** Migrations are imported, not read from a folder, so the compiled build carries them. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-video-details': videoDetails,
  '0003-subtitles': subtitles,
  '0004-video-stages': videoStages,
  '0005-video-chunks': videoChunks,
  '0006-requested-codecs': requestedCodecs,
  '0007-accounts': accounts,
  '0008-webhooks': webhooks,
};

export function openDatabase(url: string): DatabaseHandle {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SQLite(file);
    // WAL lets readers (API) proceed while the worker writes; busy_timeout waits out short locks
    // instead of failing with SQLITE_BUSY when a second process opens the same file.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // SQLite's lower() folds ASCII only, PostgreSQL's folds Unicode: make SQLite's match so that
    // case-insensitive search (VideoRepository.search) finds the same videos on both.
    sqlite.function('lower', { deterministic: true }, (text: unknown) => (text == null ? null : String(text).toLowerCase()));
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // int8 columns hold epoch milliseconds and byte counts, all well inside 2^53.
      types: {
        getTypeParser: (oid: number, format?: 'text' | 'binary') =>
          oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
      },
    });
    // A connection the server drops while idle (a restart, a failover, an administrator) is an
    // 'error' on the pool; unheard, it would crash the process. The pool replaces the client, and
    // the next query that needs one fails or succeeds on its own.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  throw new Error(`unsupported database URL: ${url.replace(/\/\/[^@]*@/, '//***@')}`);
}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
