/**
 * What the rest of StreamForge assumes of a database opened by openDatabase(): migrations apply
 * once and are idempotent, and rows round-trip with epoch-ms bigint columns as plain JS numbers on
 * every dialect. Each driver's test file runs this suite against its own factory.
 */
import { type Kysely, Migrator } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest, type DatabaseHandle } from '../../src/db/database.js';
import * as initial from '../../src/db/migrations/0001-initial.js';
import type { Database, NewVideoRow } from '../../src/db/schema.js';

export interface DatabaseHarness {
  /** A fresh, unmigrated database. */
  handle: DatabaseHandle;
  close(): Promise<void>;
}

/** Past 2^32 and 2^31 on purpose: an `integer` column or an int32 parser would break these. */
const EPOCH_MS = 1_700_000_123_456;
const TEN_GIB = 10 * 1024 ** 3;

function video(overrides: Partial<NewVideoRow> = {}): NewVideoRow {
  return {
    id: 'v1',
    title: 'Big Buck Bunny',
    description: 'A giant rabbit…\nin two lines',
    tags_json: '["animation","Blender"]',
    status: 'processing',
    error: null,
    source_key: 'uploads/v1/original',
    source_name: 'bbb.mp4',
    source_bytes: TEN_GIB,
    media_json: null,
    ladder_json: null,
    output_prefix: null,
    duration_ms: null,
    progress_json: null,
    subtitles_json: null,
    extra_codecs_json: null,
    owner_id: null,
    visibility: 'public',
    time_to_playable_ms: null,
    created_at: EPOCH_MS,
    updated_at: EPOCH_MS,
    ready_at: null,
    ...overrides,
  };
}

/** Every migration, in order: pinned so that renaming or dropping one is a deliberate change. */
const MIGRATIONS = ['0001-initial', '0002-video-details', '0003-subtitles', '0004-video-stages', '0005-video-chunks', '0006-requested-codecs', '0007-accounts', '0008-webhooks'];

