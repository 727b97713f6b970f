/** The pure parts of the hostile-input defences: output estimate, prlimit arguments, limit verdicts, display names. */
import { describe, expect, it } from 'vitest';
import { MediaLimitError } from '../../src/errors.js';
import { limitExceeded, prlimitArgs } from '../../src/media/process-limits.js';
import type { LadderPlan, VideoRung } from '../../src/pipeline/ladder-types.js';
import { AMPLIFICATION_FLOOR_BYTES, assertOutputWithinLimits, estimateOutputBytes } from '../../src/pipeline/output-estimate.js';
import { displayFileName, titleFromFileName } from '../../src/videos/video-intake.js';

const rung = (maxrateKbps: number): VideoRung => ({ name: 'x', width: 16, height: 16, fps: { num: 1, den: 1 }, crf: 21, maxrateKbps, bufsizeKbps: 2 * maxrateKbps });
const plan = (rates: number[], audioKbps: number[] = [], extraCodecs: LadderPlan['extraCodecs'] = []): LadderPlan => ({
  video: rates.map(rung),
  audio: audioKbps.map((bitrateKbps, i) => ({ sourceIndex: i, codec: 'aac', channels: 2, sampleRate: 48000, bitrateKbps, language: 'und', label: 'x', default: i === 0, sourceChannels: 2, loudness: null })),
  segmentSeconds: 4,
  deinterlace: null,
  extraCodecs,
});
const limits = { maxOutputBytes: 10e9, maxAmplification: 100 };

describe('output estimate', () => {
  it('adds every rung in every codec, the audio, and the download copy of the middle rung and a0', () => {
    // (1000 + 500) × 2 codecs + 128 audio + (500 middle + 128) download = 3756 kbit/s over 10 s.
    expect(estimateOutputBytes(plan([1000, 500], [128], ['av1']), 10)).toBe((3756 * 1000 * 10) / 8);
    expect(estimateOutputBytes(plan([], [128]), 8)).toBe(((128 + 128) * 1000 * 8) / 8);
  });

  it('refuses a ladder over the size limit and a file made to multiply, naming the numbers', () => {
    expect(() => assertOutputWithinLimits({ plan: plan([10_000]), durationSec: 12 * 3600, sourceBytes: 40e9, limits })).toThrow(
      /the renditions of this 12\.0 h video would take about 108\.0 GB, over the limit of 10\.0 GB/,
    );
    const bomb = () => assertOutputWithinLimits({ plan: plan([150]), durationSec: 36_000, sourceBytes: 470_000, limits });
    expect(bomb).toThrow(MediaLimitError);
    expect(bomb).toThrow(/^a 470 kB file would make about 1\.4 GB of renditions \(10\.0 h long\): 2872× its size, over the limit of 100×$/);
  });

  it('lets real uploads through: a low-rate source, and any short clip however much it grows', () => {
    // 2 h of 1080p slides at 30 kbit/s (27 MB): four rungs at their 150 kbit/s floor + audio ≈ 25×.
    expect(() => assertOutputWithinLimits({ plan: plan([150, 150, 150, 150], [128]), durationSec: 7200, sourceBytes: 27e6, limits })).not.toThrow();
    const shortClip = { plan: plan([3000]), durationSec: 60, sourceBytes: 1000, limits };
    expect(estimateOutputBytes(shortClip.plan, 60)).toBeLessThan(AMPLIFICATION_FLOOR_BYTES);
    expect(() => assertOutputWithinLimits(shortClip)).not.toThrow();
  });
});

describe('process limits', () => {
  it('become prlimit options: no core dumps always, hard CPU limit after a grace', () => {
    expect(prlimitArgs({})).toEqual(['--core=0']);
    expect(prlimitArgs({ memoryBytes: 2 ** 30, cpuSeconds: 60 })).toEqual(['--core=0', '--data=1073741824', '--cpu=60:70']);
  });

  it('tell a limit from any other failure', () => {
    const base = { command: '/usr/bin/ffmpeg', exitCode: 1, exitSignal: null, stderrTail: '', stoppedByUs: false, durationMs: 60_000 };
    const memory = { memoryBytes: 8 * 2 ** 30 };
    expect(limitExceeded({ ...base, limits: memory, stderrTail: 'x264 [error]: malloc of size 44329344 failed\n' })?.message).toBe(
      'processing this file needs more memory than the limit of 8 GiB per ffmpeg process',
    );
    expect(limitExceeded({ ...base, limits: memory, stderrTail: 'Invalid data found when processing input\n' })).toBeNull();
    expect(limitExceeded({ ...base, limits: {}, stderrTail: 'Cannot allocate memory\n' })).toBeNull();
    const cpu = { cpuSeconds: 5 };
    expect(limitExceeded({ ...base, limits: cpu, exitCode: null, exitSignal: 'SIGXCPU' })).toBeInstanceOf(MediaLimitError);
    expect(limitExceeded({ ...base, limits: cpu, exitCode: 255 })?.message).toBe('ffmpeg used up its CPU-time limit of 5 s processing this file');
    // Our own SIGTERM also makes ffmpeg exit 255; the OOM killer's SIGKILL is not a CPU limit.
    expect(limitExceeded({ ...base, limits: cpu, exitCode: 255, stoppedByUs: true })).toBeNull();
    expect(limitExceeded({ ...base, limits: cpu, exitCode: null, exitSignal: 'SIGKILL' })).toBeNull();
    // A 255 after less wall-clock time than the limit could take on every core is someone's signal.
    expect(limitExceeded({ ...base, limits: { cpuSeconds: 86_400 }, exitCode: 255 })).toBeNull();
  });
});

describe('file names are display text', () => {
  it('titles drop paths, extensions, control and bidi characters, and keep other text as it is', () => {
    expect(titleFromFileName('../../etc/passwd.mp4')).toBe('passwd');
    expect(titleFromFileName('..\\..\\windows\\win.ini.mp4')).toBe('win.ini');
    expect(titleFromFileName('evil\u202Egpj.mp4')).toBe('evilgpj');
    expect(titleFromFileName('nul\u0000ctl\u0001\u001b[31m\u0085.mov')).toBe('nulctl[31m');
    expect(titleFromFileName('<b>名前</b> 🎬.mkv')).toBe('b> 🎬');
    expect(titleFromFileName('\u0000\u202E.mp4')).toBe('Untitled video');
    expect(Array.from(titleFromFileName(`${'🎬'.repeat(300)}.mp4`))).toHaveLength(200);
  });

  it('stored names keep their text, lose control and bidi characters, and are cut at a code point', () => {
    expect(displayFileName('a\u0000b\u202Ec/d.mp4')).toBe('abc/d.mp4');
    // 255 whole emoji (510 UTF-16 units): slice(0, 255) would have left half of one.
    expect(displayFileName('🎬'.repeat(300))).toBe('🎬'.repeat(255));
  });
});
