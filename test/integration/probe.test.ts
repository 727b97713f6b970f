/**
 * probeMedia against every real file of ../shared/media (expectations from its SOURCES.md, checked by
 * hand against ffprobe), plus hostile inputs: each becomes a MediaInfo with the right orientation, size
 * and duration, or a rejection whose reason names the problem. The ladder planned from each accepted
 * file keeps its orientation and never upscales.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaLimitError, TimeoutError, UnsupportedMediaError } from '../../src/errors.js';
import { probeMedia } from '../../src/media/ffprobe.js';
import type { MediaInfo } from '../../src/media/media-info.js';
import { MAX_AUDIO_RENDITIONS, planLadder } from '../../src/pipeline/ladder.js';
import { corpusFile, mediaDir } from '../helpers/media.js';

const PROBE_TIMEOUT_MS = 20_000;
const TEST_TIMEOUT_MS = 30_000;

const probe = (filePath: string, limits?: Parameters<typeof probeMedia>[0]['limits']) =>
  probeMedia({ ffprobePath: 'ffprobe', filePath, timeoutMs: PROBE_TIMEOUT_MS, limits });

interface Accepted {
  /** Display size (rotation applied), or null for audio-only. */
  display: [number, number] | null;
  durationSec: number;
  rotation?: 0 | 90 | 180 | 270;
  fps?: string;
  hdr?: 'pq' | 'hlg';
  bitDepth?: number;
  audio?: string[];
  subtitles?: string[];
}
interface Rejected {
  error: typeof UnsupportedMediaError | typeof MediaLimitError;
  reason: RegExp;
}

const BROKEN_TIMESTAMPS = /video timestamps are broken: 30 frames are stamped within 0\.04\d s of a 1\.24 s file/;