export function databaseContract(name: string, factory: () => Promise<DatabaseHarness>): void {
  describe(`${name} — database contract`, () => {
    let harness: DatabaseHarness;
    let handle: DatabaseHandle;

    beforeEach(async () => {
      harness = await factory();
      handle = harness.handle;
    });
    afterEach(async () => {
      await harness.close();
    });

    describe('migrations', () => {
      it('apply every migration once, then nothing on a second run', async () => {
        expect(await migrateToLatest(handle.db)).toEqual(MIGRATIONS);
        expect(await migrateToLatest(handle.db)).toEqual([]);
        const applied = await handle.db.selectFrom('kysely_migration').select('name').execute();
        expect(applied.map((row) => row.name)).toEqual(MIGRATIONS);
      });

      it('give videos stored before 0002 an empty description and no tags, before 0003 no subtitles record, before 0006 the default codecs', async () => {
        await migrateOnly(handle.db, { '0001-initial': initial });
        const { description: _d, tags_json: _t, subtitles_json: _s, extra_codecs_json: _c, owner_id: _o, visibility: _v, ...before0002 } = video();
        await handle.db.insertInto('videos').values(before0002).execute();
        expect(await migrateToLatest(handle.db)).toEqual(MIGRATIONS.slice(1));
        const read = await handle.db.selectFrom('videos').selectAll().where('id', '=', 'v1').executeTakeFirstOrThrow();
        // … and before 0007 no owner (admins manage them) and public, as they were served.
        expect(read).toEqual({ ...before0002, description: '', tags_json: '[]', subtitles_json: null, extra_codecs_json: null, owner_id: null, visibility: 'public' });
      });

      it('create empty videos and jobs tables', async () => {
        await migrateToLatest(handle.db);
        expect(await handle.db.selectFrom('videos').selectAll().execute()).toEqual([]);
        expect(await handle.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
      });
    });

    describe('with the schema migrated', () => {
      beforeEach(async () => {
        await migrateToLatest(handle.db);
      });

      it('round-trips a videos row with bigint columns as JS numbers and nulls as null', async () => {
        const row = video();
        await handle.db.insertInto('videos').values(row).execute();
        const read = await handle.db.selectFrom('videos').selectAll().where('id', '=', 'v1').executeTakeFirstOrThrow();
        expect(read).toEqual(row);
        expect(typeof read.created_at).toBe('number');
        expect(typeof read.source_bytes).toBe('number');
      });

      it('keeps usernames unique, and a user\'s sessions and API keys go with the user', async () => {
        const user = { id: 'u1', username: 'alice', password_hash: 'scrypt$x', role: 'creator' as const, created_at: EPOCH_MS, updated_at: EPOCH_MS };
        await handle.db.insertInto('users').values(user).execute();
        await expect(handle.db.insertInto('users').values({ ...user, id: 'u2' }).execute()).rejects.toThrow();
        await handle.db.insertInto('sessions').values({ id_hash: 'h1', user_id: 'u1', created_at: EPOCH_MS, expires_at: EPOCH_MS + 1 }).execute();
        await handle.db.insertInto('api_keys').values({ id: 'k1', user_id: 'u1', name: 'ci', key_hash: 'kh', created_at: EPOCH_MS, last_used_at: null, revoked_at: null }).execute();
        expect(await handle.db.selectFrom('users').selectAll().executeTakeFirstOrThrow()).toEqual(user);
        await handle.db.deleteFrom('users').where('id', '=', 'u1').execute();
        expect(await handle.db.selectFrom('sessions').selectAll().execute()).toEqual([]);
        expect(await handle.db.selectFrom('api_keys').selectAll().execute()).toEqual([]);
      });

      it('defaults the description and tags of a row inserted without them', async () => {
        const { description: _d, tags_json: _t, ...row } = video();
        await handle.db.insertInto('videos').values(row).execute();
        const read = await handle.db.selectFrom('videos').select(['description', 'tags_json']).executeTakeFirstOrThrow();
        expect(read).toEqual({ description: '', tags_json: '[]' });
      });

      it('round-trips an update of a videos row', async () => {
        await handle.db.insertInto('videos').values(video()).execute();
        const update = {
          status: 'ready' as const,
          media_json: JSON.stringify({ durationMs: 596_000 }),
          ladder_json: '[]',
          output_prefix: 'videos/v1/1/',
          duration_ms: 596_458,
          progress_json: JSON.stringify({ stage: 'done', percent: 100, etaMs: 0 }),
          subtitles_json: JSON.stringify({ tracks: [], skipped: [] }),
          time_to_playable_ms: 4_321,
          updated_at: EPOCH_MS + 60_000,
          ready_at: EPOCH_MS + 60_000,
        };
        await handle.db.updateTable('videos').set(update).where('id', '=', 'v1').execute();
        const read = await handle.db.selectFrom('videos').selectAll().where('id', '=', 'v1').executeTakeFirstOrThrow();
        expect(read).toEqual({ ...video(), ...update });
        expect(typeof read.ready_at).toBe('number');
        expect(typeof read.duration_ms).toBe('number');
      });

      it('filters and orders by epoch-ms columns numerically', async () => {
        await handle.db
          .insertInto('videos')
          .values([
            video({ id: 'a', created_at: EPOCH_MS + 2 }),
            video({ id: 'b', created_at: EPOCH_MS + 10 }),
            video({ id: 'c', created_at: EPOCH_MS + 1 }),
          ])
          .execute();
        const rows = await handle.db
          .selectFrom('videos')
          .select(['id', 'created_at'])
          .where('created_at', '>', EPOCH_MS + 1)
          .orderBy('created_at', 'desc')
          .execute();
        expect(rows).toEqual([
          { id: 'b', created_at: EPOCH_MS + 10 },
          { id: 'a', created_at: EPOCH_MS + 2 },
        ]);
      });

      it('rejects a second video with the same id', async () => {
        await handle.db.insertInto('videos').values(video()).execute();
        await expect(handle.db.insertInto('videos').values(video()).execute()).rejects.toThrow();
      });

      it('keeps job dedupe keys unique, while any number of jobs may have none', async () => {
        const job = (id: string, dedupe_key: string | null) => ({
          id,
          type: 't',
          payload_json: '{}',
          status: 'queued' as const,
          priority: 0,
          attempts: 0,
          max_attempts: 3,
          run_at: EPOCH_MS,
          dedupe_key,
          created_at: EPOCH_MS,
          updated_at: EPOCH_MS,
        });
        await handle.db.insertInto('jobs').values([job('j1', null), job('j2', null), job('j3', 'k')]).execute();
        await expect(handle.db.insertInto('jobs').values(job('j4', 'k')).execute()).rejects.toThrow();
        const read = await handle.db.selectFrom('jobs').selectAll().where('id', '=', 'j1').executeTakeFirstOrThrow();
        expect(read).toMatchObject({ run_at: EPOCH_MS, lease_owner: null, lease_expires_at: null, finished_at: null });
        expect(typeof read.run_at).toBe('number');
      });

      it('rolls a failed transaction back', async () => {
        await expect(
          handle.db.transaction().execute(async (trx) => {
            await trx.insertInto('videos').values(video()).execute();
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect(await handle.db.selectFrom('videos').selectAll().execute()).toEqual([]);
      });
    });
  });
}

/** Applies exactly the given migrations, as an older release would have. */
async function migrateOnly(db: Kysely<Database>, migrations: Record<string, typeof initial>): Promise<void> {
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) throw error;
}
