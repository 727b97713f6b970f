/**
 * Every threshold of the quality report in one place (docs/quality.md explains and justifies them).
 * Detection settings decide what the filters report as spans; issue thresholds decide when a
 * measure becomes an issue; `worst` is where an issue's penalty reaches its full weight.
 */

/** What the analysis filters are asked to find. */
export const DETECTION = {
  /** Seconds between frames sampled for blur, blockiness and noise (per-picture measures). */
  sampleIntervalSec: 0.5,
  /** blackdetect: a pixel is black below this share of the luma range … */
  blackPixelThreshold: 0.1,
  /** … a picture is black when this share of its pixels is (0.98, ffmpeg's default, calls a dark concert hall black) … */
  blackPictureRatio: 0.995,
  /** … and a black span is reported from this length on. */
  blackMinSec: 0.5,
  /** freezedetect: difference below −60 dB (0.001) is "no change"; spans reported from this length. */
  freezeNoise: 0.001,
  freezeMinSec: 1,
  /** silencedetect: every channel below this level … */
  silenceDb: -50,
  /** … for at least this long. */
  silenceMinSec: 1,
  /** A sample at or above this level counts towards clipping (see audio-findings.ts). */
  clipLevelDbfs: -0.5,
  /** Length of the windows clipping is counted in. */
  clipWindowSec: 0.1,
  /** A window is a clipping span when at least this share of its samples sit at the clip level. */
  clipWindowShare: 0.01,
  /** Interlaced-frame spans closer than this are joined. */
  interlaceGapSec: 0.5,
} as const;

export interface IssueRule {
  /** The measure's value at which the issue is raised … */
  threshold: number;
  /** … and at which its penalty reaches `weight` (it starts at half the weight at the threshold). */
  worst: number;
  /** Points taken off the 100 score at worst. */
  weight: number;
}

export const ISSUE_RULES = {
  /** Median blurdetect edge width, pixels. */
  'excessive-blur': { threshold: 6.5, worst: 9, weight: 25 },
  /** Median blockdetect score. */
  'compression-artifacts': { threshold: 30, worst: 150, weight: 25 },
  /** Median noise σ, 8-bit code values. */
  noisy: { threshold: 3, worst: 10, weight: 10 },
  /** Share of the duration that is black; raised from `minSec` of black in total. */
  'black-frames': { threshold: 0, worst: 0.5, weight: 40 },
  /** Share of the duration frozen but not black; raised from `minSec` in total. */
  'frozen-frames': { threshold: 0, worst: 0.5, weight: 30 },
  /** Share of the duration silent; raised from `minSec` in total and `minShare` of the duration. */
  silence: { threshold: 0.05, worst: 1, weight: 15 },
  /** Share of samples at or above DETECTION.clipLevelDbfs. */
  'audio-clipping': { threshold: 0.005, worst: 0.1, weight: 20 },
  /** Integrated loudness above, LUFS. */
  'too-loud': { threshold: -9, worst: -3, weight: 10 },
  /** Integrated loudness below, LUFS (worst is lower: the ramp works in either direction). */
  'too-quiet': { threshold: -32, worst: -45, weight: 10 },
  /** The source is interlaced (the ladder deinterlaces it): a property more than a defect. */
  interlaced: { threshold: 0, worst: 0, weight: 5 },
  /** Lowest mean luma PSNR of any rendition against its reference, dB. */
  'low-psnr-rendition': { threshold: 30, worst: 20, weight: 20 },
} as const satisfies Record<string, IssueRule>;

export type IssueCode = keyof typeof ISSUE_RULES;

export const ISSUE_MINIMUMS = {
  blackMinSec: 1,
  frozenMinSec: 2,
  silenceMinSec: 2,
  /** idet: at least this share of the decided frames must be interlaced … */
  interlacedShare: 0.8,
  /** … with one field order in at least this share of them (progressive material confuses idet both ways). */
  fieldOrderDominance: 0.8,
} as const;
