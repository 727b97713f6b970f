/**
 * How many bytes a planned ladder will store, checked before anything is encoded: the defence against
 * amplification bombs, files made small so that their renditions are huge. A ten-hour 16×16 video of
 * black frames is 0.5 MB; every rung's peak rate has a floor (MIN_MAXRATE_KBPS), so its ladder would
 * still store ≈ 0.7 GB and cost hours of encoding. Real uploads stay far below the default ratio,
 * because planLadder caps every rung near the source's own bit rate.
 */
import { MediaLimitError } from '../errors.js';
import type { LadderPlan } from './ladder-types.js';

export interface OutputLimits {
  /** Estimated bytes of all renditions of one video. */
  maxOutputBytes: number;
  /** Estimated renditions ÷ upload bytes, enforced above AMPLIFICATION_FLOOR_BYTES. */
  maxAmplification: number;
}

/** Below this estimate the ratio is not checked: a short clip may well grow 100× and harm nobody. */
export const AMPLIFICATION_FLOOR_BYTES = 256 * 1024 ** 2;

/**
 * Upper estimate from the planned peak rates: every rung in every codec, every audio rendition, and
 * the progressive download (a copy of the middle rung and the default audio track).
 */
export function estimateOutputBytes(plan: LadderPlan, durationSec: number): number {
  const codecs = 1 + (plan.extraCodecs?.length ?? 0);
  const videoKbps = plan.video.reduce((sum, rung) => sum + rung.maxrateKbps, 0) * codecs;
  const audioKbps = plan.audio.reduce((sum, track) => sum + track.bitrateKbps, 0);
  const downloadKbps = (plan.video[Math.floor(plan.video.length / 2)]?.maxrateKbps ?? 0) + (plan.audio[0]?.bitrateKbps ?? 0);
  return Math.round(((videoKbps + audioKbps + downloadKbps) * 1000 * durationSec) / 8);
}

/** Throws MediaLimitError, naming the numbers, when the ladder would store too much. */
export function assertOutputWithinLimits(options: {
  plan: LadderPlan;
  durationSec: number;
  sourceBytes: number;
  limits: OutputLimits;
}): void {
  const { plan, durationSec, sourceBytes, limits } = options;
  const estimate = estimateOutputBytes(plan, durationSec);
  if (estimate > limits.maxOutputBytes) {
    throw new MediaLimitError(
      `the renditions of this ${hours(durationSec)} video would take about ${size(estimate)}, over the limit of ${size(limits.maxOutputBytes)}`,
    );
  }
  const ratio = estimate / Math.max(1, sourceBytes);
  if (estimate > AMPLIFICATION_FLOOR_BYTES && ratio > limits.maxAmplification) {
    throw new MediaLimitError(
      `a ${size(sourceBytes)} file would make about ${size(estimate)} of renditions (${hours(durationSec)} long): ` +
        `${Math.round(ratio)}× its size, over the limit of ${limits.maxAmplification}×`,
    );
  }
}

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1000))} kB`;
}

function hours(sec: number): string {
  return sec >= 3600 ? `${(sec / 3600).toFixed(1)} h` : sec >= 60 ? `${Math.round(sec / 60)} min` : `${Math.round(sec)} s`;
}
