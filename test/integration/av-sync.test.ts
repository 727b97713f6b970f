/**
 * A/V sync through the whole product path. Each source carries sync markers (a white frame and a
 * 1 kHz burst at the same instant, early and late in the clip) with its streams starting at
 * different times or with irregular frame times; in every published rendition the flash and the
 * beep must coincide within one frame of the rung — at the start and at the end (no drift) — on
 * the timeline an MSE player uses (test/helpers/av-sync.ts). docs/ladder.md has the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beepTimes, fetchRendition, flashTimes, makeSyncSource, type SyncSourceOptions } from '../helpers/av-sync.js';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: 2 });
  dir = mkdtempSync(path.join(tmpdir(), 'sf-avsync-'));
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const DURATION = 8;
// On even frames: in the VFR pattern frame 2k is at k/15 s exactly.
const MARKERS = [1.4, 7];

const cases: Array<[string, Omit<SyncSourceOptions, 'file' | 'durationSec' | 'markersSec'> & { ext: string }]> = [
  ['an ordinary MP4 (AAC, streams start together)', { ext: 'mp4' }],
  ['video starting 0.5 s after the audio (MOV, PCM)', { ext: 'mov', videoStartSec: 0.5, audioCodec: 'pcm_s16le' }],
  ['audio starting 0.5 s after the video (MOV, PCM)', { ext: 'mov', audioStartSec: 0.5, audioCodec: 'pcm_s16le' }],
  ['video starting 0.3 s late in Matroska (AAC)', { ext: 'mkv', videoStartSec: 0.3 }],
  ['a VFR video (frames 1/60 s and 1/20 s apart, AAC)', { ext: 'mp4', vfr: true }],
];

describe('flash and beep stay together in every rendition, at the start and at the end', () => {
  it.each(cases)('%s', async (label, { ext, ...source }) => {
    const file = await makeSyncSource({ file: path.join(dir, `${label.replace(/\W+/g, '-')}.${ext}`), durationSec: DURATION, markersSec: MARKERS, ...source });
    const upload = await uploadFile(server.baseUrl, file);
    const events = await followEvents(server.baseUrl, upload.body.id, 100_000);
    const video = events.at(-1)!.data;
    expect(video.status, video.error).toBe('ready');
    if (source.vfr) expect(video.source.video.isVfr).toBe(true);
    const base = server.baseUrl + video.playback.hls.replace(/master\.m3u8$/, '');

    const beeps = await beepTimes(await fetchRendition(`${base}a0/index.m3u8`), path.join(dir, `${upload.body.id}-a0.mp4`));
    expect(beeps).toHaveLength(MARKERS.length);
    const offsets: string[] = [];
    for (const [i, rung] of (video.renditions as Array<{ name: string; fps: number }>).entries()) {
      const flashes = await flashTimes(await fetchRendition(`${base}v${i}/index.m3u8`), path.join(dir, `${upload.body.id}-v${i}.mp4`));
      expect(flashes).toHaveLength(MARKERS.length);
      flashes.forEach((flash, m) => {
        // The stream's time 0 is the first picture: markers sit where they were, minus its start.
        expect(Math.abs(flash - (MARKERS[m]! - (source.videoStartSec ?? 0)))).toBeLessThanOrEqual(1 / rung.fps + 1e-6);
        expect(Math.abs(flash - beeps[m]!), `${rung.name} marker ${m}`).toBeLessThanOrEqual(1 / rung.fps);
        offsets.push(`${rung.name}@${MARKERS[m]}s ${((beeps[m]! - flash) * 1000).toFixed(1)} ms`);
      });
    }
    // Audio minus video per rung and marker, for docs/ladder.md.
    console.log(`A/V sync, ${label}: ${offsets.join(', ')}`);
  });
});
