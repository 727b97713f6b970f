/**
 * `streamforge analyze FILE [--reference REF] [--json]`: the quality report of a local file
 * (src/quality/) without a server or database. With `--reference`, FILE is also scored (PSNR, SSIM,
 * VMAF when available) against REF: both are put through the ladder's filter graph at FILE's display
 * size and frame rate (REF is scaled down with the ladder's bicubic scaler, tone-mapped if HDR,
 * deinterlaced if interlaced), so FILE is judged at its own resolution, frame by frame from t = 0.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { checkFfmpeg } from '../media/ffmpeg-check.js';
import { probeMedia } from '../media/ffprobe.js';
import type { MediaInfo, Rational } from '../media/media-info.js';
import { ffmpegLimitsOf, ffprobeLimitsOf, mediaLimitsOf } from '../pipeline/input-limits.js';
import { DEINTERLACE_FILTER } from '../pipeline/ladder.js';
import { demuxerOf } from '../pipeline/ladder-command.js';
import type { LadderPlan } from '../pipeline/ladder-types.js';
import { analyzeQuality, type QualityReport } from '../quality/quality-report.js';

export class AnalyzeInputError extends Error {}

async function probe(config: Config, filePath: string): Promise<MediaInfo> {
  const info = await stat(filePath).catch(() => null);
  if (!info?.isFile()) throw new AnalyzeInputError(`not a file: ${filePath}`);
  return probeMedia({
    ffprobePath: config.ffprobePath,
    filePath,
    timeoutMs: 60_000 + Math.round(info.size / 50_000),
    limits: mediaLimitsOf(config),
    processLimits: ffprobeLimitsOf(config),
  });
}

const floorEven = (n: number) => Math.max(2, Math.floor(n / 2) * 2);

/** One rung at `size` and `fps`, deinterlacing `media` if it is interlaced: the ladder's normalisation of one file. */
function oneRungPlan(media: MediaInfo, size: { width: number; height: number }, fps: Rational, segmentSeconds: number): LadderPlan {
  return {
    video: [{ name: `${Math.min(size.width, size.height)}p`, width: size.width, height: size.height, fps, crf: 0, maxrateKbps: 0, bufsizeKbps: 0 }],
    audio: [],
    segmentSeconds,
    deinterlace: media.video?.interlaced ? DEINTERLACE_FILTER : null,
  };
}

export async function analyzeFile(config: Config, options: { file: string; reference?: string; onProgress?: (fraction: number) => void }): Promise<QualityReport> {
  await checkFfmpeg(config);
  const filePath = path.resolve(options.file);
  const media = await probe(config, filePath);
  let comparison: Parameters<typeof analyzeQuality>[0]['comparison'] = null;
  if (options.reference !== undefined) {
    const referencePath = path.resolve(options.reference);
    const referenceMedia = await probe(config, referencePath);
    if (!media.video || !referenceMedia.video) throw new AnalyzeInputError('--reference compares video: both files need a video stream');
    const size = { width: floorEven(media.video.displayWidth), height: floorEven(media.video.displayHeight) };
    const fps = media.video.fpsRational;
    comparison = {
      reference: { path: referencePath, demuxer: demuxerOf(referenceMedia), media: referenceMedia, plan: oneRungPlan(referenceMedia, size, fps, config.segmentSeconds) },
      distorted: [{ name: path.basename(filePath), path: filePath, demuxer: demuxerOf(media), normalise: { media, plan: oneRungPlan(media, size, fps, config.segmentSeconds) } }],
      description:
        `${path.basename(referencePath)} and ${path.basename(filePath)} through the ladder's filter graph at ${size.width}x${size.height}, ` +
        `${fps.num}/${fps.den} fps (autorotation, deinterlacing, HDR tone-mapping, bicubic scaling, yuv420p), both from t = 0, paired frame by frame`,
    };
  }
  const workDir = await mkdtemp(path.join(tmpdir(), 'streamforge-analyze-'));
  try {
    return await analyzeQuality({
      ffmpegPath: config.ffmpegPath,
      workDir,
      source: { path: filePath, media },
      comparison,
      gate: { minScore: config.qualityMinScore, action: config.qualityGateAction },
      timeoutMs: config.ffmpegTimeoutMs,
      killGraceMs: config.ffmpegKillGraceMs,
      processLimits: ffmpegLimitsOf(config),
      onProgress: options.onProgress,
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The report in a few lines, for people. */
export function formatReport(report: QualityReport, file: string): string {
  const lines = [`${file}: quality score ${report.score}/100 (gate ${report.gate.minScore}, ${report.gate.passed ? 'passed' : `not passed: ${report.gate.action}`})`];
  for (const issue of report.issues) lines.push(`  ${issue.code}: ${issue.message} (−${issue.penalty})`);
  if (report.issues.length === 0) lines.push('  no issues found');
  const video = report.source.video;
  if (video) {
    lines.push(`  video: blur ${video.blur?.median ?? '–'} px, blockiness ${video.blockiness?.median ?? '–'}, noise σ ${video.noise?.median ?? '–'}, ` +
      `black ${video.black.totalSec} s, frozen ${video.frozen.totalSec} s, interlacing ${video.interlacing.verdict}`);
  }
  const audio = report.source.audio;
  if (audio) {
    lines.push(`  audio: ${audio.loudness.integratedLufs ?? '–'} LUFS, LRA ${audio.loudness.rangeLu ?? '–'} LU, true peak ${audio.loudness.truePeakDbtp ?? '–'} dBTP, ` +
      `silence ${audio.silence.totalSec} s, clipping ${(audio.clipping.share * 100).toFixed(2)} %`);
  }
  for (const r of report.renditions) {
    lines.push(`  ${r.name} ${r.width}x${r.height}: PSNR mean ${r.psnr?.mean ?? '–'} / min ${r.psnr?.min ?? '–'} / p5 ${r.psnr?.p5 ?? '–'} dB, ` +
      `SSIM mean ${r.ssim?.mean ?? '–'} / min ${r.ssim?.min ?? '–'} / p5 ${r.ssim?.p5 ?? '–'}${r.vmaf ? `, VMAF mean ${r.vmaf.mean}` : ''}`);
  }
  if (!report.vmaf.available) lines.push(`  vmaf: not available — ${report.vmaf.reason}`);
  return lines.join('\n');
}
