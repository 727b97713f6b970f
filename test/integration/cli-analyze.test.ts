/** `streamforge analyze` as a user runs it (compiled build, real ffmpeg): the report as JSON or text. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEGRADATION_REFERENCE, degradedCopy } from '../helpers/defect-clips.js';
import { corpusFile, repoRoot } from '../helpers/media.js';

const exec = promisify(execFile);
const bin = path.join(repoRoot, 'bin', 'streamforge.js');

function run(args: string[], env: Record<string, string> = {}) {
  return exec(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: 90_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

describe('streamforge analyze', () => {
  it('prints the report of a file as JSON', async () => {
    const { code, stdout } = await run(['analyze', corpusFile('avi_mpeg4asp_mp3_960x400__androidx_sample.avi'), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.score).toBeGreaterThanOrEqual(0);
    expect(report.score).toBeLessThanOrEqual(100);
    expect(report.source.video.frames).toBeGreaterThan(90);
    expect(report.source.video.blur.median).toBeGreaterThan(0);
    expect(report.source.audio.loudness.integratedLufs).toBeLessThan(0);
    expect(report.renditions).toEqual([]);
    expect(report.vmaf).toMatchObject({ available: false });
  });

  it('with --reference, scores FILE against REF at FILE’s size (psnr and ssim); text by default', async () => {
    const json = await run(['analyze', degradedCopy('mild'), '--reference', DEGRADATION_REFERENCE, '--json']);
    expect(json.code).toBe(0);
    const [rendition] = JSON.parse(json.stdout).renditions;
    expect(rendition).toMatchObject({ width: 640, height: 360 });
    expect(rendition.psnr.mean).toBeGreaterThan(35);
    expect(rendition.ssim.p5).toBeGreaterThan(0.9);

    const text = await run(['analyze', degradedCopy('degraded'), '--reference', DEGRADATION_REFERENCE]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/quality score \d+\/100/);
    expect(text.stdout).toMatch(/excessive-blur/);
    expect(text.stdout).toMatch(/PSNR mean [\d.]+ \/ min [\d.]+ \/ p5 [\d.]+ dB, SSIM mean/);
  });

  it('exits 1 when the gate is set to fail and the score is below it, 1 with the reason for a non-media file', async () => {
    const gated = await run(['analyze', degradedCopy('degraded'), '--json'], { STREAMFORGE_QUALITY_MIN_SCORE: '100', STREAMFORGE_QUALITY_GATE_ACTION: 'fail' });
    expect(gated.code).toBe(1);
    expect(JSON.parse(gated.stdout).gate).toMatchObject({ passed: false, action: 'fail' });
    const bad = await run(['analyze', path.join(repoRoot, 'package.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot analyze: not a recognised video or audio file/);
    const usage = await run(['analyze']);
    expect(usage.code).toBe(2);
  });
});
