/**
 * The in-place segment patcher of chunked encoding (src/media/fragment-timing-patch.ts), on real
 * segments ffmpeg writes: decode times (tfdt) and the sidx presentation time move by exact
 * integers, the mfhd sequence number becomes the global one, nothing else changes by a byte — and a
 * 32-bit tfdt (version 0) is refused with a clear error instead of being silently wrapped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchFragmentTiming, UnsupportedFragmentError } from '../../src/media/fragment-timing-patch.js';
import { boxes, readSegmentDecodeTime, readSegmentSamples } from '../../src/media/mp4-boxes.js';

let dir: string;
let init: Buffer;
let segment: Buffer;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sf-patch-'));
  execFileSync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=30000/1001:duration=4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-bf', '2',
    '-f', 'hls', '-hls_time', '2', '-hls_segment_type', 'fmp4', '-hls_segment_options', 'movflags=+negative_cts_offsets:use_editlist=0',
    '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', path.join(dir, 'seg_%d.m4s'), path.join(dir, 'index.m3u8'),
  ]);
  init = readFileSync(path.join(dir, 'init.mp4'));
  segment = readFileSync(path.join(dir, 'seg_1.m4s'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function field(buf: Buffer, type: string): { version: number; at: number } {
  const index = buf.indexOf(type, 0, 'latin1');
  return { version: buf.readUInt8(index + 4), at: index + 4 };
}

describe('patchFragmentTiming', () => {
  it('moves tfdt and sidx by exact ticks and renumbers mfhd, in place, size unchanged', () => {
    const before = readSegmentSamples(segment, init);
    expect(readSegmentDecodeTime(segment)).toBe(60060); // ffmpeg's own: 60 frames of 1001 ticks
    const patched = Buffer.from(segment);
    // Far past 2^32 ticks: a 64-bit field must carry it exactly.
    const offset = 5_000_000_000n * 1001n;
    const fragments = patchFragmentTiming(patched, { decodeTimeOffset: offset, firstSequenceNumber: 4242 });
    expect(fragments).toBe(1);
    expect(patched.length).toBe(segment.length);
    const after = readSegmentSamples(patched, init);
    expect(BigInt(readSegmentDecodeTime(patched))).toBe(60060n + offset);
    expect(after.map((s) => [s.duration, s.compositionOffset])).toEqual(before.map((s) => [s.duration, s.compositionOffset]));
    const mfhd = field(patched, 'mfhd');
    expect(patched.readUInt32BE(mfhd.at + 4)).toBe(4242);
    const sidx = field(patched, 'sidx');
    expect(sidx.version).toBe(1);
    expect(patched.readBigUInt64BE(sidx.at + 12)).toBe(segment.readBigUInt64BE(sidx.at + 12) + offset);
    // Nothing but those three fields changed.
    const tfdt = field(patched, 'tfdt');
    const changed = [...patched.keys()].filter((i) => patched[i] !== segment[i]);
    const inside = (i: number, at: number, length: number) => i >= at && i < at + length;
    expect(changed.every((i) => inside(i, tfdt.at + 4, 8) || inside(i, sidx.at + 12, 8) || inside(i, mfhd.at + 4, 4))).toBe(true);
  });

  it('refuses a 32-bit (version 0) tfdt', () => {
    const v0 = Buffer.from(segment);
    const moof = [...boxes(v0, 0, v0.length)].find((b) => b.type === 'moof')!;
    const tfdt = v0.indexOf('tfdt', moof.start, 'latin1');
    v0.writeUInt8(0, tfdt + 4);
    expect(() => patchFragmentTiming(v0, { decodeTimeOffset: 1n, firstSequenceNumber: 1 })).toThrow(UnsupportedFragmentError);
    expect(() => patchFragmentTiming(v0, { decodeTimeOffset: 1n, firstSequenceNumber: 1 })).toThrow(/tfdt version 0/);
  });
});
