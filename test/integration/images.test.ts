/**
 * The image stages and the image API on a real server: a clip built with known black, faded and
 * blurred spans and one stretch of fast cuts (test/helpers/image-clips.ts), and a real rotated
 * phone clip from the corpus. Every assertion is one a stage that did nothing useful would fail:
 * smart picks avoid the traps the interval method falls into, keyframe picks are the rendition's
 * keyframes per ffprobe, images have the asked size, bad parameters get a 400, a repeat is served
 * from the cache, the WebP is animated and the preview clip comes from the cuts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewStage } from '../../src/pipeline/stages/preview.js';
import { assembleRendition } from '../../src/pipeline/stages/published-rendition.js';
import { thumbnailsStage } from '../../src/pipeline/stages/thumbnails.js';
import { authHeaders, followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { TRAP_ACTIVE_SPAN, TRAP_BAD_SPANS, TRAP_CLIP_SECONDS, thumbnailTrapClip } from '../helpers/image-clips.js';
import { imageSize, webpChunks } from '../helpers/image-size.js';
import { corpusFile } from '../helpers/media.js';

const run = promisify(execFile);

interface StageJson {
  name: string;
  status: string;
  result: any;
  filesUrl: string | null;
  error: string | null;
}

let server: TestServer;
let scratch: string;
let videoId: string;

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.baseUrl}${url}`);
  return { status: res.status, body: await res.json() };
}

/** Waits until the stage's run (the latest, or `runId`) has finished, and returns its record. */
async function finishedStage(id: string, name: string, runId?: string): Promise<StageJson> {
  let record: StageJson | undefined;
  await expect
    .poll(
      async () => {
        const { status, body } = await getJson(`/api/videos/${id}/stages/${name}`);
        record = status === 200 ? (body as StageJson) : undefined;
        const ours = record && (runId === undefined || record.filesUrl?.includes(`/${runId}/`) || record.status === 'failed');
        return ours && (record!.status === 'done' || record!.status === 'failed') ? record!.status : `${record?.status ?? status}`;
      },
      { timeout: 90_000, interval: 150 },
    )
    .toMatch(/^(done|failed)$/);
  expect(record!.error).toBeNull();
  expect(record!.status).toBe('done');
  return record!;
}

