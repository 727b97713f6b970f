/**
 * Every real third-party file of ../shared/media goes through the whole product path — HTTP upload,
 * probe, one-pass ladder, packaging, delivery — and either becomes a stream whose every rendition
 * ffprobe decodes end to end over HTTP with the right duration and orientation, or fails with a
 * precise reason. Files named corrupt_* may go either way; two subtitle samples whose video
 * timestamps are broken (30 frames stamped within 0.05 s) are rejected with that reason; every other
 * file must play.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile, mediaDir } from '../helpers/media.js';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';

const run = promisify(execFile);
const files = readdirSync(mediaDir).filter((f) => !f.endsWith('.md')).sort();
const SEGMENT_SECONDS = 2;
/** Not named corrupt_, but their video timestamps are: the probe refuses them and says so. */
const BROKEN_TIMESTAMPS = new Set([
  'mkv_h264_ac3_pgs__androidx_sample_with_pgs_subtitles.mkv',
  'mp4_h264_ac3_vobsub__androidx_sample_with_vobsub.mp4',
]);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: SEGMENT_SECONDS, workerConcurrency: 2 });
});
afterAll(async () => {
  await server?.close();
});

interface ProbedRendition {
  width?: number;
  height?: number;
  frames?: number;
  durationSec: number;
  rotation: number;
}

/** Decodes a whole media playlist over HTTP, counting frames, as an independent client would. */
async function decodeRendition(url: string, kind: 'video' | 'audio'): Promise<ProbedRendition> {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-count_frames', '-select_streams', kind === 'video' ? 'v:0' : 'a:0',
    '-show_entries', 'stream=width,height,nb_read_frames:stream_side_data=rotation:format=duration',
    '-of', 'json', url,
  ], { timeout: 60_000 });
  const json = JSON.parse(stdout);
  const stream = json.streams[0] ?? {};
  return {
    width: stream.width,
    height: stream.height,
    frames: stream.nb_read_frames === undefined ? undefined : Number(stream.nb_read_frames),
    durationSec: Number(json.format.duration),
    rotation: Number(stream.side_data_list?.[0]?.rotation ?? 0),
  };
}

describe('every corpus file: a playable stream or a precise rejection', () => {
  // Two at a time: the worker runs two jobs at once on this 2-core machine.
  it.concurrent.each(files)('%s', async (name) => {
    const upload = await uploadFile(server.baseUrl, corpusFile(name));
    expect(upload.status).toBe(201);
    const events = await followEvents(server.baseUrl, upload.body.id, 100_000);
    const last = events.at(-1)!;
    expect(['ready', 'failed']).toContain(last.event);
    const video = last.data;

    if (BROKEN_TIMESTAMPS.has(name)) {
      expect(video.status).toBe('failed');
      expect(video.error).toMatch(/timestamps are broken/);
      return;
    }
    if (video.status === 'failed') {
      expect(name.startsWith('corrupt_'), `${name} failed: ${video.error}`).toBe(true);
      expect(video.error).toMatch(/\w{4,}/);
      expect(video.error).not.toMatch(/internal error/i);
      return;
    }

    expect(video.status).toBe('ready');
    expect(video.playback.hls).toMatch(/master\.m3u8$/);
    const master = await (await fetch(server.baseUrl + video.playback.hls)).text();
    expect(master).toContain('#EXT-X-STREAM-INF');
    const base = server.baseUrl + video.playback.hls.replace(/master\.m3u8$/, '');
    const sourceDuration = video.durationSec as number;
    const sourceVideo = video.source.video as { displayWidth: number; displayHeight: number } | null;

    // Each video rung: full decode, duration within a segment, orientation of the displayed source.
    for (const [i, rung] of (video.renditions as Array<{ width: number; height: number }>).entries()) {
      const probed = await decodeRendition(`${base}v${i}/index.m3u8`, 'video');
      expect(probed.width).toBe(rung.width);
      expect(probed.height).toBe(rung.height);
      expect(probed.rotation).toBe(0);
      expect(probed.frames).toBeGreaterThan(0);
      expect(Math.abs(probed.durationSec - sourceDuration)).toBeLessThanOrEqual(SEGMENT_SECONDS + 0.1);
      if (sourceVideo && sourceVideo.displayWidth !== sourceVideo.displayHeight) {
        expect(rung.width > rung.height).toBe(sourceVideo.displayWidth > sourceVideo.displayHeight);
      }
    }
    if (video.source.audio.length > 0) {
      const audio = await decodeRendition(`${base}a0/index.m3u8`, 'audio');
      expect(audio.frames).toBeGreaterThan(0);
      expect(Math.abs(audio.durationSec - sourceDuration)).toBeLessThanOrEqual(SEGMENT_SECONDS + 0.1);
    } else {
      expect(master).not.toContain('TYPE=AUDIO');
    }

    // The DASH manifest lists the same segment files.
    const mpd = await (await fetch(server.baseUrl + video.playback.dash)).text();
    expect(mpd).toContain('type="static"');
    expect(mpd).toMatch(/media="(v|a)0\/seg_\$Number%05d\$\.m4s"/);

    // The progressive download decodes too.
    const download = await decodeRendition(server.baseUrl + video.playback.mp4, video.renditions.length ? 'video' : 'audio');
    expect(download.frames).toBeGreaterThan(0);
  }, 150_000);
});
