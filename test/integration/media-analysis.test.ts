/**
 * Content checks the pipeline runs before the ladder, on real ffmpeg: interlace detection that
 * sees through a container claiming "progressive", two-pass loudness normalisation that lands
 * within 1 LU of the target, and hardware-encoder detection that falls back to libx264 cleanly.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectH264Encoder, parseEncoderList } from '../../src/media/encoders.js';
import { detectInterlace } from '../../src/media/interlace-detect.js';
import { measureLoudness, normalisationFilter, STREAMING_TARGET } from '../../src/media/loudness.js';
import { followEvents, startTestServer, uploadFile } from '../helpers/app-server.js';
import { corpusFile, generatedClip } from '../helpers/media.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sf-analysis-'));

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
}

describe('interlace detection (idet)', () => {
  it('finds interlaced content in a file whose container says progressive', async () => {
    const file = path.join(dir, 'woven.mp4');
    // Two fields woven into each frame, then coded as plain progressive frames: the container lies.
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=720x576:rate=50', '-t', '3', '-vf', 'tinterlace=interleave_top', '-c:v', 'libx264', '-preset', 'ultrafast', file]);
    expect(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=field_order', '-of', 'csv=p=0', file]).toString().trim()).toBe('progressive');
    const result = await detectInterlace({ ffmpegPath: 'ffmpeg', inputPath: file, demuxer: 'mov', streamIndex: 0, durationSec: 3, timeoutMs: 30_000 });
    expect(result).toMatchObject({ interlaced: true, fieldOrder: 'tff' });
    expect(result.tff).toBeGreaterThan(result.progressive);
  });

  it('leaves real progressive video alone', async () => {
    const file = corpusFile('ts_mpeg2_mp2_1080p24__androidx_bbb_2500ms.ts');
    const result = await detectInterlace({ ffmpegPath: 'ffmpeg', inputPath: file, demuxer: 'mpegts', streamIndex: 0, durationSec: 2.5, timeoutMs: 30_000 });
    expect(result.interlaced).toBe(false);
    expect(result.progressive).toBeGreaterThan(0);
  });
});

describe('loudness normalisation (two-pass loudnorm)', () => {
  for (const [label, volume] of [['quiet', '-30dB'], ['loud', '+6dB']] as const) {
    it(`brings a ${label} track to ${STREAMING_TARGET.integratedLufs} LUFS ±1 LU`, async () => {
      const source = path.join(dir, `${label}.wav`);
      // Pink-ish noise with a slow tremolo: programme-like, measurable, not a pure tone.
      ffmpeg(['-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.3:duration=8:sample_rate=48000', '-af', `tremolo=f=0.5:d=0.4,volume=${volume}`, '-ac', '2', source]);
      const before = await measureLoudness({ ffmpegPath: 'ffmpeg', inputPath: source, demuxer: 'wav', streamIndex: 0, target: STREAMING_TARGET, timeoutMs: 30_000 });
      expect(Math.abs(before.integratedLufs - STREAMING_TARGET.integratedLufs)).toBeGreaterThan(3);
      const filter = normalisationFilter(before, STREAMING_TARGET)!;
      expect(filter).toContain('linear=true');
      const normalised = path.join(dir, `${label}-normalised.wav`);
      ffmpeg(['-i', source, '-af', `${filter},aresample=48000`, normalised]);
      const after = await measureLoudness({ ffmpegPath: 'ffmpeg', inputPath: normalised, demuxer: 'wav', streamIndex: 0, target: STREAMING_TARGET, timeoutMs: 30_000 });
      expect(Math.abs(after.integratedLufs - STREAMING_TARGET.integratedLufs)).toBeLessThanOrEqual(1);
      expect(after.truePeakDbtp).toBeLessThanOrEqual(STREAMING_TARGET.truePeakDbtp + 0.5);
    });
  }

  it('applies no gain to digital silence', async () => {
    const source = path.join(dir, 'silence.wav');
    ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo', '-t', '3', source]);
    const measured = await measureLoudness({ ffmpegPath: 'ffmpeg', inputPath: source, demuxer: 'wav', streamIndex: 0, target: STREAMING_TARGET, timeoutMs: 30_000 });
    expect(normalisationFilter(measured, STREAMING_TARGET)).toBeNull();
  });
});

describe('hardware encoder detection', () => {
  it('reads the encoder list', () => {
    const names = parseEncoderList(execFileSync('ffmpeg', ['-hide_banner', '-encoders']).toString());
    expect(names.has('libx264')).toBe(true);
    expect(names.has('aac')).toBe(true);
  });

  it('uses libx264 when not configured, without trying anything', async () => {
    expect(await detectH264Encoder({ ffmpegPath: 'ffmpeg', setting: 'none' })).toEqual({ encoder: { name: 'libx264', hardware: null }, tried: [] });
  });

  it('falls back to libx264 with a reason per candidate when no hardware works (auto)', async () => {
    const result = await detectH264Encoder({ ffmpegPath: 'ffmpeg', setting: 'auto' });
    // On a machine with a working GPU encoder this picks it instead; either way every try is explained.
    expect(result.tried.length).toBeGreaterThan(0);
    for (const t of result.tried) expect(t.reason.length).toBeGreaterThan(0);
    if (result.encoder.hardware === null) {
      expect(result.encoder.name).toBe('libx264');
      expect(result.tried.map((t) => t.accel)).toEqual(['nvenc', 'qsv', 'vaapi']);
      expect(result.tried.every((t) => !t.usable)).toBe(true);
    } else {
      expect(result.tried.at(-1)).toMatchObject({ accel: result.encoder.hardware, usable: true });
    }
  });

  it('a worker configured for hardware (auto) falls back to libx264 and processes videos', async () => {
    const server = await startTestServer({ segmentSeconds: 2, hwEncoder: 'auto' });
    try {
      const upload = await uploadFile(server.baseUrl, generatedClip({ seconds: 3, width: 320, height: 240, fps: 25, audio: false }));
      const video = (await followEvents(server.baseUrl, upload.body.id, 60_000)).at(-1)!.data;
      expect(video.status, video.error).toBe('ready');
      const master = await (await fetch(server.baseUrl + video.playback.hls)).text();
      expect(master).toMatch(/CODECS="avc1\.64/); // x264 High profile
    } finally {
      await server.close();
    }
  });
});
