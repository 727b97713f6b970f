/**
 * The storyboard on real media: sprites and indexes from makeStoryboard checked against the real
 * pixel size of each sprite (ffprobe), and the whole path through the API — upload, ready, the
 * storyboard redirect, the VTT and a sprite served by the origin with the right types.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStoryboard, type StoryboardLayout } from '../../src/pipeline/storyboard.js';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { corpusFile, generatedClip } from '../helpers/media.js';

const run = promisify(execFile);

interface Cue {
  startSec: number;
  endSec: number;
  sprite: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

function parseTimestamp(text: string): number {
  const m = /^(\d{2,}):(\d{2}):(\d{2})\.(\d{3})$/.exec(text);
  if (!m) throw new Error(`bad WebVTT timestamp ${text}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
}

/** A strict reader of our storyboard VTT: header, then blocks of `start --> end` and `uri#xywh=`. */
function parseStoryboardVtt(text: string): Cue[] {
  const [header, ...blocks] = text.trimEnd().split('\n\n');
  expect(header).toBe('WEBVTT');
  return blocks.map((block) => {
    const [timing, uri, ...rest] = block.split('\n');
    expect(rest).toEqual([]);
    const t = /^(\S+) --> (\S+)$/.exec(timing!);
    const u = /^([\w.-]+\.jpg)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(uri!);
    if (!t || !u) throw new Error(`bad cue:\n${block}`);
    return {
      startSec: parseTimestamp(t[1]!),
      endSec: parseTimestamp(t[2]!),
      sprite: u[1]!,
      x: Number(u[2]),
      y: Number(u[3]),
      w: Number(u[4]),
      h: Number(u[5]),
    };
  });
}

async function imageSize(file: string): Promise<{ width: number; height: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'json', file]);
  const stream = (JSON.parse(stdout) as { streams: Array<{ width: number; height: number }> }).streams[0]!;
  return { width: stream.width, height: stream.height };
}

