/**
 * The `quality` stage through a real server: queued when a video is ready, it stores the report
 * that `GET /api/videos/:id/quality` serves (psnr and ssim for every rendition, measured against
 * the source); before that the endpoint answers 404 saying why; a gate set to `fail` fails the
 * stage with its reason and leaves the video ready.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qualityStage } from '../../src/pipeline/stages/quality.js';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { blackSectionClip } from '../helpers/defect-clips.js';
import { generatedClip } from '../helpers/media.js';

let server: TestServer;

beforeAll(async () => {
  // A perfect score passes a gate at 100; anything with an issue fails it.
  server = await startTestServer({ segmentSeconds: 2, qualityMinScore: 100, qualityGateAction: 'fail' }, { stages: [qualityStage] });
});

afterAll(async () => {
  await server?.close();
});

const get = async (path: string) => {
  const res = await fetch(`${server.baseUrl}${path}`);
  return { status: res.status, body: await res.json() };
};

async function qualityStageOf(id: string): Promise<any> {
  const { body } = await get(`/api/videos/${id}/stages`);
  return body.stages.find((s: any) => s.name === 'quality') ?? null;
}

describe('quality stage and GET /api/videos/:id/quality', () => {
  it('reports psnr and ssim for every rendition once the stage is done; 404 with the reason before', async () => {
    const upload = await uploadFile(server.baseUrl, generatedClip({ seconds: 4, width: 640, height: 360, fps: 25 }));
    expect(upload.status).toBe(201);
    const id = upload.body.id;

    const early = await get(`/api/videos/${id}/quality`);
    expect(early.status).toBe(404);
    expect(early.body.error.message).toMatch(/no quality report yet.*once the video is ready \(it is processing\)/);
    expect(early.body.stage).toBeNull();

    expect((await followEvents(server.baseUrl, id)).at(-1)?.event).toBe('ready');
    await expect.poll(async () => (await qualityStageOf(id))?.status, { timeout: 60_000, interval: 250 }).toBe('done');

    const { status, body } = await get(`/api/videos/${id}/quality`);
    expect(status).toBe(200);
    const video = (await get(`/api/videos/${id}`)).body;
    expect(video.renditions.length).toBeGreaterThan(1);
    expect(body).toMatchObject({ videoId: id, stage: { status: 'done', percent: 100 }, score: 100, issues: [], gate: { passed: true, minScore: 100, action: 'fail' } });
    const videoRenditions = video.renditions.filter((r: any) => r.width);
    expect(body.renditions).toHaveLength(videoRenditions.length);
    for (const [i, r] of body.renditions.entries()) {
      expect(r.name).toBe(`v${i}`);
      expect(r).toMatchObject({ width: videoRenditions[i].width, height: videoRenditions[i].height });
      expect(r.frames).toBeGreaterThanOrEqual(99);
      // An x264 rung of a clean test pattern against the source at its size: aligned frames score high.
      expect(r.psnr.mean).toBeGreaterThan(33);
      expect(r.psnr.min).toBeLessThanOrEqual(r.psnr.p5);
      expect(r.psnr.p5).toBeLessThanOrEqual(r.psnr.mean);
      expect(r.ssim.mean).toBeGreaterThan(0.9);
      expect(r.ssim.mean).toBeLessThanOrEqual(1);
    }
    expect(body.vmaf.available).toBe(false);
    expect(body.source.video.frames).toBe(100);
    expect(body.source.audio.loudness.integratedLufs).toBeLessThan(-10);
    expect(body.reference).toMatch(/ladder/);
  });

  it('fails the stage (not the video) when the gate is set to fail and the score is below it', async () => {
    const upload = await uploadFile(server.baseUrl, blackSectionClip());
    const id = upload.body.id;
    expect((await followEvents(server.baseUrl, id)).at(-1)?.event).toBe('ready');
    await expect.poll(async () => (await qualityStageOf(id))?.status, { timeout: 60_000, interval: 250 }).toBe('failed');
    const stage = await qualityStageOf(id);
    expect(stage.error).toMatch(/^quality gate: quality score \d+ is below the minimum 100 \(.*black-frames.*\)$/);
    expect(stage.attempts).toBe(1);
    expect((await get(`/api/videos/${id}`)).body.status).toBe('ready');
    const quality = await get(`/api/videos/${id}/quality`);
    expect(quality.status).toBe(404);
    expect(quality.body.stage.status).toBe('failed');
    expect(quality.body.error.message).toMatch(/quality stage failed: quality gate/);
  });

  it('answers 404 for an unknown video', async () => {
    const res = await get('/api/videos/AAAAAAAAAAAA/quality');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/no video/);
  });
});

describe('quality stage with an extra codec ladder', () => {
  let vp9Server: TestServer;
  beforeAll(async () => {
    vp9Server = await startTestServer({ segmentSeconds: 2, extraCodecs: 'vp9' }, { stages: [qualityStage] });
  });
  afterAll(async () => {
    await vp9Server?.close();
  });

  it('scores the VP9 copies of the rungs too, each against its rung’s reference', async () => {
    const upload = await uploadFile(vp9Server.baseUrl, generatedClip({ seconds: 4, width: 640, height: 360, fps: 25 }));
    const id = upload.body.id;
    expect((await followEvents(vp9Server.baseUrl, id)).at(-1)?.event).toBe('ready');
    await expect.poll(async () => {
      const { stages } = await (await fetch(`${vp9Server.baseUrl}/api/videos/${id}/stages`)).json();
      return stages.find((s: any) => s.name === 'quality')?.status;
    }, { timeout: 60_000, interval: 250 }).toBe('done');
    const report = await (await fetch(`${vp9Server.baseUrl}/api/videos/${id}/quality`)).json();
    const names = report.renditions.map((r: any) => r.name);
    expect(names).toEqual(['v0', 'v1', 'vp9/v0', 'vp9/v1']);
    const byName = Object.fromEntries(report.renditions.map((r: any) => [r.name, r]));
    expect(byName['vp9/v0']).toMatchObject({ width: byName.v0.width, height: byName.v0.height, frames: byName.v0.frames, label: byName.v0.label });
    for (const r of report.renditions) {
      expect(r.psnr.mean).toBeGreaterThan(33);
      expect(r.ssim.mean).toBeGreaterThan(0.9);
    }
  });
});
