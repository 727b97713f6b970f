/**
 * StageRepository behaves the same on every database: a request upserts the record, only the
 * latest requested run may start, progress, finish or fail it, a result survives a newer request
 * of the same version (and not of a newer version), and deleting a video's stages removes them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/database.js';
import { StageRepository, toStageJson } from '../../src/videos/stage-repository.js';
import type { VideoRepositoryHarness } from './video-repository-contract.js';

export function stageRepositoryContract(name: string, factory: () => Promise<VideoRepositoryHarness>): void {
  describe(`${name} — StageRepository`, () => {
    let harness: VideoRepositoryHarness;
    let stages: StageRepository;

    beforeEach(async () => {
      harness = await factory();
      await migrateToLatest(harness.handle.db);
      stages = new StageRepository(harness.handle.db);
    });

    afterEach(async () => {
      await harness.close();
    });

    it('records a requested run as queued with its options', async () => {
      await stages.request({ videoId: 'v1', name: 'thumbnails', version: 'ver1', runId: 'r1', options: { count: 3 } });
      const row = (await stages.get('v1', 'thumbnails'))!;
      expect(toStageJson(row)).toMatchObject({ name: 'thumbnails', status: 'queued', attempts: 0, percent: 0, options: { count: 3 }, result: null, filesUrl: null, error: null });
    });

    it('lets only the latest run start, progress and finish; the result names that run', async () => {
      await stages.request({ videoId: 'v1', name: 'thumbnails', version: 'ver1', runId: 'r1', options: {} });
      expect(await stages.start('v1', 'thumbnails', 'r1')).toBe(true);
      await stages.request({ videoId: 'v1', name: 'thumbnails', version: 'ver1', runId: 'r2', options: {} });
      expect(await stages.finish('v1', 'thumbnails', 'r1', { stale: true })).toBe(false);
      expect(await stages.start('v1', 'thumbnails', 'r2')).toBe(true);
      await stages.progress('v1', 'thumbnails', 'r2', 40);
      expect((await stages.get('v1', 'thumbnails'))!.percent).toBe(40);
      expect(await stages.finish('v1', 'thumbnails', 'r2', { picks: [1, 2] })).toBe(true);
      const json = toStageJson((await stages.get('v1', 'thumbnails'))!);
      expect(json).toMatchObject({ status: 'done', percent: 100, attempts: 1, result: { picks: [1, 2] }, filesUrl: '/stream/v1/ver1/thumbnails/r2/' });
    });

    it('keeps the last result while a newer run of the same version works, drops it for a new version', async () => {
      await stages.request({ videoId: 'v1', name: 'quality', version: 'ver1', runId: 'r1', options: {} });
      await stages.start('v1', 'quality', 'r1');
      await stages.finish('v1', 'quality', 'r1', { score: 80 });
      await stages.request({ videoId: 'v1', name: 'quality', version: 'ver1', runId: 'r2', options: {} });
      expect(toStageJson((await stages.get('v1', 'quality'))!)).toMatchObject({ status: 'queued', result: { score: 80 }, filesUrl: '/stream/v1/ver1/quality/r1/' });
      await stages.request({ videoId: 'v1', name: 'quality', version: 'ver2', runId: 'r3', options: {} });
      expect(toStageJson((await stages.get('v1', 'quality'))!)).toMatchObject({ status: 'queued', result: null, filesUrl: null });
    });

    it('fails for good or queues a retry, with the reason; counts attempts', async () => {
      await stages.request({ videoId: 'v1', name: 'preview', version: 'ver1', runId: 'r1', options: {} });
      await stages.start('v1', 'preview', 'r1');
      expect(await stages.fail('v1', 'preview', 'r1', 'ffmpeg crashed', { final: false })).toBe(true);
      expect((await stages.get('v1', 'preview'))!).toMatchObject({ status: 'queued', error: 'ffmpeg crashed', attempts: 1 });
      await stages.start('v1', 'preview', 'r1');
      expect(await stages.fail('v1', 'preview', 'r1', 'still broken', { final: true })).toBe(true);
      expect((await stages.get('v1', 'preview'))!).toMatchObject({ status: 'failed', error: 'still broken', attempts: 2 });
      expect(await stages.fail('v1', 'preview', 'other-run', 'x', { final: true })).toBe(false);
    });

    it('lists a video’s stages by name and deletes them with the video', async () => {
      for (const stage of ['thumbnails', 'preview']) await stages.request({ videoId: 'v1', name: stage, version: 'ver1', runId: 'r', options: {} });
      await stages.request({ videoId: 'v2', name: 'preview', version: 'ver1', runId: 'r', options: {} });
      expect((await stages.list('v1')).map((r) => r.name)).toEqual(['preview', 'thumbnails']);
      await stages.deleteForVideo('v1');
      expect(await stages.list('v1')).toEqual([]);
      expect(await stages.list('v2')).toHaveLength(1);
    });
  });
}
