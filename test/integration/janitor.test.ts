/**
 * The janitor (src/maintenance/janitor.ts): each kind of garbage made the way crashes, kills and
 * abandoned clients make it, then one sweep with a clock moved past the grace period and the
 * retention times (no sleeping). Garbage goes; the live videos stay playable. The store is read
 * through ctx.store, so the same test runs on local disk and on S3 (scale-out project).
 */
import { mkdirSync, existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Janitor, type JanitorOptions } from '../../src/maintenance/janitor.js';
import { outputVersion } from '../../src/videos/video-repository.js';
import { authHeaders, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { createTusUpload, tusPatch } from '../helpers/partial-upload.js';

const DAY_MS = 24 * 60 * 60 * 1000;
let server: TestServer;

beforeAll(async () => {
  // The scheduled sweep stays off: this test runs its own sweeps with its own clock.
  server = await startTestServer({ janitorIntervalMs: 0 }, { stages: [] });
});
afterAll(async () => server?.close());

async function video(id: string): Promise<any> {
  const res = await fetch(`${server.baseUrl}/api/videos/${id}`, { headers: authHeaders });
  return res.status === 200 ? res.json() : null;
}

async function settled(id: string): Promise<any> {
  for (let i = 0; i < 600; i++) {
    const row = await video(id);
    if (row && row.status !== 'processing') return row;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`video ${id} still processing`);
}

/** The master playlist, a media playlist and a segment of a ready video, each answered 200. */
async function expectPlayable(id: string): Promise<void> {
  const row = await server.ctx.videos.get(id);
  expect(row?.status).toBe('ready');
  const prefix = row!.output_prefix!;
  const keys = (await server.ctx.store.list(prefix)).map((key) => key.slice(prefix.length));
  const segment = keys.find((key) => key.endsWith('.m4s'));
  const playlist = keys.find((key) => key.endsWith('.m3u8') && key.includes('/'));
  for (const file of ['master.m3u8', playlist!, segment!]) {
    const res = await fetch(`${server.baseUrl}/stream/${id}/${outputVersion(prefix)}/${file}`, { headers: authHeaders });
    expect(res.status, file).toBe(200);
    await res.arrayBuffer();
  }
}

function janitorWith(now: () => number, options: Partial<JanitorOptions> = {}): Janitor {
  const { ctx, dataDir } = server;
  return new Janitor({
    videos: ctx.videos,
    stageRecords: ctx.stageRecords,
    logger: pino({ level: 'silent' }),
    graceMs: 60 * 60 * 1000,
    intervalMs: 0,
    shared: { store: ctx.store, queue: ctx.queue, finishedJobRetentionMs: 14 * DAY_MS },
    scratchDataDir: dataDir,
    uploads: { directory: ctx.config.uploadsDir, expiryMs: DAY_MS },
    onRemoved: (kind, count) => ctx.metrics.janitorRemoved.inc({ kind }, count),
    now,
    ...options,
  });
}

/** A version (or stage run) name as process-video.ts mints them, `ageMs` ago (now: the clock decides). */
function versionName(ageMs: number): string {
  return `${(Date.now() - ageMs).toString(36)}0a0b0c`;
}

describe('janitor', () => {
  it('removes every kind of garbage once it is old enough, and nothing that is live', async () => {
    const { ctx, dataDir, baseUrl } = server;
    const store = ctx.store;
    const clip = generatedClip({ seconds: 2, width: 320, height: 180, fps: 25 });

    // Live: a multipart upload and a resumable one, both ready.
    const live = (await uploadFile(baseUrl, clip, 'live')).body.id as string;
    const bytes = readFileSync(clip);
    const tus = await createTusUpload(baseUrl, { size: bytes.length, fileName: 'tus.mp4' });
    const done = await tusPatch(tus.url, 0, bytes);
    expect(done.status).toBe(204);
    const viaTus = done.videoId!;
    // Deleted: its row goes, its blobs stay (a delete that died between the two steps).
    const deleted = (await uploadFile(baseUrl, clip, 'deleted')).body.id as string;
    // Failed: not a video at all.
    const junk = path.join(dataDir, 'junk.mp4');
    writeFileSync(junk, Buffer.alloc(64 * 1024, 7));
    const failed = (await uploadFile(baseUrl, junk, 'junk')).body.id as string;
    for (const id of [live, viaTus, deleted, failed]) await settled(id);
    expect((await ctx.videos.get(failed))?.status).toBe('failed');

    const liveRow = (await ctx.videos.get(live))!;
    const liveVersion = outputVersion(liveRow.output_prefix!);
    const liveKeys = await store.list(liveRow.output_prefix!);
    // An older attempt of the live video that kept publishing after it lost its lease.
    const superseded = `videos/${live}/${versionName(0)}/`;
    for (const key of liveKeys.slice(0, 3)) await store.putBytes(`${superseded}${key.slice(liveRow.output_prefix!.length)}`, await store.getBytes(key));
    // A failed video's partial outputs that failVideo did not get to delete.
    await store.putBytes(`videos/${failed}/${versionName(0)}/v0/init.mp4`, 'partial');
    await ctx.videos.delete(deleted);
    await ctx.stageRecords.deleteForVideo(deleted);
    // A stage run killed mid-way, superseded by a newer run request.
    const deadRun = versionName(0);
    await store.putBytes(`${liveRow.output_prefix}thumbnails/${deadRun}/t1.jpg`, 'jpeg');
    const liveRun = versionName(-1000);
    await ctx.stageRecords.request({ videoId: live, name: 'thumbnails', version: liveVersion, runId: liveRun, options: {} });
    await store.putBytes(`${liveRow.output_prefix}thumbnails/${liveRun}/t1.jpg`, 'jpeg');
    // Scratch of killed jobs on this machine: a ladder attempt, a chunk worker, a stage run.
    const scratch = [
      path.join(dataDir, 'work', live, liveVersion, 'v0'),
      path.join(dataDir, 'chunk-work', deleted),
      path.join(dataDir, 'work', 'stages', `${live}-thumbnails-${deadRun}`),
    ];
    for (const dir of scratch) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'seg_00001.m4s'), 'x');
    }
    // An abandoned resumable upload: half of its bytes, then nothing.
    const abandoned = await createTusUpload(baseUrl, { size: bytes.length, fileName: 'abandoned.mp4' });
    expect((await tusPatch(abandoned.url, 0, bytes.subarray(0, 1000))).status).toBe(204);
    const uploadsDir = ctx.config.uploadsDir;
    expect(existsSync(path.join(uploadsDir, abandoned.id))).toBe(true);
    expect(existsSync(path.join(uploadsDir, tus.id))).toBe(true);

    // Now: everything is younger than the grace period, so nothing goes.
    const now = janitorWith(Date.now);
    const first = await now.sweep();
    expect(Object.values(first).every((n) => n === 0), JSON.stringify(first)).toBe(true);
    expect(await store.list(superseded)).not.toEqual([]);

    // Fifteen days on (past the grace, the upload expiry and the job retention), two janitors at once.
    for (const dir of scratch) utimesSync(path.join(dir, 'seg_00001.m4s'), new Date(Date.now() - DAY_MS), new Date(Date.now() - DAY_MS));
    const later = () => Date.now() + 15 * DAY_MS;
    const [report, other] = await Promise.all([janitorWith(later).sweep(), janitorWith(later).sweep()]);
    // Each janitor counts what its own deletes removed: garbage both raced for may count twice.
    const expected = { 'superseded-version': 1, 'failed-outputs': 1, 'orphaned-outputs': 1, 'orphaned-original': 1, 'stale-stage-run': 1, scratch: 3, 'expired-upload': 1, 'accepted-upload': 1 } as const;
    const sum = (kind: keyof typeof report) => report[kind] + other[kind];
    for (const [kind, count] of Object.entries(expected)) expect(sum(kind as keyof typeof report), kind).toBeGreaterThanOrEqual(count);
    // Only the SQL queue keeps finished jobs (BullMQ expires its own).
    if (ctx.queue.pruneFinished) expect(sum('finished-job')).toBeGreaterThanOrEqual(4);

    expect(await store.list(superseded)).toEqual([]);
    expect(await store.list(`videos/${failed}/`)).toEqual([]);
    expect(await store.list(`videos/${deleted}/`)).toEqual([]);
    expect(await store.stat(`originals/${deleted}`)).toBeNull();
    expect(await store.list(`${liveRow.output_prefix}thumbnails/${deadRun}/`)).toEqual([]);
    for (const dir of scratch) expect(existsSync(dir), dir).toBe(false);
    expect(existsSync(path.join(uploadsDir, abandoned.id))).toBe(false);
    expect(existsSync(path.join(uploadsDir, tus.id))).toBe(false);

    // Live: outputs, originals (a failed video's too), the requested stage run, and playback.
    expect(await store.list(liveRow.output_prefix!)).toEqual(expect.arrayContaining(liveKeys));
    expect(await store.list(`${liveRow.output_prefix}thumbnails/${liveRun}/`)).not.toEqual([]);
    for (const id of [live, viaTus, failed]) expect(await store.stat(`originals/${id}`), id).not.toBeNull();
    await expectPlayable(live);
    await expectPlayable(viaTus);
    const metrics = await (await ctx.metrics.scrape()).body;
    expect(metrics).toMatch(/streaming_service_janitor_removed_total\{kind="superseded-version"\} [12]\n/);

    // Idempotent: a second sweep finds nothing more.
    const again = await janitorWith(later).sweep();
    expect(Object.values(again).every((n) => n === 0), JSON.stringify(again)).toBe(true);
  });

  it('leaves a processing video and the scratch of its running job alone', async () => {
    const { ctx, dataDir, baseUrl } = server;
    // Not leased by any worker here: this server's ladder worker is stopped first.
    await ctx.worker?.stop({ graceMs: 1000 });
    const clip = generatedClip({ seconds: 2, width: 320, height: 180, fps: 25 });
    const id = (await uploadFile(baseUrl, clip, 'processing')).body.id as string;
    expect((await ctx.videos.get(id))?.status).toBe('processing');
    const attempt = `videos/${id}/${versionName(2 * DAY_MS)}/`;
    await ctx.store.putBytes(`${attempt}v0/init.mp4`, 'init');
    const work = path.join(dataDir, 'work', id, 'x');
    mkdirSync(work, { recursive: true });
    const report = await janitorWith(() => Date.now() + 15 * DAY_MS).sweep();
    expect(await ctx.store.list(attempt)).toEqual([`${attempt}v0/init.mp4`]);
    expect(await ctx.store.stat(`originals/${id}`)).not.toBeNull();
    expect(existsSync(work)).toBe(true);
  });
});
