import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInitSegment, readSegmentDecodeTime, readSegmentPresentationTime, readSegmentSamples } from '../../src/media/mp4-boxes.js';

// Real CMAF output of ffmpeg's HLS muxer: 6 s of 640x360 H.264 Main + AAC-LC in 2 s segments.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sf-mp4boxes-'));
  execFileSync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=48000',
    '-t', '6', '-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-profile:v', 'main', '-level', '3.0',
    '-g', '50', '-c:a', 'aac', '-f', 'hls', '-hls_time', '2', '-hls_segment_type', 'fmp4',
    '-hls_segment_filename', `${dir}/v%v/s%d.m4s`, '-var_stream_map', 'v:0 a:0', `${dir}/v%v/index.m3u8`,
  ]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 1 s of 640x360@30 in the given encoder, as the ladder writes it (CMAF, negative composition offsets). */
function encode(name: string, codec: string[]): string {
  const out = path.join(dir, name);
  execFileSync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-t', '1', ...codec,
    '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709',
    '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_segment_options', 'movflags=+negative_cts_offsets:use_editlist=0',
    '-hls_fmp4_init_filename', `${name}_init.mp4`, '-hls_segment_filename', path.join(dir, `${name}_%d.m4s`), `${out}.m3u8`,
  ], { env: { ...process.env, SVT_LOG: '1' } });
  return out;
}

describe('mp4-boxes', () => {
  it('reads the exact avc1 codec string and timescale of a video init segment', () => {
    const info = readInitSegment(readFileSync(path.join(dir, 'v0', 'init_0.mp4')));
    expect(info.codec).toBe('avc1.4d401e'); // Main profile (0x4d), constraint 0x40, level 3.0 (0x1e)
    expect(info.timescale).toBeGreaterThan(0);
  });

  it('reads mp4a.40.2 (AAC-LC) and the sample rate timescale of an audio init segment', () => {
    const info = readInitSegment(readFileSync(path.join(dir, 'v1', 'init_1.mp4')));
    expect(info).toEqual({ codec: 'mp4a.40.2', timescale: 48000 });
  });

  it('reads increasing decode times of consecutive media segments', () => {
    const { timescale } = readInitSegment(readFileSync(path.join(dir, 'v0', 'init_0.mp4')));
    const segments = readdirSync(path.join(dir, 'v0')).filter((f) => f.endsWith('.m4s')).sort();
    const times = segments.map((f) => readSegmentDecodeTime(readFileSync(path.join(dir, 'v0', f))) / timescale);
    expect(times.length).toBe(3);
    expect(times[1]! - times[0]!).toBeCloseTo(2, 1);
    expect(times[2]! - times[1]!).toBeCloseTo(2, 1);
  });

  it('reads when a segment is first shown: its decode time plus the B-frame delay of its first frame', () => {
    const { timescale } = readInitSegment(readFileSync(path.join(dir, 'v0', 'init_0.mp4')));
    const first = readFileSync(path.join(dir, 'v0', 's0.m4s'));
    // x264's default B-frames: the keyframe decodes at 0 and is shown 2 frames (2/25 s) later.
    expect(readSegmentDecodeTime(first)).toBe(0);
    expect(readSegmentPresentationTime(first) / timescale).toBeCloseTo(2 / 25, 6);
    // Audio has no composition offsets: shown when decoded.
    const audio = readFileSync(path.join(dir, 'v1', 's0.m4s'));
    expect(readSegmentPresentationTime(audio)).toBe(readSegmentDecodeTime(audio));
  });

  it('reads av01.P.LLT.DD from an SVT-AV1 init segment (av1C): Main profile, the level ffprobe reports, 8-bit', () => {
    const base = encode('av1', ['-c:v', 'libsvtav1', '-preset', '12']);
    const level = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=level', '-of', 'csv=p=0', `${base}_init.mp4`]).toString().trim());
    const info = readInitSegment(readFileSync(`${base}_init.mp4`));
    expect(info.codec).toBe(`av01.0.${String(level).padStart(2, '0')}M.08`);
    expect(info.codec).toBe('av01.0.01M.08'); // level 2.1 (index 1) fits 640x360@30
  });

  it('reads the full vp09 string from a libvpx init segment (vpcC): profile 0, level 2.1, 8-bit 4:2:0, BT.709, limited range', () => {
    const base = encode('vp9', ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8']);
    expect(readInitSegment(readFileSync(`${base}_init.mp4`)).codec).toBe('vp09.00.21.08.01.01.01.01.00');
  });

  it('reads every sample of a segment: with negative composition offsets the first frame shows at its decode time', () => {
    const base = encode('x264', ['-c:v', 'libx264', '-preset', 'veryfast', '-g', '30']);
    const init = readFileSync(`${base}_init.mp4`);
    const { timescale } = readInitSegment(init);
    const samples = readSegmentSamples(readFileSync(`${base}_0.m4s`), init);
    expect(samples).toHaveLength(30);
    expect(samples[0]).toMatchObject({ decodeTime: 0, compositionOffset: 0 });
    // B-frames shown before the frames they were decoded after: negative offsets, version-1 trun.
    expect(samples.some((s) => s.compositionOffset < 0)).toBe(true);
    const shown = samples.map((s) => (s.decodeTime + s.compositionOffset) / timescale).sort((a, b) => a - b);
    shown.forEach((t, i) => expect(t).toBeCloseTo(i / 30, 6));
    expect(samples.reduce((sum, s) => sum + s.duration, 0) / timescale).toBeCloseTo(1, 6);
  });

  it('rejects a buffer that is not an init segment', () => {
    expect(() => readInitSegment(Buffer.from('not an mp4 at all'))).toThrow(/mdhd/);
  });
});
