/**
 * Which candidates become thumbnails. `smart`: the best-scoring frames that are spread across the
 * video — at least a minimum time apart and not near-copies of one another — and never a rejected
 * frame while an acceptable one exists (so a video with fewer than N acceptable, distinct moments
 * gets fewer than N thumbnails). `interval` and `keyframes`: the frames the method selected, as
 * they are (scored for the record, but the score does not choose).
 */
import { hammingDistance } from '../../media/frame-pixels.js';
import type { CandidateFrame, ThumbnailMethod } from './candidate-frames.js';
import type { Rejection, ScoredFrame } from './frame-scores.js';

export type PickableFrame = Pick<CandidateFrame, 'time' | 'hash' | 'meanColour'> & Pick<ScoredFrame, 'total' | 'rejected'>;

/** dHash bits and mean-colour distance (0–441) within which two frames look the same. */
const DUPLICATE_HASH_BITS = 6;
const DUPLICATE_COLOUR_DISTANCE = 40;
/** Rejections never worth showing, even when nothing better exists. */
const NEVER: ReadonlySet<Rejection> = new Set(['black', 'flat']);

/** Minimum distance between two smart picks: half of an even share of the video. */
export function minimumGapSec(durationSec: number, count: number): number {
  return durationSec / (2 * count);
}

export function nearDuplicate(a: PickableFrame, b: PickableFrame): boolean {
  const colour = Math.hypot(a.meanColour[0] - b.meanColour[0], a.meanColour[1] - b.meanColour[1], a.meanColour[2] - b.meanColour[2]);
  return colour < DUPLICATE_COLOUR_DISTANCE && hammingDistance(a.hash, b.hash) <= DUPLICATE_HASH_BITS;
}

/** Indexes (into `frames`) of the smart picks, in time order. */
export function pickSmart(frames: readonly PickableFrame[], options: { count: number; durationSec: number }): number[] {
  const gap = minimumGapSec(options.durationSec, options.count);
  const byTotal = frames.map((_, i) => i).sort((a, b) => frames[b]!.total - frames[a]!.total || frames[a]!.time - frames[b]!.time);
  const chosen: number[] = [];
  const tryPick = (accept: (f: PickableFrame) => boolean, minGap: number) => {
    for (const i of byTotal) {
      if (chosen.length >= options.count) return;
      const f = frames[i]!;
      if (chosen.includes(i) || !accept(f)) continue;
      if (chosen.some((j) => Math.abs(frames[j]!.time - f.time) < minGap || nearDuplicate(frames[j]!, f))) continue;
      chosen.push(i);
    }
  };
  // Acceptable frames, well spread, then closer together. A rejected frame is never shown beside
  // acceptable ones — fewer thumbnails beat a black or blurred one — but a video with no acceptable
  // frame still gets its least bad one, and one made only of black or flat frames its best.
  for (const divisor of [1, 2, 4]) tryPick((f) => f.rejected === null, gap / divisor);
  if (chosen.length === 0) {
    const fallback = byTotal.find((i) => !NEVER.has(frames[i]!.rejected!)) ?? byTotal[0];
    if (fallback !== undefined) chosen.push(fallback);
  }
  return chosen.sort((a, b) => frames[a]!.time - frames[b]!.time);
}

/** `count` indexes spread evenly over `length` items (all of them when there are no more). */
export function evenlySpread(length: number, count: number): number[] {
  if (length <= count) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * length) / count));
}

export function pickThumbnails(method: ThumbnailMethod, frames: readonly PickableFrame[], options: { count: number; durationSec: number }): number[] {
  switch (method) {
    case 'smart':
      return pickSmart(frames, options);
    case 'interval':
      // The analysis selected exactly one frame per interval target.
      return frames.map((_, i) => i).slice(0, options.count);
    case 'keyframes':
      return evenlySpread(frames.length, options.count);
  }
}
