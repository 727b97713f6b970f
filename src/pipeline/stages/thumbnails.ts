/**
 * The `thumbnails` stage: N still images of a video, chosen by a method —
 * - `smart` (default): candidates at scene changes, keyframes and evenly spaced instants, measured
 *   in one pass over a ≈360p rung (images/candidate-frames.ts), scored (images/frame-scores.ts) and
 *   picked best-first with a minimum gap and no near-duplicates (images/pick-thumbnails.ts);
 * - `interval`: the frame at the middle of each of N equal parts;
 * - `keyframes`: N keyframes spread over the video.
 * The chosen frames are then cut from the top rung (one ffmpeg for up to 10 images, one seeking
 * input each, reading only the segment that holds its frame) as JPEGs. Every candidate's scores are kept in the result, chosen or not, so a choice can be explained.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { jpegSize } from '../../media/jpeg-size.js';
import { analyseCandidates, type CandidateReason, type ThumbnailMethod } from '../images/candidate-frames.js';
import { fadeRatios, scoreFrame, type FrameScores, type Rejection } from '../images/frame-scores.js';
import { pickThumbnails } from '../images/pick-thumbnails.js';
import { analysisRung, topRung } from '../images/published-rungs.js';
import { locateFrame, readSegmentTimeline, renderFrames, writeSegmentRange, type FrameOutput } from '../images/rendition-frames.js';
import type { StageContext, VideoStage } from './video-stage.js';

export const THUMBNAIL_METHODS = ['smart', 'interval', 'keyframes'] as const satisfies readonly ThumbnailMethod[];
export const MAX_THUMBNAILS = 20;

export const thumbnailOptionsSchema = z
  .object({
    method: z.enum(THUMBNAIL_METHODS).default('smart'),
    count: z.number().int().min(1).max(MAX_THUMBNAILS).default(5),
  })
  .strict();

export type ThumbnailOptions = z.output<typeof thumbnailOptionsSchema>;

export interface ThumbnailImage {
  /** File name under the run's folder (served at `<filesUrl><file>`). */
  file: string;
  /** Seconds from the first frame, of the frame in the image. */
  time: number;
  width: number;
  height: number;
  total: number;
  scores: FrameScores;
}

export interface ThumbnailCandidate {
  time: number;
  reasons: CandidateReason[];
  scores: FrameScores;
  total: number;
  rejected: Rejection | null;
  chosen: boolean;
}

export interface ThumbnailsResult {
  method: ThumbnailMethod;
  count: number;
  /** Rendition measured, and the one the images come from. */
  analysedRendition: string;
  imageRendition: string;
  /** In time order. */
  thumbnails: ThumbnailImage[];
  candidates: ThumbnailCandidate[];
  keyframeTimes: number[];
  timingsMs: { analysis: number; images: number };
}

export const thumbnailsStage: VideoStage<ThumbnailOptions, ThumbnailsResult> = {
  name: 'thumbnails',
  options: thumbnailOptionsSchema,
  appliesTo: (media, plan) => media.video !== null && plan.video.length > 0,
  run: makeThumbnails,
};

async function makeThumbnails(ctx: StageContext<ThumbnailOptions>): Promise<ThumbnailsResult> {
  const { method, count } = ctx.options;
  const measured = analysisRung(ctx.plan);
  const top = topRung(ctx.plan);
  const started = Date.now();
  const inputPath = await ctx.renditionFile(measured.dir);
  ctx.progress(5);
  const { candidates, keyframeTimes } = await analyseCandidates({
    ffmpegPath: ctx.config.ffmpegPath,
    inputPath,
    width: measured.rung.width,
    height: measured.rung.height,
    durationSec: ctx.media.durationSec,
    method,
    count,
    workDir: ctx.workDir,
    timeoutMs: ctx.config.ffmpegTimeoutMs,
    signal: ctx.signal,
    onProgress: (fraction) => ctx.progress(5 + 75 * fraction),
  });
  if (candidates.length === 0) throw new Error(`thumbnails: the ${method} analysis selected no frame`);
  const ratios = fadeRatios(candidates);
  const scored = candidates.map((c, i) => ({ ...c, ...scoreFrame(c.measures, ratios[i]!) }));
  const chosen = pickThumbnails(method, scored, { count, durationSec: ctx.media.durationSec });
  const analysisMs = Date.now() - started;
  ctx.progress(80);

  // The images: the chosen frames of the top rung, each from the one segment that holds it.
  const imagesStarted = Date.now();
  const videoPrefix = `videos/${ctx.videoId}/${ctx.version}/`;
  const renditionPrefix = `${videoPrefix}${top.dir}/`;
  const timeline = await readSegmentTimeline(ctx.store, renditionPrefix);
  const segmentFiles = new Map<number, string>();
  const outputs: Array<FrameOutput & { file: string; time: number }> = [];
  for (const [n, index] of chosen.entries()) {
    const position = locateFrame(timeline, top.rung.fps, scored[index]!.time);
    let segmentPath = segmentFiles.get(position.segmentIndex);
    if (!segmentPath) {
      segmentPath = await writeSegmentRange({
        store: ctx.store,
        renditionPrefix,
        timeline,
        fromIndex: position.segmentIndex,
        outPath: path.join(ctx.workDir, `segment-${position.segmentIndex}.mp4`),
      });
      segmentFiles.set(position.segmentIndex, segmentPath);
    }
    const file = `thumb_${String(n).padStart(2, '0')}.jpg`;
    outputs.push({ inputPath: segmentPath, offsetSec: position.offsetSec, outPath: path.join(ctx.workDir, file), format: 'jpg', file, time: position.timeSec });
  }
  // Every input of one ffmpeg decodes at once: few large frames per process, more small ones.
  const perProcess = top.rung.width * top.rung.height > 2_100_000 ? 4 : 10;
  for (let i = 0; i < outputs.length; i += perProcess) {
    await renderFrames({ ffmpegPath: ctx.config.ffmpegPath, outputs: outputs.slice(i, i + perProcess), timeoutMs: 5 * 60_000, signal: ctx.signal });
  }

  const thumbnails: ThumbnailImage[] = [];
  for (const [n, output] of outputs.entries()) {
    const bytes = await readFile(output.outPath);
    const size = jpegSize(bytes);
    if (!size) throw new Error(`thumbnails: ffmpeg wrote no JPEG for ${output.time} s`);
    await ctx.store.putBytes(`${ctx.keyPrefix}${output.file}`, bytes);
    const frame = scored[chosen[n]!]!;
    thumbnails.push({ file: output.file, time: output.time, ...size, total: frame.total, scores: frame.scores });
  }
  const chosenSet = new Set(chosen);
  return {
    method,
    count,
    analysedRendition: measured.dir,
    imageRendition: top.dir,
    thumbnails,
    candidates: scored.map((c, i) => ({
      time: c.time,
      reasons: c.reasons,
      scores: c.scores,
      total: c.total,
      rejected: c.rejected,
      chosen: chosenSet.has(i),
    })),
    keyframeTimes,
    timingsMs: { analysis: analysisMs, images: Date.now() - imagesStarted },
  };
}
