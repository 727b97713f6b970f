/**
 * The quality report's measures on real files with known defects (test/helpers/defect-clips.ts)
 * and corpus files: each assertion fails if the measure does nothing useful — the defect must be
 * found where it is (±0.2 s), and its clean control must not raise it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { analyzeFile } from '../../src/cli/analyze.js';
import type { QualityReport } from '../../src/quality/quality-report.js';
import {
  blackSectionClip,
  blockyCopy,
  DEGRADATION_REFERENCE,
  degradedCopy,
  frozenSectionClip,
  interlacedClip,
  noisyClip,
  progressiveClip,
  silentSectionClip,
  toneClip,
} from '../helpers/defect-clips.js';
import { corpusFile } from '../helpers/media.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'sf-quality-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const config = loadConfig({ env: {}, overrides: { dataDir, logLevel: 'warn' } });

const analyze = (file: string, reference?: string): Promise<QualityReport> => analyzeFile(config, { file, reference });
const codes = (report: QualityReport) => report.issues.map((i) => i.code);

describe('quality analysis of a source', () => {
  it('finds a black section where it is, and flags black-frames', async () => {
    const report = await analyze(blackSectionClip());
    const black = report.source.video!.black;
    expect(black.count).toBe(1);
    expect(Math.abs(black.spans[0]!.startSec - 2.0)).toBeLessThanOrEqual(0.2);
    expect(Math.abs(black.spans[0]!.endSec - 3.5)).toBeLessThanOrEqual(0.2);
    expect(codes(report)).toContain('black-frames');
    // Black is frozen too, but it is reported once, as black.
    expect(codes(report)).not.toContain('frozen-frames');
    expect(report.score).toBeLessThan(100);
  });

  it('finds a frozen section where it is, and flags frozen-frames', async () => {
    const report = await analyze(frozenSectionClip());
    const frozen = report.source.video!.frozen;
    expect(frozen.count).toBe(1);
    expect(Math.abs(frozen.spans[0]!.startSec - 1.5)).toBeLessThanOrEqual(0.2);
    expect(Math.abs(frozen.spans[0]!.endSec - 3.5)).toBeLessThanOrEqual(0.2);
    expect(codes(report)).toContain('frozen-frames');
    expect(report.source.video!.black.count).toBe(0);
  });

  it('finds a silent section where it is, and flags silence', async () => {
    const report = await analyze(silentSectionClip());
    const silence = report.source.audio!.silence;
    expect(silence.count).toBe(1);
    expect(Math.abs(silence.spans[0]!.startSec - 2.0)).toBeLessThanOrEqual(0.2);
    expect(Math.abs(silence.spans[0]!.endSec - 4.5)).toBeLessThanOrEqual(0.2);
    expect(codes(report)).toContain('silence');
  });

  it('flags a clipped tone and not a clean one', async () => {
    const [clipped, clean] = await Promise.all([analyze(toneClip({ clipped: true })), analyze(toneClip({ clipped: false }))]);
    expect(codes(clipped)).toContain('audio-clipping');
    expect(clipped.source.audio!.clipping.share).toBeGreaterThan(0.1);
    expect(clipped.source.audio!.clipping.spans[0]!.startSec).toBeLessThanOrEqual(0.2);
    expect(codes(clean)).not.toContain('audio-clipping');
    expect(clean.source.audio!.clipping.share).toBe(0);
    // The −18 dBFS tone measures where a sine of that level should: about −18 LUFS (stereo) and −18 dBTP.
    expect(clean.source.audio!.loudness.integratedLufs!).toBeGreaterThan(-22);
    expect(clean.source.audio!.loudness.integratedLufs!).toBeLessThan(-14);
    expect(clean.source.audio!.loudness.truePeakDbtp!).toBeLessThan(-15);
    expect(clipped.source.audio!.loudness.truePeakDbtp!).toBeGreaterThan(-1);
    expect(codes(clipped)).toContain('too-loud');
    expect(clipped.score).toBeLessThan(clean.score);
  });

  it('flags an interlaced source (idet) and not its progressive original', async () => {
    const [interlaced, progressive] = await Promise.all([analyze(interlacedClip()), analyze(progressiveClip())]);
    expect(interlaced.source.video!.interlacing.verdict).toBe('tff');
    expect(interlaced.source.video!.interlacing.tff).toBeGreaterThan(40);
    expect(codes(interlaced)).toContain('interlaced');
    expect(progressive.source.video!.interlacing.verdict).toBe('progressive');
    expect(codes(progressive)).not.toContain('interlaced');
  });

  it('measures blur: a heavily blurred copy is blurrier than a mild one and flagged', async () => {
    const [mild, degraded] = await Promise.all([analyze(degradedCopy('mild')), analyze(degradedCopy('degraded'))]);
    expect(degraded.source.video!.blur!.median).toBeGreaterThan(mild.source.video!.blur!.median + 2);
    expect(codes(degraded)).toContain('excessive-blur');
    expect(codes(mild)).not.toContain('excessive-blur');
    expect(degraded.score).toBeLessThan(mild.score);
  });

  it('measures blockiness: a coarse MPEG-2 copy is flagged, an ordinary x264 copy of the same frames is not', async () => {
    const [blocky, mild] = await Promise.all([analyze(blockyCopy()), analyze(degradedCopy('mild'))]);
    expect(blocky.source.video!.blockiness!.median).toBeGreaterThan(3 * mild.source.video!.blockiness!.median);
    expect(codes(blocky)).toContain('compression-artifacts');
    expect(codes(mild)).not.toContain('compression-artifacts');
  });

  it('measures noise: a noisy pattern has σ near what was added and is flagged; a clean one reads ~0', async () => {
    const [noisy, clean] = await Promise.all([analyze(noisyClip()), analyze(blackSectionClip())]);
    // Uniform ±20 noise has σ 11.5; the encode keeps most of it.
    expect(noisy.source.video!.noise!.median).toBeGreaterThan(7);
    expect(noisy.source.video!.noise!.median).toBeLessThan(14);
    expect(codes(noisy)).toContain('noisy');
    expect(clean.source.video!.noise!.median).toBeLessThan(1);
    expect(codes(clean)).not.toContain('noisy');
  });

  it('reports a real black capture (corpus) as black over its whole length', async () => {
    const report = await analyze(corpusFile('phone_pixel7_1080p_rot180_noaudio__androidx_pixel7_videoOnly_cleaned.mp4'));
    expect(report.source.video!.black.totalSec).toBeGreaterThan(1.0);
    expect(codes(report)).toContain('black-frames');
    expect(report.source.audio).toBeNull();
  });
});

describe('quality analysis against a reference', () => {
  it('scores a degraded copy lower than a mild one, in PSNR, SSIM and overall', async () => {
    const [mild, degraded] = await Promise.all([analyze(degradedCopy('mild'), DEGRADATION_REFERENCE), analyze(degradedCopy('degraded'), DEGRADATION_REFERENCE)]);
    const m = mild.renditions[0]!;
    const d = degraded.renditions[0]!;
    // Compared at the copy's size, every frame paired: 2.5 s at 24 fps.
    expect(m).toMatchObject({ width: 640, height: 360, fps: 24 });
    expect(m.frames).toBeGreaterThanOrEqual(59);
    expect(d.frames).toBe(m.frames);
    // A misaligned or wrongly scaled reference would put an ordinary encode far below 35 dB.
    expect(m.psnr!.mean).toBeGreaterThan(35);
    expect(m.ssim!.mean).toBeGreaterThan(0.95);
    expect(d.psnr!.mean).toBeLessThan(m.psnr!.mean - 5);
    expect(d.psnr!.p5).toBeLessThan(m.psnr!.p5);
    expect(d.psnr!.min).toBeLessThanOrEqual(d.psnr!.p5);
    expect(d.ssim!.mean).toBeLessThan(m.ssim!.mean);
    expect(d.ssim!.p5).toBeLessThan(m.ssim!.p5);
    expect(degraded.score).toBeLessThan(mild.score);
    expect(mild.vmaf).toMatchObject({ available: false });
    if (!mild.vmaf.available) expect(mild.vmaf.reason).toMatch(/libvmaf/);
  });
});
