/**
 * How good a frame is as a thumbnail: measures from one analysis pass (candidate-frames.ts) turned
 * into 0–1 scores and a weighted total, plus the hard rejections a thumbnail must never be (black,
 * flat, washed out, blurred, mid-fade). The criteria follow the usual thumbnail-selection
 * literature (sharpness, exposure, contrast, colourfulness, motion, composition — e.g. Song et al.,
 * "To Click or Not To Click", CIKM 2016); the thresholds were set on our test clips and real corpus
 * files and are plain constants here, so tuning is a one-line change with a test to run.
 *
 * Faces are not scored: the only offline detector that installs here (@vladmandic/face-api on
 * tfjs-wasm) costs ≈ 0.5 s per image on our 2-core machines — 50 s for a hundred candidates — and
 * tens of MB of dependencies; see docs/architecture.md ("Enrichment stages").
 */
import type { SalientRegion } from '../../media/frame-pixels.js';

/** What was measured of one candidate frame. Luma values are 8-bit limited range (16–235). */
export interface FrameMeasures {
  /** signalstats: mean, 10th and 90th percentile of the luma. */
  yAvg: number;
  yLow: number;
  yHigh: number;
  /** blurdetect: mean edge width in pixels of the scoring rung; null when it found no edges at all. */
  blur: number | null;
  /** Laplacian variance of the small analysis frame (frame-pixels.ts). */
  laplacianVariance: number;
  /** scdet: mean absolute difference to the previous frame (0–100 scale). */
  motion: number;
  /** select's scene-change score against the previous frame, 0–1. */
  sceneScore: number;
  /** Hasler–Süsstrunk M. */
  colourfulness: number;
  salient: SalientRegion;
}

export interface FrameScores {
  sharpness: number;
  exposure: number;
  contrast: number;
  colourfulness: number;
  composition: number;
  motion: number;
}

export type Rejection = 'black' | 'flat' | 'washed-out' | 'blurry' | 'fade';

export const SCORE_WEIGHTS: Readonly<FrameScores> = {
  sharpness: 0.3,
  exposure: 0.15,
  contrast: 0.15,
  colourfulness: 0.15,
  composition: 0.15,
  motion: 0.1,
};

/** A frame whose luma is this bright at its 90th percentile is black (a dark scene still has highlights). */
const BLACK_Y_HIGH = 40;
/** …and this dark at its 10th percentile is washed out / white. */
const WASHED_OUT_Y_LOW = 200;
/** 10th–90th percentile spread below which a frame is one flat colour (title card background, fade). */
const FLAT_SPREAD = 12;
/** blurdetect edge widths: crisp video measures ≈ 3–6 px at 360p, a defocused frame 15+. */
const BLUR_CRISP_PX = 4;
const BLUR_SOFT_PX = 20;
/** Edges wider than this (or none at all in a frame that is not flat) mean the frame is blurred. */
const BLURRY_PX = 15;
/** Laplacian variance of the 160-px analysis frame at which fine detail counts as fully present. */
const LAPLACIAN_CRISP = 2000;
/** A frame whose contrast is below this share of its shot's best is mid-fade (rejected below FADE_REJECT). */
const FADE_FULL = 0.95;
const FADE_REJECT = 0.6;
/** How far around a frame its shot's contrast is looked at, in seconds. */
export const FADE_WINDOW_SEC = 2.5;
/** select's scene score above which a frame starts a new shot. */
export const SCENE_CUT = 0.3;

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