const expectations: Record<string, Accepted | Rejected> = {
  'audioonly_aac_mono__androidx_sample_audio_only.mp4': { display: null, durationSec: 1.089, audio: ['aac/1'] },
  'audioonly_mp3_id3__androidx_bear-id3.mp3': { display: null, durationSec: 2.696, audio: ['mp3/2'] }, // cover art is not video
  'av1_10bit_pq_portrait__androidx_hdr10-av1.mp4': { display: [720, 1280], durationSec: 4.238, hdr: 'pq', bitDepth: 10, fps: '30000/1001' },
  'avi_h264_mp3_256x144__androidx_sample-with-large-length.avi': { display: [256, 144], durationSec: 1.967, fps: '30/1' },
  'avi_mpeg4asp_mp3_960x400__androidx_sample.avi': { display: [960, 400], durationSec: 4.087, fps: '24000/1001' },
  // 29 of 30 frames decode; ffmpeg conceals the bad NAL unit, so the file is salvaged.
  'corrupt_h264_invalid_nalu__androidx_sample_with_invalid_nalu.mp4': { display: [1080, 720], durationSec: 1.001, audio: [] },
  // Every sample the index lists is present; only the mdat box size is wrong.
  'corrupt_mdat_too_long__androidx_sample_mdat_too_long.mp4': { display: [1080, 720], durationSec: 1.024 },
  'corrupt_truncated_after_moov__androidx_large_stbl_truncated_after_moov.m4b': {
    error: UnsupportedMediaError,
    reason: /file is truncated: its index describes 6422 s of audio \(51\.9 MB\) but none of it is present/,
  },
  'corrupt_vp9_invalid_bitstream__androidx_invalid-bitstream.webm': {
    error: UnsupportedMediaError,
    reason: /the vp9 video stream cannot be decoded \(decoder: Invalid (frame marker|sync code)\)/,
  },
  'flv_h264_aac_720p60__androidx_sample.flv': { display: [1080, 720], durationSec: 1.136, fps: '30/1' },
  // Header claims 143165 s; the packets span 1.07 s.
  'fragmented_h264_aac__androidx_sample_fragmented.mp4': { display: [1080, 720], durationSec: 1.068, fps: '30000/1001' },
  'h264_aac_1080x720_1s__androidx_sample.mp4': { display: [1080, 720], durationSec: 1.024, fps: '30000/1001', audio: ['aac/1'] },
  'hevc_main10_hlg_1080p_0.3s__androidx_hlg10-color-test.mp4': { display: [1920, 1080], durationSec: 0.3, hdr: 'hlg', bitDepth: 10 },
  'hevc_main10_pq_hdr10_1080p__androidx_hdr10-video-with-sdr-container.mp4': { display: [1920, 1080], durationSec: 1.018, hdr: 'pq', bitDepth: 10, fps: '140000/5087' },
  'iphone_hevc_main10_hlg_rot90_0.1s__androidx_dolbyVision-hdr.MOV': { display: [720, 1280], durationSec: 0.107, rotation: 90, hdr: 'hlg', audio: ['aac/2'] },
  'mkv_h264_ac3_ass__androidx_sample_with_ass_subtitles.mkv': { display: [1080, 720], durationSec: 1.139, fps: '30/1', audio: ['ac3/1'], subtitles: ['ass'] },
  // Video stamped at 1/600 s per frame: the muxer wrote the wrong time base.
  'mkv_h264_ac3_pgs__androidx_sample_with_pgs_subtitles.mkv': { error: UnsupportedMediaError, reason: BROKEN_TIMESTAMPS },
  'mkv_h264_ac3_srt__androidx_sample_with_srt.mkv': { display: [1080, 720], durationSec: 1.234, fps: '30/1', subtitles: ['subrip'] },
  'mov_h264_aac_640x428_audiofirst__androidx_bt601.mov': { display: [640, 428], durationSec: 1.02, audio: ['aac/1'] },
  'mov_h264_pcm_1080p50__androidx_sowt-with-video.mov': { display: [1920, 1080], durationSec: 2.0, fps: '50/1', audio: ['pcm_s16le/2'] },
  'mp4_h264_ac3_vobsub__androidx_sample_with_vobsub.mp4': { error: UnsupportedMediaError, reason: BROKEN_TIMESTAMPS },
  'multiaudio_ac3_51_plus_aac_stereo__androidx_sample_ac3_aac.mp4': { display: null, durationSec: 0.298, audio: ['ac3/6', 'aac/2'] },
  'noaudio_h264_1080x720__androidx_sample_video_only.mp4': { display: [1080, 720], durationSec: 1.001, audio: [] },
  'odd_161x121_vp9__androidx_bear-vp9-odd-dimensions.webm': { display: [161, 121], durationSec: 1.001, fps: '30000/1001' },
  'phone_pixel7_1080p_rot180_noaudio__androidx_pixel7_videoOnly_cleaned.mp4': { display: [1920, 1080], durationSec: 1.206, rotation: 180, audio: [] },
  'phone_portrait_4k60_rot90_vfr__androidx_portrait_4k60.mp4': { display: [2160, 3840], durationSec: 0.313, rotation: 90, fps: '60/1' },
  'portrait_coded_720x1080__androidx_sample_portrait.mp4': { display: [720, 1080], durationSec: 1.089, rotation: 0 },
  'rot90_h264_aac_small__androidx_sample_rotate_and_reflect.mp4': { display: [720, 1080], durationSec: 1.024, rotation: 90 },
  'short_0.1s_hevc_rot90_metadata__androidx_h265_with_metadata_track.mp4': { display: [1080, 1920], durationSec: 0.1, rotation: 90, audio: ['aac/2'] },
  'short_0.34s_hevc_8k__androidx_8k24fps_300ms.mp4': { display: [7680, 4320], durationSec: 0.34, fps: '24/1' },
  'short_0.53s_h264_aac__androidx_sample_edit_list_only_preroll_sync_sample.mp4': { display: [640, 360], durationSec: 0.534 },
  'ts_mpeg2_mp2_1080p24__androidx_bbb_2500ms.ts': { display: [1920, 1080], durationSec: 2.513, fps: '24/1', audio: ['mp2/2'] },
  'vp9_profile2_10bit__androidx_roadtrip-vp92-10bit.webm': { display: [426, 240], durationSec: 3.002, bitDepth: 10, fps: '24000/1001', audio: [] },
  'webm_opus_audioonly__androidx_bbb_1ch_48kHz_q10_opus.webm': { display: null, durationSec: 3.008, audio: ['opus/1'] },
  'webm_vp9_320x240_noaudio__androidx_bear-vp9.webm': { display: [320, 240], durationSec: 2.703, audio: [] },
  'webm_vp9_vorbis51_960x540_60fps__androidx_bbb_960x540_60fps_vp8.webm': { display: [960, 540], durationSec: 1.012, fps: '60/1', audio: ['vorbis/6'] },
};

