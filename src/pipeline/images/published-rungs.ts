/**
 * Which published video rung an image job reads: the ladder's rungs are `v0` (top) … `vN`
 * (smallest), as src/pipeline/ladder-command.ts names them.
 */
import type { LadderPlan, VideoRung } from '../ladder-types.js';

export interface PublishedRung {
  /** Rendition directory, e.g. `v0`. */
  dir: string;
  rung: VideoRung;
}

function rungAt(plan: LadderPlan, index: number): PublishedRung {
  const rung = plan.video[index];
  if (!rung) throw new Error(`the ladder has no video rung ${index}`);
  return { dir: `v${index}`, rung };
}

const shortSide = (rung: VideoRung) => Math.min(rung.width, rung.height);

/** The top rung: what output images are cut from (already rotated, tone-mapped, deinterlaced). */
export function topRung(plan: LadderPlan): PublishedRung {
  return rungAt(plan, 0);
}

/**
 * The rung to measure frames on: the smallest with a short side of at least `minShortSide` (360p
 * keeps focus and detail measurable at a fraction of the top rung's decode cost), else the top one.
 */
export function analysisRung(plan: LadderPlan, minShortSide = 360): PublishedRung {
  for (let i = plan.video.length - 1; i >= 0; i--) {
    if (shortSide(plan.video[i]!) >= minShortSide) return rungAt(plan, i);
  }
  return topRung(plan);
}

/** The largest rung whose short side is at most `maxShortSide` (else the smallest): small outputs. */
export function rungAtMost(plan: LadderPlan, maxShortSide: number): PublishedRung {
  for (let i = 0; i < plan.video.length; i++) {
    if (shortSide(plan.video[i]!) <= maxShortSide) return rungAt(plan, i);
  }
  return rungAt(plan, plan.video.length - 1);
}