export function frameScores(m: FrameMeasures): FrameScores {
  const spread = m.yHigh - m.yLow;
  const edge = m.blur === null ? 0 : clamp01((BLUR_SOFT_PX - m.blur) / (BLUR_SOFT_PX - BLUR_CRISP_PX));
  const detail = clamp01(Math.log10(1 + m.laplacianVariance) / Math.log10(1 + LAPLACIAN_CRISP));
  return {
    // Edge width says "in focus"; Laplacian energy says "has detail to be in focus".
    sharpness: 0.7 * edge + 0.3 * detail,
    // Mid-grey average is best; both ends lose detail.
    exposure: clamp01(1 - Math.abs(m.yAvg - 118) / 102),
    contrast: clamp01(spread / 140),
    colourfulness: clamp01(m.colourfulness / 60),
    composition: compositionScore(m.salient),
    // A still moment is sharper (no motion blur) and never mid-transition; a cut frame's difference
    // is the cut, not motion, so it scores as moderate.
    motion: m.sceneScore > SCENE_CUT ? 0.6 : clamp01(1 / (1 + m.motion / 6)),
  };
}

/**
 * Rule of thirds on the salient region (frame-pixels.ts: colour distinctiveness + detail): best on
 * a thirds intersection, good in the centre (a centred subject is the other common framing), and
 * neutral when saliency is spread evenly (nothing stands out, so framing says little).
 */
export function compositionScore(salient: SalientRegion): number {
  const thirds = [1 / 3, 2 / 3];
  let toThirds = Infinity;
  for (const x of thirds) for (const y of thirds) toThirds = Math.min(toThirds, Math.hypot(salient.x - x, salient.y - y));
  const toCentre = Math.hypot(salient.x - 0.5, salient.y - 0.5);
  const framed = Math.max(clamp01(1 - toThirds / 0.3), 0.8 * clamp01(1 - toCentre / 0.3), 0.1);
  const focus = clamp01((salient.concentration - 0.3) / 0.35);
  return 0.5 + (framed - 0.5) * focus;
}

/** The rejection a frame deserves on its own (the fade needs its neighbours: see `fadeRatios`). */
export function rejectionOf(m: FrameMeasures): Rejection | null {
  if (m.yHigh <= BLACK_Y_HIGH) return 'black';
  if (m.yLow >= WASHED_OUT_Y_LOW) return 'washed-out';
  if (m.yHigh - m.yLow < FLAT_SPREAD) return 'flat';
  if (m.blur === null || m.blur > BLURRY_PX) return 'blurry';
  return null;
}

/**
 * Each frame's contrast as a share of the best contrast in its shot nearby (within FADE_WINDOW_SEC,
 * not across a scene cut). A fade to or from black scales the whole picture down, so mid-fade frames
 * have a fraction of their shot's contrast even though each looks like a (dim) normal frame alone.
 */
export function fadeRatios(frames: ReadonlyArray<{ time: number; measures: FrameMeasures }>): number[] {
  const shot: number[] = [];
  let current = 0;
  frames.forEach((f, i) => {
    if (i > 0 && f.measures.sceneScore > SCENE_CUT) current++;
    shot.push(current);
  });
  return frames.map((f, i) => {
    const spread = f.measures.yHigh - f.measures.yLow;
    let peak = spread;
    for (let j = 0; j < frames.length; j++) {
      const other = frames[j]!;
      if (shot[j] !== shot[i] || Math.abs(other.time - f.time) > FADE_WINDOW_SEC) continue;
      peak = Math.max(peak, other.measures.yHigh - other.measures.yLow);
    }
    return peak > 0 ? spread / peak : 1;
  });
}

export interface ScoredFrame {
  scores: FrameScores;
  /** Weighted sum of the scores, times the fade penalty; 0–1. */
  total: number;
  rejected: Rejection | null;
}

export function scoreFrame(measures: FrameMeasures, fadeRatio: number): ScoredFrame {
  const scores = frameScores(measures);
  let total = 0;
  for (const key of Object.keys(SCORE_WEIGHTS) as Array<keyof FrameScores>) total += SCORE_WEIGHTS[key] * scores[key];
  total *= clamp01(fadeRatio / FADE_FULL);
  const rejected = rejectionOf(measures) ?? (fadeRatio < FADE_REJECT ? 'fade' : null);
  return { scores: roundScores(scores), total: round3(total), rejected };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

function roundScores(scores: FrameScores): FrameScores {
  return Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, round3(v)])) as unknown as FrameScores;
}
