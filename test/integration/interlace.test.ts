/**
 * Interlaced content behind a container that says "progressive", through the whole product path:
 * the analysis before the ladder finds the woven fields with idet, the plan gets the deinterlacer,
 * the record says how it was decided, and the published top rung is progressive (idet on it).
 * A progressive clip is left alone.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectInterlace } from '../../src/media/interlace-detect.js';
import { DEINTERLACE_FILTER } from '../../src/pipeline/ladder.js';
import type { LadderPlan } from '../../src/pipeline/ladder-types.js';
import { fetchRendition } from '../helpers/av-sync.js';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';

const run = promisify(execFile);

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: 2 });
  dir = mkdtempSync(path.join(tmpdir(), 'sf-interlace-'));
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function processed(file: string): Promise<any> {
  const upload = await uploadFile(server.baseUrl, file);
  const events = await followEvents(server.baseUrl, upload.body.id, 100_000);
  const video = events.at(-1)!.data;
  expect(video.status, video.error).toBe('ready');
  return video;
}

async function storedPlan(id: string): Promise<LadderPlan> {
  return JSON.parse((await server.ctx.videos.get(id))!.ladder_json!) as LadderPlan;
}

describe('interlace detection before the ladder', () => {
  it('deinterlaces woven fields that the container calls progressive', async () => {
    const woven = path.join(dir, 'woven.mp4');
    // 50 fields/s woven into 25 frames/s, coded as plain progressive frames.
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=720x576:rate=50', '-t', '3', '-vf', 'tinterlace=interleave_top', '-c:v', 'libx264', '-preset', 'ultrafast', woven]);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=field_order', '-of', 'csv=p=0', woven]);
    expect(stdout.trim()).toBe('progressive');

    const video = await processed(woven);
    expect(video.source.video.interlaced).toBe(false); // what the container says
    expect(video.analysis.interlace).toMatchObject({ method: 'idet', interlaced: true, fieldOrder: 'tff' });
    expect(video.analysis.interlace.frames.tff).toBeGreaterThan(video.analysis.interlace.frames.progressive);
    expect((await storedPlan(video.id)).deinterlace).toBe(DEINTERLACE_FILTER);

    // The top rung, as published: progressive, at the frame rate of the woven frames.
    expect(video.renditions[0]).toMatchObject({ width: 720, height: 576, fps: 25 });
    const base = server.baseUrl + video.playback.hls.replace(/master\.m3u8$/, '');
    const top = await fetchRendition(`${base}v0/index.m3u8`);
    const file = path.join(dir, 'woven-v0.mp4');
    writeFileSync(file, Buffer.concat([top.init, ...top.segments]));
    const output = await detectInterlace({ ffmpegPath: 'ffmpeg', inputPath: file, demuxer: 'mov', streamIndex: 0, durationSec: 3, timeoutMs: 30_000 });
    expect(output.interlaced).toBe(false);
    expect(output.progressive).toBeGreaterThan(10 * (output.tff + output.bff));
  });

  it('leaves progressive video alone, and records that it looked', async () => {
    const video = await processed(generatedClip({ seconds: 4, width: 640, height: 360, fps: 25 }));
    expect(video.analysis.interlace).toMatchObject({ method: 'idet', interlaced: false, fieldOrder: null });
    expect((await storedPlan(video.id)).deinterlace).toBeNull();
  });
});
