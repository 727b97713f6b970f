/**
 * Whether a video is encoded in chunks, and where the chunks are cut (docs/chunked-encoding.md).
 *
 * Chunked mode defines segments in FRAMES, not seconds: rung i has GOPs (and segments) of
 * G_i = round(segmentSeconds × fps_i) frames, and chunk k covers output frames
 * [k·C·G_i, (k+1)·C·G_i) of every rung — C whole segments. Rungs can share chunk boundaries only
 * when every G_i / fps_i is the same duration (exact rationals: 120 frames at 60000/1001 and 60 at
 * 30000/1001 both last 2.002 s); when they differ the video keeps the one-pass ladder. Extra codec
 * ladders (AV1, VP9) also keep the one-pass path: their encoders cost 2–3× the H.264 ladder, and
 * chunking them is future work.
 */
import type { MediaInfo } from '../media/media-info.js';
import { streamOriginShiftSec } from './stream-origin.js';
import type { LadderPlan } from './ladder-types.js';
import { gopFrames } from './video-encoders.js';

export interface ChunkGrid {
  /** Frames per GOP (= per segment) of each video rung, in plan order. */
  gopFrames: number[];
  /** Segments per chunk (C). */
  segmentsPerChunk: number;
  /** Duration of one segment: G_i / fps_i, the same for every rung. */
  segmentDurationSec: number;
  /** Number of video chunks; the last one runs to the end of the stream. */
  chunkCount: number;
  /** Frames of rung 0 the plan expects in all (an estimate from the probe's duration). */
  estimatedFrames: number;
}

export type ChunkDecision =
  | { mode: 'chunked'; grid: ChunkGrid }
  | { mode: 'one-pass'; reason: string };

export interface PlanChunksOptions {
  media: MediaInfo;
  plan: LadderPlan;
  /** Videos at least this long are chunked; 0 = never (config.chunkedMinDurationSec). */
  minDurationSec: number;
  /** Target chunk length, rounded to whole segments (config.chunkSeconds). */
  chunkSeconds: number;
}

/** The one duration every rung's GOP lasts, as num/den of seconds, or null when rungs disagree. */
export function sharedSegmentDuration(plan: LadderPlan): { num: number; den: number } | null {
  let shared: { num: number; den: number } | null = null;
  for (const rung of plan.video) {
    // G / (num/den) = G·den / num seconds.
    const duration = { num: gopFrames(rung, plan.segmentSeconds) * rung.fps.den, den: rung.fps.num };
    if (shared && shared.num * duration.den !== duration.num * shared.den) return null;
    shared ??= duration;
  }
  return shared;
}

export function planChunks(options: PlanChunksOptions): ChunkDecision {
  const { media, plan, minDurationSec } = options;
  if (minDurationSec <= 0) return { mode: 'one-pass', reason: 'chunked encoding is off' };
  if (!media.video || plan.video.length === 0) return { mode: 'one-pass', reason: 'no video' };
  if (media.durationSec < minDurationSec) return { mode: 'one-pass', reason: `shorter than ${minDurationSec} s` };
  if ((plan.extraCodecs ?? []).length > 0) return { mode: 'one-pass', reason: 'extra codec ladders are encoded in one pass' };
  const segment = sharedSegmentDuration(plan);
  if (!segment) return { mode: 'one-pass', reason: 'rungs have different segment durations in frames' };
  const segmentDurationSec = segment.num / segment.den;
  const segmentsPerChunk = Math.max(1, Math.round(options.chunkSeconds / segmentDurationSec));
  const top = plan.video[0]!;
  const gop = plan.video.map((rung) => gopFrames(rung, plan.segmentSeconds));
  const chunkFrames = segmentsPerChunk * gop[0]!;
  // The stream starts at the first video frame (stream-origin.ts).
  const streamSec = Math.max(0, media.durationSec - streamOriginShiftSec(media));
  const estimatedFrames = Math.round((streamSec * top.fps.num) / top.fps.den);
  let chunkCount = Math.max(1, Math.ceil(estimatedFrames / chunkFrames));
  // The probe's duration is an estimate (the container's, audio included): a last chunk shorter
  // than half a chunk joins the one before, so it never starts past the last frame.
  if (chunkCount > 1 && estimatedFrames - (chunkCount - 1) * chunkFrames < chunkFrames / 2) chunkCount--;
  if (chunkCount < 2) return { mode: 'one-pass', reason: 'fits in one chunk' };
  return { mode: 'chunked', grid: { gopFrames: gop, segmentsPerChunk, segmentDurationSec, chunkCount, estimatedFrames } };
}

/** Output frames [start, end) of one rung in chunk `index`; end null for the last chunk. */
export function chunkFrames(grid: ChunkGrid, index: number, rung: number): { start: number; end: number | null } {
  const span = grid.segmentsPerChunk * grid.gopFrames[rung]!;
  return { start: index * span, end: index === grid.chunkCount - 1 ? null : (index + 1) * span };
}

/** Index of the chunk's first segment, the same in every rung. */
export function chunkFirstSegment(grid: ChunkGrid, index: number): number {
  return index * grid.segmentsPerChunk;
}

/** Start of the chunk on the stream's timeline, in seconds. */
export function chunkStartSec(grid: ChunkGrid, index: number): number {
  return index * grid.segmentsPerChunk * grid.segmentDurationSec;
}
