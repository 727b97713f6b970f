/**
 * The configured limits on untrusted uploads, in the shapes their checks take: what the probe refuses
 * (MediaLimits, probe-mapping.ts), what the planned renditions may add up to (OutputLimits,
 * output-estimate.ts) and the kernel caps of the ffprobe/ffmpeg processes that read an upload
 * (ProcessLimits, process-limits.ts). Where each is enforced: docs/hostile-input.md.
 */
import type { Config } from '../config/config.js';
import type { MediaLimits } from '../media/probe-mapping.js';
import type { ProcessLimits } from '../media/process-limits.js';
import type { OutputLimits } from './output-estimate.js';

type LimitSettings = Pick<
  Config,
  | 'mediaMaxWidth'
  | 'mediaMaxHeight'
  | 'mediaMaxPixels'
  | 'mediaMaxDurationSec'
  | 'mediaMaxFps'
  | 'mediaMaxOutputBytes'
  | 'mediaMaxAmplification'
  | 'ffmpegMaxMemoryBytes'
  | 'ffprobeMaxMemoryBytes'
  | 'ffmpegMaxCpuSeconds'
>;

export function mediaLimitsOf(config: LimitSettings): MediaLimits {
  return {
    maxWidth: config.mediaMaxWidth,
    maxHeight: config.mediaMaxHeight,
    maxPixels: config.mediaMaxPixels,
    maxDurationSec: config.mediaMaxDurationSec,
    maxFps: config.mediaMaxFps,
  };
}

export function outputLimitsOf(config: LimitSettings): OutputLimits {
  return { maxOutputBytes: config.mediaMaxOutputBytes, maxAmplification: config.mediaMaxAmplification };
}

/** Caps of every ffmpeg run on an upload or its renditions. */
export function ffmpegLimitsOf(config: LimitSettings): ProcessLimits {
  return { memoryBytes: config.ffmpegMaxMemoryBytes, cpuSeconds: config.ffmpegMaxCpuSeconds };
}

/** Caps of every ffprobe run on an upload. */
export function ffprobeLimitsOf(config: LimitSettings): ProcessLimits {
  return { memoryBytes: config.ffprobeMaxMemoryBytes, cpuSeconds: config.ffmpegMaxCpuSeconds };
}
