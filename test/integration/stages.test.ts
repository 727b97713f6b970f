/**
 * The enrichment-stage framework with real jobs, real ffprobe and a real server: stages are queued
 * when a video becomes ready, run on their own worker, publish files under their run, re-run on
 * request with validated options, and a superseded run never records its result.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PermanentError } from '../../src/errors.js';
import type { AnyVideoStage } from '../../src/pipeline/stages/video-stage.js';
import { authHeaders, followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';

/** Counts the frames of the top rendition with ffprobe and publishes the count as a file. */
const frameCount: AnyVideoStage = {
  name: 'frame-count',
  options: z.strictObject({ label: z.string().max(20).default('auto') }),
  appliesTo: (_media, plan) => plan.video.length > 0,
  async run(ctx) {
    const file = await ctx.renditionFile('v0');
    const out = execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', `file:${file}`]);
    const frames = Number(out.toString().trim());
    ctx.progress(50);
    const local = path.join(ctx.workDir, 'count.json');
    await writeFile(local, JSON.stringify({ frames }));
    await ctx.store.putFile(`${ctx.keyPrefix}count.json`, local);
    return { frames, label: ctx.options.label };
  },
};

/** Always fails for good: the record must say why. */
const broken: AnyVideoStage = {
  name: 'broken',
  options: z.strictObject({}),
  appliesTo: () => true,
  async run() {
    throw new PermanentError('this stage cannot work on anything');
  },
};

let server: TestServer;
let videoId: string;

async function stage(name: string): Promise<any> {
  return (await fetch(`${server.baseUrl}/api/videos/${videoId}/stages/${name}`)).json();
}

beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: 2 }, { stages: [frameCount, broken] });
  const upload = await uploadFile(server.baseUrl, generatedClip({ seconds: 3, width: 320, height: 240, fps: 25, audio: false }));
  videoId = upload.body.id;
  expect((await followEvents(server.baseUrl, videoId)).at(-1)?.event).toBe('ready');
});

afterAll(async () => {
  await server?.close();
});

describe('enrichment stages', () => {
  it('runs every stage once the video is ready and publishes its files under its run', async () => {
    await expect.poll(async () => (await stage('frame-count')).status, { timeout: 30_000 }).toBe('done');
    const record = await stage('frame-count');
    expect(record).toMatchObject({ name: 'frame-count', status: 'done', percent: 100, attempts: 1, result: { frames: 75, label: 'auto' }, error: null });
    const file = await fetch(`${server.baseUrl}${record.filesUrl}count.json`);
    expect(file.status).toBe(200);
    expect(await file.json()).toEqual({ frames: 75 });

    const list = await (await fetch(`${server.baseUrl}/api/videos/${videoId}/stages`)).json();
    expect(list.available).toEqual(['frame-count', 'broken']);
    expect(list.stages.map((s: any) => s.name).sort()).toEqual(['broken', 'frame-count']);
  });

  it('records the reason of a stage that fails, without touching the ready video', async () => {
    await expect.poll(async () => (await stage('broken')).status, { timeout: 30_000 }).toBe('failed');
    expect((await stage('broken')).error).toBe('this stage cannot work on anything');
    expect((await (await fetch(`${server.baseUrl}/api/videos/${videoId}`)).json()).status).toBe('ready');
  });

  it('re-runs a stage with options; the latest request wins and older runs’ files go', async () => {
    const first = await stage('frame-count');
    const oldFile = `${server.baseUrl}${first.filesUrl}count.json`;
    // Two requests back to back: the first run is superseded before (or while) it runs.
    const a = await fetch(`${server.baseUrl}/api/videos/${videoId}/stages/frame-count`, {
      method: 'POST', headers: { ...authHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'first' }),
    });
    const b = await fetch(`${server.baseUrl}/api/videos/${videoId}/stages/frame-count`, {
      method: 'POST', headers: { ...authHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'second' }),
    });
    expect([a.status, b.status]).toEqual([202, 202]);
    const { runId } = await b.json();
    await expect.poll(async () => {
      const r = await stage('frame-count');
      return r.status === 'done' && r.filesUrl.includes(runId);
    }, { timeout: 30_000 }).toBe(true);
    expect((await stage('frame-count')).result).toEqual({ frames: 75, label: 'second' });
    expect((await fetch(oldFile)).status).toBe(404);
    // Exactly one run's files remain.
    const version = first.filesUrl.split('/')[3];
    const runs = (await server.ctx.store.list(`videos/${videoId}/${version}/frame-count/`)).map((k) => k.split('/')[4]);
    expect(new Set(runs)).toEqual(new Set([runId]));
  });

  it('refuses bad options, unknown stages and unknown videos with clear errors', async () => {
    const bad = await fetch(`${server.baseUrl}/api/videos/${videoId}/stages/frame-count`, {
      method: 'POST', headers: { ...authHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'x'.repeat(50) }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/^frame-count options: label: /);
    const unknown = await fetch(`${server.baseUrl}/api/videos/${videoId}/stages/nope`, { method: 'POST', headers: authHeaders });
    expect(unknown.status).toBe(404);
    const noVideo = await fetch(`${server.baseUrl}/api/videos/AAAAAAAAAAAA/stages/frame-count`, { method: 'POST', headers: authHeaders });
    expect(noVideo.status).toBe(404);
  });

  it('forgets a deleted video’s stages', async () => {
    const upload = await uploadFile(server.baseUrl, generatedClip({ seconds: 3, width: 320, height: 240, fps: 25, audio: false }));
    const id = upload.body.id;
    expect((await followEvents(server.baseUrl, id)).at(-1)?.event).toBe('ready');
    expect((await fetch(`${server.baseUrl}/api/videos/${id}`, { method: 'DELETE', headers: authHeaders })).status).toBe(204);
    expect(await server.ctx.stageRecords.list(id)).toEqual([]);
  });
});