const corpus = readdirSync(mediaDir).filter((f) => !f.endsWith('.md')).sort();

function checkLadder(info: MediaInfo): void {
  const plan = planLadder(info, { segmentSeconds: 4, maxFps: 60 });
  // Every audio track becomes a rendition (up to the cap), the default one first.
  expect(plan.audio.length).toBe(Math.min(info.audio.length, MAX_AUDIO_RENDITIONS));
  if (info.audio.length > 0) expect(plan.audio[0]!.sourceIndex).toBe(info.audio[0]!.index);
  if (!info.video) {
    expect(plan.video).toEqual([]);
    return;
  }
  const { displayWidth, displayHeight } = info.video;
  expect(plan.video.length).toBeGreaterThan(0);
  for (const rung of plan.video) {
    expect(rung.width % 2 + (rung.height % 2)).toBe(0);
    expect(rung.width).toBeLessThanOrEqual(displayWidth);
    expect(rung.height).toBeLessThanOrEqual(displayHeight);
    if (displayWidth !== displayHeight) expect(rung.width > rung.height).toBe(displayWidth > displayHeight);
  }
}

describe('probeMedia on every corpus file', () => {
  it('has an expectation for every file in the corpus', { timeout: 5_000 }, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(36);
    expect(corpus.filter((f) => !(f in expectations))).toEqual([]);
  });

  it.each(corpus)('%s', { timeout: TEST_TIMEOUT_MS }, async (name) => {
    const expected = expectations[name];
    if (!expected) return; // reported by the test above
    if ('error' in expected) {
      const error = await probe(corpusFile(name)).then(
        (info) => new Error(`accepted: ${JSON.stringify(info)}`),
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(expected.error);
      expect((error as Error).message).toMatch(expected.reason);
      expect((error as Error).message).not.toContain(mediaDir);
      return;
    }
    const info = await probe(corpusFile(name));
    expect(info.durationSec).toBeGreaterThan(0);
    expect(Math.abs(info.durationSec - expected.durationSec)).toBeLessThanOrEqual(0.01);
    if (expected.display === null) {
      expect(info.video).toBeNull();
    } else {
      expect(info.video).not.toBeNull();
      const v = info.video!;
      expect([v.displayWidth, v.displayHeight]).toEqual(expected.display);
      expect(v.rotation).toBe(expected.rotation ?? v.rotation);
      if (expected.rotation === undefined) expect([0, 180]).toContain(v.rotation);
      if (expected.fps) expect(`${v.fpsRational.num}/${v.fpsRational.den}`).toBe(expected.fps);
      expect(v.hdr).toBe(expected.hdr ?? null);
      if (expected.bitDepth) expect(v.bitDepth).toBe(expected.bitDepth);
      expect(v.fps).toBeGreaterThan(0);
      expect(v.fps).toBeLessThanOrEqual(240);
      expect(v.bitrateBps).toBeGreaterThan(0);
    }
    if (expected.audio) expect(info.audio.map((a) => `${a.codec}/${a.channels}`)).toEqual(expected.audio);
    if (expected.subtitles) expect(info.subtitles.map((s) => s.codec)).toEqual(expected.subtitles);
    checkLadder(info);
  });
});

