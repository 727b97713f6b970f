/**
 * The `quality` stage: the quality report of a ready video (src/quality/): the source's own
 * measures (blur, blockiness, noise, black, frozen, interlacing, silence, clipping, loudness) and
 * every video rendition's PSNR/SSIM (H.264 rungs `v0`…, and `av1/v0`… `vp9/v0`… when extra codec
 * ladders were made) against the source brought through the ladder's own graph to the rendition's
 * size and rate. The report is the stage's result; the gate (config
 * `qualityMinScore`, `qualityGateAction`) either records a low score (`flag`) or fails the stage
 * with the reason (`fail`) — never the video, which stays ready and published.
 */
import path from 'node:path';
import { z } from 'zod';
import { PermanentError } from '../../errors.js';
import type { DistortedInput } from '../../quality/comparison-graph.js';
import { analyzeQuality, type QualityReport } from '../../quality/quality-report.js';
import { DETECTION } from '../../quality/quality-thresholds.js';
import { ffmpegLimitsOf } from '../input-limits.js';
import { demuxerOf, renditionDirs } from '../ladder-command.js';
import { assembleRendition } from './published-rendition.js';
import type { VideoStage } from './video-stage.js';

export const QUALITY_STAGE = 'quality';

const qualityOptions = z.strictObject({
  /** Seconds between the frames measured for blur, blockiness and noise. */
  sampleIntervalSec: z.number().min(0.04).max(10).default(DETECTION.sampleIntervalSec),
  /** Score the renditions against the source (the larger part of the work). */
  compareRenditions: z.boolean().default(true),
});

export type QualityStageOptions = z.output<typeof qualityOptions>;

/** What the renditions are compared against, in words, for the report. */
export const LADDER_REFERENCE =
  'the source through the ladder\'s own filter graph (autorotation, deinterlacing, HDR tone-mapping, the rung\'s frame rate, ' +
  'bicubic scaling to the rung\'s size, yuv420p), both sides from t = 0, paired frame by frame';

export const qualityStage: VideoStage<QualityStageOptions, QualityReport> = {
  name: QUALITY_STAGE,
  options: qualityOptions,
  appliesTo: (media) => media.video !== null || media.audio.length > 0,
  async run(ctx) {
    const { config, media, plan, options } = ctx;
    const sourcePath = await ctx.sourceFile();
    const compare = options.compareRenditions && media.video !== null && plan.video.length > 0;
    const distorted: DistortedInput[] = [];
    if (compare) {
      const dirs = renditionDirs(plan);
      for (const [rung, name] of dirs.video.entries()) {
        distorted.push({ name, rung, path: await ctx.renditionFile(name), demuxer: 'mov' });
      }
      // AV1/VP9 copies of a rung (when made) are scored against the same reference as its H.264.
      // Assembled here under a flat file name: ctx.renditionFile names its scratch file after the
      // rendition, and `av1/v0` has a slash in it.
      for (const ladder of dirs.extra) {
        for (const { index, dir } of ladder.rungs) {
          const file = await assembleRendition({
            store: ctx.store,
            keyPrefix: `videos/${ctx.videoId}/${ctx.version}/`,
            rendition: dir,
            outPath: path.join(ctx.workDir, `rendition-${dir.replaceAll('/', '-')}.mp4`),
          });
          distorted.push({ name: dir, rung: index, path: file, demuxer: 'mov' });
        }
      }
    }
    const report = await analyzeQuality({
      ffmpegPath: config.ffmpegPath,
      workDir: ctx.workDir,
      source: { path: sourcePath, media },
      comparison: compare
        ? { reference: { path: sourcePath, demuxer: demuxerOf(media), media, plan }, distorted, description: LADDER_REFERENCE }
        : null,
      gate: { minScore: config.qualityMinScore, action: config.qualityGateAction },
      sampleIntervalSec: options.sampleIntervalSec,
      timeoutMs: config.ffmpegTimeoutMs,
      killGraceMs: config.ffmpegKillGraceMs,
      processLimits: ffmpegLimitsOf(config),
      signal: ctx.signal,
      onProgress: (fraction) => ctx.progress(fraction * 100),
    });
    ctx.logger.info({ score: report.score, issues: report.issues.map((i) => i.code), timings: report.timings }, 'quality report');
    if (!report.gate.passed && report.gate.action === 'fail') {
      // Permanent: the same file scores the same on a retry.
      throw new PermanentError(`quality gate: ${report.gate.reason}`);
    }
    return report;
  },
};