async function durationOf(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

/** Cues contiguous from 0 to the duration, every rectangle inside its sprite's real pixels. */
async function expectSoundStoryboard(dir: string, durationSec: number): Promise<{ cues: Cue[]; layout: StoryboardLayout }> {
  const cues = parseStoryboardVtt(readFileSync(path.join(dir, 'storyboard.vtt'), 'utf8'));
  const layout = JSON.parse(readFileSync(path.join(dir, 'storyboard.json'), 'utf8')) as StoryboardLayout;
  expect(cues.length).toBeGreaterThan(0);
  expect(cues[0]!.startSec).toBe(0);
  expect(cues.at(-1)!.endSec).toBeCloseTo(durationSec, 3);
  for (let i = 0; i < cues.length; i++) {
    expect(cues[i]!.endSec).toBeGreaterThan(cues[i]!.startSec);
    if (i > 0) expect(cues[i]!.startSec).toBe(cues[i - 1]!.endSec);
  }
  const sizes = new Map<string, { width: number; height: number }>();
  for (const sprite of layout.sprites) sizes.set(sprite, await imageSize(path.join(dir, sprite)));
  for (const cue of cues) {
    const size = sizes.get(cue.sprite);
    expect(size, cue.sprite).toBeDefined();
    expect(cue.x + cue.w).toBeLessThanOrEqual(size!.width);
    expect(cue.y + cue.h).toBeLessThanOrEqual(size!.height);
    expect([cue.w, cue.h]).toEqual([layout.width, layout.height]);
  }
  // The JSON index says the same as the VTT.
  expect(layout.tiles.map((t) => ({ startSec: t.start, endSec: t.end, sprite: t.sprite, x: t.x, y: t.y, w: t.w, h: t.h }))).toEqual(cues);
  return { cues, layout };
}

describe('makeStoryboard', () => {
  let outRoot: string;
  beforeAll(() => {
    outRoot = mkdtempSync(path.join(tmpdir(), 'sf-storyboard-'));
  });
  afterAll(() => {
    rmSync(outRoot, { recursive: true, force: true });
  });

  it('tiles a landscape clip over several sheets, the last one partial', async () => {
    const clip = generatedClip({ seconds: 25, width: 320, height: 180, fps: 25 });
    const durationSec = await durationOf(clip);
    const outDir = path.join(outRoot, 'landscape');
    const result = await makeStoryboard({
      ffmpegPath: 'ffmpeg', inputPath: clip, durationSec, outDir, timeoutMs: 60_000, maxColumns: 4, maxRows: 2,
    });
    const { cues, layout } = await expectSoundStoryboard(outDir, durationSec);
    expect(layout.intervalSec).toBe(1);
    expect(cues).toHaveLength(25);
    expect(layout.sprites).toEqual(['sprite_000.jpg', 'sprite_001.jpg', 'sprite_002.jpg', 'sprite_003.jpg']);
    expect(cues.filter((c) => c.sprite === 'sprite_003.jpg')).toHaveLength(1);
    expect([layout.width, layout.height]).toEqual([160, 90]);
    expect(result.files).toEqual([...layout.sprites, 'storyboard.vtt', 'storyboard.json']);
  });

  it('keeps a portrait clip portrait and gives a clip shorter than two intervals one thumbnail', async () => {
    const file = corpusFile('portrait_coded_720x1080__androidx_sample_portrait.mp4');
    const durationSec = await durationOf(file);
    const outDir = path.join(outRoot, 'portrait');
    await makeStoryboard({ ffmpegPath: 'ffmpeg', inputPath: file, durationSec, outDir, timeoutMs: 60_000 });
    const { cues, layout } = await expectSoundStoryboard(outDir, durationSec);
    expect(durationSec).toBeLessThan(2);
    expect(cues).toHaveLength(1);
    expect(layout.width).toBe(160);
    expect(layout.height).toBeGreaterThan(layout.width);
    expect(layout.height % 2).toBe(0);
  });

  it('handles a clip shorter than one interval', async () => {
    const clip = generatedClip({ seconds: 3, width: 320, height: 240, fps: 25, audio: false });
    const outDir = path.join(outRoot, 'short');
    await makeStoryboard({ ffmpegPath: 'ffmpeg', inputPath: clip, durationSec: 3, outDir, timeoutMs: 60_000, intervalSec: 5 });
    const { cues, layout } = await expectSoundStoryboard(outDir, 3);
    expect(cues).toEqual([{ startSec: 0, endSec: 3, sprite: 'sprite_000.jpg', x: 0, y: 0, w: 160, h: 120 }]);
    expect(await imageSize(path.join(outDir, 'sprite_000.jpg'))).toEqual({ width: 160, height: 120 });
    expect(layout.sprites).toEqual(['sprite_000.jpg']);
  });
});

describe('storyboard through the API', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ segmentSeconds: 2 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('publishes the storyboard of a ready video and redirects to it', async () => {
    const { body } = await uploadFile(server.baseUrl, generatedClip({ seconds: 6, width: 640, height: 360, fps: 25 }));
    expect((await followEvents(server.baseUrl, body.id)).at(-1)!.event).toBe('ready');
    const video = await (await fetch(`${server.baseUrl}/api/videos/${body.id}`)).json();
    expect(video.playback.storyboard).toMatch(new RegExp(`^/stream/${body.id}/[0-9a-z]+/storyboard/storyboard\\.vtt$`));

    const redirect = await fetch(`${server.baseUrl}/api/videos/${body.id}/storyboard.vtt`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(video.playback.storyboard);

    const vtt = await fetch(`${server.baseUrl}/api/videos/${body.id}/storyboard.vtt`);
    expect(vtt.status).toBe(200);
    expect(vtt.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
    const cues = parseStoryboardVtt(await vtt.text());
    expect(cues).toHaveLength(6);
    expect(cues.at(-1)!.endSec).toBeCloseTo(video.durationSec, 3);

    const sprite = await fetch(new URL(cues[0]!.sprite, vtt.url));
    expect(sprite.status).toBe(200);
    expect(sprite.headers.get('content-type')).toBe('image/jpeg');
    const spriteFile = path.join(server.dataDir, 'sprite.jpg');
    writeFileSync(spriteFile, Buffer.from(await sprite.arrayBuffer()));
    const size = await imageSize(spriteFile);
    for (const cue of cues) {
      expect(cue.x + cue.w).toBeLessThanOrEqual(size.width);
      expect(cue.y + cue.h).toBeLessThanOrEqual(size.height);
    }

    const json = await fetch(`${server.baseUrl}/api/videos/${body.id}/storyboard.json`);
    expect(json.headers.get('content-type')).toBe('application/json');
    const layout = (await json.json()) as StoryboardLayout;
    expect(layout.tiles).toHaveLength(6);
    expect([layout.width, layout.height]).toEqual([160, 90]);
  });

  it('answers 404 with the error shape for an audio-only, a failed and an unknown video', async () => {
    const audio = path.join(server.dataDir, 'tone.m4a');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3', '-c:a', 'aac', audio]);
    const { body } = await uploadFile(server.baseUrl, audio);
    expect((await followEvents(server.baseUrl, body.id)).at(-1)!.event).toBe('ready');
    const video = await (await fetch(`${server.baseUrl}/api/videos/${body.id}`)).json();
    expect(video.audioOnly).toBe(true);
    expect(video.playback.storyboard).toBeNull();
    for (const file of ['storyboard.vtt', 'storyboard.json']) {
      const res = await fetch(`${server.baseUrl}/api/videos/${body.id}/${file}`, { redirect: 'manual' });
      expect(res.status).toBe(404);
      expect((await res.json()).error.message).toMatch(/audio only/);
    }
    const junk = path.join(server.dataDir, 'notes.mp4');
    writeFileSync(junk, 'not a video\n'.repeat(100));
    const failed = (await uploadFile(server.baseUrl, junk)).body;
    expect((await followEvents(server.baseUrl, failed.id)).at(-1)!.event).toBe('failed');
    const res = await fetch(`${server.baseUrl}/api/videos/${failed.id}/storyboard.vtt`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toMatch(/no storyboard.*failed/);

    const unknown = await fetch(`${server.baseUrl}/api/videos/AAAAAAAAAAAA/storyboard.vtt`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBeTruthy();
  });
});