describe('probeMedia limits and time bounds on real files', () => {
  it('applies caller limits (8K over a 4K pixel budget) with MediaLimitError', { timeout: TEST_TIMEOUT_MS }, async () => {
    const file = corpusFile('short_0.34s_hevc_8k__androidx_8k24fps_300ms.mp4');
    await expect(probe(file, { maxPixels: 3840 * 2160 })).rejects.toThrow(MediaLimitError);
    await expect(probe(file, { maxWidth: 4096 })).rejects.toThrow(/width 7680 px exceeds the limit of 4096 px/);
    await expect(probe(file, { maxDurationSec: 0.2 })).rejects.toThrow(/duration 0\.340 s exceeds the limit of 0\.200 s/);
  });

  it('an exhausted time budget is a TimeoutError, not a verdict on the file', { timeout: TEST_TIMEOUT_MS }, async () => {
    const file = corpusFile('h264_aac_1080x720_1s__androidx_sample.mp4');
    await expect(probeMedia({ ffprobePath: 'ffprobe', filePath: file, timeoutMs: 1 })).rejects.toThrow(TimeoutError);
  });

  it('an aborted probe rejects with the abort reason', { timeout: TEST_TIMEOUT_MS }, async () => {
    const controller = new AbortController();
    controller.abort(new Error('job cancelled'));
    const file = corpusFile('h264_aac_1080x720_1s__androidx_sample.mp4');
    await expect(
      probeMedia({ ffprobePath: 'ffprobe', filePath: file, timeoutMs: PROBE_TIMEOUT_MS, signal: controller.signal }),
    ).rejects.toThrow(/job cancelled/);
  });
});

describe('probeMedia on hostile inputs', () => {
  let dir: string;
  const target = corpusFile('h264_aac_1080x720_1s__androidx_sample.mp4');
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sf-probe-'));
    writeFileSync(path.join(dir, 'text.mp4'), 'hello, this is a text file and not a video at all\n'.repeat(20));
    // A playlist whose "segments" are other local files: default ffprobe would read them.
    writeFileSync(
      path.join(dir, 'playlist.mp4'),
      `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\n${target}\n#EXTINF:1.0,\nfile:${target}\n#EXT-X-ENDLIST\n`,
    );
    writeFileSync(path.join(dir, 'concat.mp4'), `ffconcat version 1.0\nfile '${target}'\n`);
    writeFileSync(path.join(dir, 'empty.mp4'), '');
    writeFileSync(path.join(dir, 'subtitles.mp4'), '1\n00:00:00,000 --> 00:00:01,000\nhello\n\n');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=red:s=64x48', '-frames:v', '1', '-y', path.join(dir, 'image.png')]);
    execFileSync('cp', [path.join(dir, 'image.png'), path.join(dir, 'image.mp4')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, RegExp]> = [
    ['text.mp4', /^not a recognised video or audio file \(moov atom not found\)$/],
    ['playlist.mp4', /^an HLS playlist \(format hls\) is not accepted/],
    ['concat.mp4', /^an ffconcat script \(format concat\) is not accepted/],
    ['empty.mp4', /^the file is empty \(0 bytes\)$/],
    ['image.png', /^an image \(format png_pipe\) is not accepted/],
    ['image.mp4', /^an image \(format png_pipe\) is not accepted/],
    ['subtitles.mp4', /^a subtitle file \(format srt\) is not accepted/],
  ];
  it.each(cases)('%s is rejected with a reason naming the problem', { timeout: TEST_TIMEOUT_MS }, async (name, reason) => {
    const error = await probe(path.join(dir, name)).then(
      (info) => new Error(`accepted: ${JSON.stringify(info)}`),
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(UnsupportedMediaError);
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).not.toContain(dir);
  });

  it('a directory is not a file', { timeout: TEST_TIMEOUT_MS }, async () => {
    await expect(probe(dir)).rejects.toThrow(/not a regular file/);
  });

  it('refuses a relative path (a programming error, not a user error)', { timeout: TEST_TIMEOUT_MS }, async () => {
    await expect(probe('relative/video.mp4')).rejects.toThrow(TypeError);
  });
});