async function requestStage(id: string, name: string, options: unknown): Promise<string> {
  const res = await fetch(`${server.baseUrl}/api/videos/${id}/stages/${name}`, {
    method: 'POST',
    headers: { ...authHeaders, 'content-type': 'application/json' },
    body: JSON.stringify(options),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

async function image(url: string, init?: RequestInit): Promise<{ res: Response; body: Buffer }> {
  const res = await fetch(`${server.baseUrl}${url}`, init);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

const badSpanOf = (time: number) => TRAP_BAD_SPANS.find((s) => time >= s.from && time < s.to);

async function uploadAndWaitReady(file: string): Promise<string> {
  const upload = await uploadFile(server.baseUrl, file);
  expect(upload.status).toBe(201);
  const events = await followEvents(server.baseUrl, upload.body.id);
  expect(events.at(-1)?.event).toBe('ready');
  return upload.body.id as string;
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'sf-images-'));
  const clip = thumbnailTrapClip();
  // Only the stages under test: other stages would compete for the same two cores.
  server = await startTestServer({}, { stages: [thumbnailsStage, previewStage] });
  videoId = await uploadAndWaitReady(clip);
});

afterAll(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('smart thumbnails', () => {
  it('are sharp, well exposed and spread out: never black, mid-fade or blurred', async () => {
    const stage = await finishedStage(videoId, 'thumbnails');
    const result = stage.result;
    expect(result.method).toBe('smart');
    expect(result.thumbnails).toHaveLength(5);
    const times = result.thumbnails.map((t: { time: number }) => t.time);
    for (const time of times) expect(badSpanOf(time), `thumbnail at ${time} s`).toBeUndefined();
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(TRAP_CLIP_SECONDS / (2 * 5) - 1e-6);
    // The analysis saw the traps for what they are.
    const rejected = new Set(result.candidates.map((c: { rejected: string | null }) => c.rejected));
    for (const kind of ['black', 'blurry', 'fade']) expect(rejected).toContain(kind);
    for (const c of result.candidates) {
      if (c.chosen) expect(c.rejected).toBeNull();
      expect(Object.keys(c.scores).sort()).toEqual(['colourfulness', 'composition', 'contrast', 'exposure', 'motion', 'sharpness']);
    }

    // The list endpoint serves them, and each is a JPEG of the top rung's size.
    const { body } = await getJson(`/api/videos/${videoId}/thumbnails`);
    expect(body.status).toBe('done');
    expect(body.thumbnails.map((t: { time: number }) => t.time)).toEqual(times);
    for (const t of body.thumbnails) {
      const { res, body: bytes } = await image(t.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      expect(imageSize('image/jpeg', bytes)).toEqual({ width: 640, height: 360 });
    }
  });

  it('are the default time of the image API', async () => {
    const { body } = await getJson(`/api/videos/${videoId}/thumbnails`);
    const best = body.thumbnails.reduce((a: any, b: any) => (b.total > a.total ? b : a));
    const { res } = await image(`/api/videos/${videoId}/thumbnail.jpg`);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-frame-time'))).toBeCloseTo(best.time, 3);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
  });
});

describe('the image API', () => {
  it('renders the asked size in every format and fit mode', async () => {
    const cases: Array<[string, string, { width: number; height: number }]> = [
      ['thumbnail.jpg?time=8.5&width=320', 'image/jpeg', { width: 320, height: 180 }],
      ['thumbnail.png?time=8.5&width=100&height=100&fit_mode=crop', 'image/png', { width: 100, height: 100 }],
      ['thumbnail.webp?time=8.5&height=90', 'image/webp', { width: 160, height: 90 }],
      ['thumbnail.jpg?time=8.5&width=200&height=200', 'image/jpeg', { width: 200, height: 113 }],
      ['thumbnail.jpg?time=8.5&width=200&height=200&fit_mode=pad', 'image/jpeg', { width: 200, height: 200 }],
      ['thumbnail.jpg?time=8.5&width=100&height=100&fit_mode=stretch', 'image/jpeg', { width: 100, height: 100 }],
      ['thumbnail.png?time=13.2&width=100&height=300&fit_mode=smartcrop', 'image/png', { width: 100, height: 300 }],
      ['thumbnail.jpg?time=20', 'image/jpeg', { width: 640, height: 360 }],
    ];
    // All at once: the renderer runs two at a time and queues the rest.
    const answers = await Promise.all(cases.map(([query]) => image(`/api/videos/${videoId}/${query}`)));
    for (const [i, [query, type, size]] of cases.entries()) {
      const { res, body } = answers[i]!;
      expect(res.status, query).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(imageSize(type, body), query).toEqual(size);
      expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
      expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/);
    }
  });

  it('shows the frame at the asked time', async () => {
    // 1 s is black; 9 s is the colour bars: a black JPEG compresses to a fraction of the bars.
    const black = await image(`/api/videos/${videoId}/thumbnail.png?time=1&width=320`);
    const bars = await image(`/api/videos/${videoId}/thumbnail.png?time=9&width=320`);
    expect(black.res.headers.get('x-frame-time')).toBe('1.000');
    expect(bars.body.length).toBeGreaterThan(5 * black.body.length);
  });

  it('refuses out-of-range or malformed parameters with 400 and a clear message', async () => {
    const cases: Array<[string, RegExp]> = [
      ['time=-1', /time must be a number of seconds ≥ 0/],
      ['time=21', /time 21 is past the end of the video \(20(\.\d+)? s\)/],
      ['time=abc', /time must be/],
      ['width=15', /width must be at least 16/],
      ['width=3841', /width must be at most 3840/],
      ['height=0', /height must be at least 16/],
      ['width=100&width=200', /width must be given once/],
      ['fit_mode=zoom', /fit_mode must be one of/],
      ['fit_mode=crop&width=100', /fit_mode=crop needs both width and height/],
      ['height=3000', /at most 3840/],
      ['quality=90', /unknown parameter quality/],
    ];
    for (const [query, message] of cases) {
      const { status, body } = await getJson(`/api/videos/${videoId}/thumbnail.jpg?${query}`);
      expect(status, query).toBe(400);
      expect(body.error.message, query).toMatch(message);
    }
    expect((await getJson('/api/videos/AAAAAAAAAAAA/thumbnail.jpg')).status).toBe(404);
    expect((await getJson('/api/videos/not-an-id/thumbnail.jpg')).status).toBe(400);
  });

  it('serves a repeat from the cache, renders concurrent identical requests once, and answers 304', async () => {
    const url = `/api/videos/${videoId}/thumbnail.webp?time=9.001&width=240`;
    const first = await image(url);
    expect(first.res.headers.get('x-image-cache')).toBe('miss');
    // Another time inside the same frame (25 fps: 9.00–9.04 s) is the same image.
    const again = await image(`/api/videos/${videoId}/thumbnail.webp?time=9.02&width=240`);
    expect(again.res.headers.get('x-image-cache')).toBe('hit');
    expect(again.res.headers.get('etag')).toBe(first.res.headers.get('etag'));
    expect(again.body.equals(first.body)).toBe(true);
    const notModified = await image(url, { headers: { 'if-none-match': first.res.headers.get('etag')! } });
    expect(notModified.res.status).toBe(304);
    expect(notModified.body.length).toBe(0);

    const burst = await Promise.all(Array.from({ length: 4 }, () => image(`/api/videos/${videoId}/thumbnail.jpg?time=17.5&width=300`)));
    const outcomes = burst.map((b) => b.res.headers.get('x-image-cache'));
    expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1);
    expect(outcomes.every((o) => ['miss', 'coalesced', 'hit'].includes(o!))).toBe(true);
    expect(new Set(burst.map((b) => b.res.headers.get('etag'))).size).toBe(1);
  });
});

describe('the preview stage', () => {
  it('makes a looping animated WebP and redirects to it; no GIF unless asked', async () => {
    await finishedStage(videoId, 'preview');
    const redirect = await fetch(`${server.baseUrl}/api/videos/${videoId}/preview.webp`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^/stream/${videoId}/[^/]+/preview/[^/]+/preview\\.webp$`));
    const { res, body } = await image(location);
    expect(res.headers.get('content-type')).toBe('image/webp');
    const chunks = webpChunks(body);
    const anim = chunks.find((c) => c.fourcc === 'ANIM');
    expect(anim, 'ANIM chunk').toBeDefined();
    expect(anim!.payload.readUInt16LE(4)).toBe(0); // loop count 0: forever
    expect(chunks.filter((c) => c.fourcc === 'ANMF').length).toBeGreaterThanOrEqual(10);
    expect(imageSize('image/webp', body)!.width).toBe(320);

    const gif = await getJson(`/api/videos/${videoId}/preview.gif`);
    expect(gif.status).toBe(404);
    expect(gif.body.error.message).toMatch(/"gif":true/);
  });

  it('cuts the preview clip from the busiest span, and a GIF on request', async () => {
    expect((await fetch(`${server.baseUrl}/api/videos/${videoId}/stages/preview`, {
      method: 'POST', headers: { ...authHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ clipSeconds: 31 }),
    })).status).toBe(400);
    const runId = await requestStage(videoId, 'preview', { gif: true, clipSeconds: 4 });
    const stage = await finishedStage(videoId, 'preview', runId);
    const clip = stage.result.clip;
    expect(clip.durationSec).toBe(4);
    expect(clip.startSec).toBeGreaterThanOrEqual(TRAP_ACTIVE_SPAN.from - 0.5);
    expect(clip.startSec).toBeLessThanOrEqual(TRAP_ACTIVE_SPAN.from + 1);

    const mp4Redirect = await fetch(`${server.baseUrl}/api/videos/${videoId}/preview.mp4`, { redirect: 'manual' });
    expect(mp4Redirect.status).toBe(302);
    const mp4 = await image(mp4Redirect.headers.get('location')!);
    expect(mp4.res.headers.get('content-type')).toBe('video/mp4');
    const file = path.join(scratch, 'preview.mp4');
    writeFileSync(file, mp4.body);
    const probe = JSON.parse((await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', file])).stdout);
    expect(probe.streams.map((s: { codec_name: string }) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(Number(probe.format.duration)).toBeLessThanOrEqual(4.1);
    // The clip is the cuts: ffmpeg's own scene detection finds most of them in it.
    const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', file, '-vf', "select='gt(scene,0.3)',showinfo", '-f', 'null', '-']);
    expect((stderr.match(/pts_time:/g) ?? []).length).toBeGreaterThanOrEqual(5);

    const gifRedirect = await fetch(`${server.baseUrl}/api/videos/${videoId}/preview.gif`, { redirect: 'manual' });
    expect(gifRedirect.status).toBe(302);
    const gif = await image(gifRedirect.headers.get('location')!);
    expect(gif.res.headers.get('content-type')).toBe('image/gif');
    expect(gif.body.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect(gif.body.includes(Buffer.from('NETSCAPE2.0'))).toBe(true);
  });
});

describe('other thumbnail methods', () => {
  it('interval takes the middle of equal parts — and lands in the traps smart avoids', async () => {
    const runId = await requestStage(videoId, 'thumbnails', { method: 'interval', count: 5 });
    const { result } = await finishedStage(videoId, 'thumbnails', runId);
    const times: number[] = result.thumbnails.map((t: { time: number }) => t.time);
    // The first frame at or after the middle of each fifth (25 fps: within 0.04 s).
    const durationSec = (await server.ctx.videos.get(videoId))!.duration_ms! / 1000;
    expect(times).toHaveLength(5);
    times.forEach((t, i) => {
      const target = ((i + 0.5) * durationSec) / 5;
      expect(t).toBeGreaterThanOrEqual(target - 1e-6);
      expect(t).toBeLessThan(target + 0.04 + 1e-6);
    });
    expect(times.filter((t: number) => badSpanOf(t)).length).toBeGreaterThanOrEqual(2);
  });

  it('keyframes returns the rendition’s keyframes, as ffprobe sees them', async () => {
    const runId = await requestStage(videoId, 'thumbnails', { method: 'keyframes', count: 20 });
    const { result } = await finishedStage(videoId, 'thumbnails', runId);
    const row = await server.ctx.videos.get(videoId);
    const v0 = await assembleRendition({ store: server.ctx.store, keyPrefix: row!.output_prefix!, rendition: 'v0', outPath: path.join(scratch, 'v0.mp4') });
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-skip_frame', 'nokey', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', v0]);
    const pts = stdout.split('\n').filter((line) => line.trim() !== '').map((line) => Number(line.split(',')[0]));
    const keyframes = pts.map((t) => Math.round((t - pts[0]!) * 1000) / 1000);
    expect(keyframes.length).toBeGreaterThanOrEqual(5);
    expect(result.thumbnails.map((t: { time: number }) => t.time)).toEqual(keyframes);
    expect(result.keyframeTimes).toEqual(keyframes);
  });

  it('refuses options out of bounds', async () => {
    for (const options of [{ count: 21 }, { count: 0 }, { method: 'random' }, { size: 3 }]) {
      const res = await fetch(`${server.baseUrl}/api/videos/${videoId}/stages/thumbnails`, {
        method: 'POST', headers: { ...authHeaders, 'content-type': 'application/json' }, body: JSON.stringify(options),
      });
      expect(res.status, JSON.stringify(options)).toBe(400);
    }
  });
});

describe('a real rotated phone clip', () => {
  it('is 409 until ready, then has portrait thumbnails from the top rung, measured on a smaller one', async () => {
    const upload = await uploadFile(server.baseUrl, corpusFile('rot90_h264_aac_small__androidx_sample_rotate_and_reflect.mp4'));
    expect(upload.status).toBe(201);
    const early = await getJson(`/api/videos/${upload.body.id}/thumbnail.jpg`);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'video_not_ready' });
    expect(early.body.error.message).toMatch(/processing/);
    const events = await followEvents(server.baseUrl, upload.body.id);
    expect(events.at(-1)?.event).toBe('ready');

    const { result } = await finishedStage(upload.body.id, 'thumbnails');
    const row = await server.ctx.videos.get(upload.body.id);
    const top = JSON.parse(row!.ladder_json!).video[0];
    expect(top.height).toBeGreaterThan(top.width);
    expect(result.imageRendition).toBe('v0');
    expect(result.analysedRendition).not.toBe('v0');
    expect(result.thumbnails.length).toBeGreaterThanOrEqual(1);
    for (const t of result.thumbnails) expect({ width: t.width, height: t.height }).toEqual({ width: top.width, height: top.height });

    const { res, body } = await image(`/api/videos/${upload.body.id}/thumbnail.jpg?width=100`);
    expect(res.status).toBe(200);
    expect(imageSize('image/jpeg', body)).toEqual({ width: 100, height: Math.round((100 * top.height) / top.width) });
  });
});
