/**
 * VideoRepository's search and detail edits behave the same on every database: filters, the
 * case-insensitive text match (title, description, each tag; LIKE wildcards literal), the sort
 * orders with their tie-breaks and NULL placement, and the total. Each dialect's test file runs this
 * suite against its own factory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest, type DatabaseHandle } from '../../src/db/database.js';
import type { NewVideoRow } from '../../src/db/schema.js';
import { VideoRepository, type VideoSearch } from '../../src/videos/video-repository.js';

export interface VideoRepositoryHarness {
  /** A fresh, unmigrated database. */
  handle: DatabaseHandle;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;

function video(id: string, overrides: Partial<NewVideoRow> = {}): NewVideoRow {
  return {
    id,
    title: `Video ${id}`,
    status: 'ready',
    error: null,
    source_key: `originals/${id}`,
    source_name: null,
    source_bytes: 1000,
    media_json: null,
    ladder_json: null,
    output_prefix: null,
    duration_ms: null,
    progress_json: null,
    time_to_playable_ms: null,
    created_at: T0,
    updated_at: T0,
    ready_at: null,
    ...overrides,
  };
}

export function videoRepositoryContract(name: string, factory: () => Promise<VideoRepositoryHarness>): void {
  describe(`${name} — VideoRepository`, () => {
    let harness: VideoRepositoryHarness;
    let videos: VideoRepository;

    beforeEach(async () => {
      harness = await factory();
      await migrateToLatest(harness.handle.db);
      videos = new VideoRepository({ db: harness.handle.db, dialect: harness.handle.dialect });
    });
    afterEach(async () => {
      await harness.close();
    });

    const ids = async (search: Partial<VideoSearch>) => {
      const { rows, total } = await videos.search({ limit: 100, offset: 0, ...search });
      return { ids: rows.map((row) => row.id), total };
    };

    describe('search', () => {
      beforeEach(async () => {
        const rows: NewVideoRow[] = [
          video('a', { title: 'apple pie', created_at: T0 + 1, duration_ms: 90_000, status: 'ready' }),
          video('b', { title: 'Banana bread', created_at: T0 + 3, duration_ms: null, status: 'processing' }),
          video('c', { title: 'cherry tart', created_at: T0 + 2, duration_ms: 30_000, status: 'failed', description: 'With 100% BUTTER' }),
          video('d', { title: 'Date loaf', created_at: T0 + 3, duration_ms: 30_000, status: 'ready', tags_json: JSON.stringify(['Baking', 'snack_time']) }),
          video('e', { title: 'Éclair', created_at: T0 + 4, duration_ms: 600_000, status: 'ready', tags_json: JSON.stringify(['pâtisserie', 'a\\b']) }),
        ];
        for (const row of rows) await videos.create(row);
      });

      it('lists newest first by default (ties by id, descending) with the total', async () => {
        expect(await ids({})).toEqual({ ids: ['e', 'd', 'b', 'c', 'a'], total: 5 });
      });

      it('pages with limit and offset while the total counts every match', async () => {
        expect(await ids({ limit: 2, offset: 0 })).toEqual({ ids: ['e', 'd'], total: 5 });
        expect(await ids({ limit: 2, offset: 2 })).toEqual({ ids: ['b', 'c'], total: 5 });
        expect(await ids({ limit: 2, offset: 4 })).toEqual({ ids: ['a'], total: 5 });
        expect(await ids({ limit: 2, offset: 10 })).toEqual({ ids: [], total: 5 });
      });

      it('sorts oldest first, by title case-insensitively, and by duration with unknown durations last', async () => {
        expect((await ids({ sort: 'oldest' })).ids).toEqual(['a', 'c', 'b', 'd', 'e']);
        // 'Éclair' after the ASCII letters: code point order, the same on both dialects here.
        expect((await ids({ sort: 'title' })).ids).toEqual(['a', 'b', 'c', 'd', 'e']);
        expect((await ids({ sort: 'duration' })).ids).toEqual(['c', 'd', 'a', 'e', 'b']);
      });

      it('filters by status', async () => {
        expect(await ids({ status: 'ready' })).toEqual({ ids: ['e', 'd', 'a'], total: 3 });
        expect(await ids({ status: 'failed' })).toEqual({ ids: ['c'], total: 1 });
        expect(await ids({ status: 'processing', sort: 'title' })).toEqual({ ids: ['b'], total: 1 });
      });

      it('matches q in the title, the description or a tag, ignoring case', async () => {
        expect(await ids({ q: 'BREAD' })).toEqual({ ids: ['b'], total: 1 });
        expect(await ids({ q: 'butter' })).toEqual({ ids: ['c'], total: 1 });
        expect(await ids({ q: 'bAKi' })).toEqual({ ids: ['d'], total: 1 });
        // 'a' is in every title but 'Éclair', which has it in a tag.
        expect(await ids({ q: 'A' })).toEqual({ ids: ['e', 'd', 'b', 'c', 'a'], total: 5 });
        expect(await ids({ q: '  pie ' })).toEqual({ ids: ['a'], total: 1 });
        expect(await ids({ q: 'nothing like it' })).toEqual({ ids: [], total: 0 });
      });

      it('folds case beyond ASCII', async () => {
        expect((await ids({ q: 'éCLAIR' })).ids).toEqual(['e']);
        expect((await ids({ q: 'PÂTISSERIE' })).ids).toEqual(['e']);
      });

      it('takes %, _ and \\ in q literally', async () => {
        expect((await ids({ q: '%' })).ids).toEqual(['c']);
        expect((await ids({ q: '100%' })).ids).toEqual(['c']);
        expect((await ids({ q: '_' })).ids).toEqual(['d']);
        expect((await ids({ q: 'snack_' })).ids).toEqual(['d']);
        expect((await ids({ q: 'snackX' })).ids).toEqual([]);
        expect((await ids({ q: '\\' })).ids).toEqual(['e']);
        expect((await ids({ q: 'a\\b' })).ids).toEqual(['e']);
      });

      // PostgreSQL failed on the NUL: GET /api/videos?q=%00 was a 500 in the scale-out mode.
      it('matches nothing for a q holding a NUL', async () => {
        expect(await ids({ q: 'a\u0000' })).toEqual({ ids: [], total: 0 });
      });

      it('matches within one tag, never the JSON around the tags', async () => {
        for (const q of ['[', ']', '"', '","', 'baking,snack', '\\\\']) {
          expect((await ids({ q })).ids, q).toEqual([]);
        }
      });

      it('combines q, status and sort', async () => {
        expect(await ids({ q: 'a', status: 'ready', sort: 'duration', limit: 2 })).toEqual({ ids: ['d', 'a'], total: 3 });
      });
    });

    describe('updateDetails', () => {
      it('sets only the given details, bumps updated_at, and returns the row', async () => {
        await videos.create(video('v', { description: 'old', tags_json: '["x"]' }));
        const titled = await videos.updateDetails('v', { title: 'New title' });
        expect(titled).toMatchObject({ id: 'v', title: 'New title', description: 'old', tags_json: '["x"]', status: 'ready' });
        expect(titled!.updated_at).toBeGreaterThan(T0);
        const tagged = await videos.updateDetails('v', { description: '', tags: ['Cats', 'dogs'] });
        expect(tagged).toMatchObject({ title: 'New title', description: '', tags_json: '["Cats","dogs"]' });
        expect(await videos.get('v')).toEqual(tagged);
        expect((await ids({ q: 'DOGS' })).ids).toEqual(['v']);
      });

      it('returns null for an unknown video', async () => {
        expect(await videos.updateDetails('nope', { title: 'x' })).toBeNull();
      });
    });
  });
}
