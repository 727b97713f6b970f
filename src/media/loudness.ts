/**
 * Loudness normalisation, EBU R128 style, in two passes (ffmpeg's `loudnorm`): pass one measures a
 * track (integrated loudness, true peak, loudness range, threshold); pass two — a filter inside the
 * ladder's single ffmpeg run — applies a *linear* gain computed from those measurements, so the
 * dynamics of the mix are kept (one-pass loudnorm compresses dynamically, which pumps).
 */
import { PermanentError } from '../errors.js';
import { runProcess } from './ffmpeg-process.js';
import type { ProcessLimits } from './process-limits.js';

export interface LoudnessTarget {
  /** Integrated loudness, LUFS (streaming services use about −14). */
  integratedLufs: number;
  /** Maximum true peak, dBTP. */
  truePeakDbtp: number;
  /** Loudness range, LU. */
  rangeLu: number;
}

export const STREAMING_TARGET: LoudnessTarget = { integratedLufs: -14, truePeakDbtp: -1, rangeLu: 11 };

/** What pass one measured on a track. */
export interface LoudnessMeasurement {
  integratedLufs: number;
  truePeakDbtp: number;
  rangeLu: number;
  thresholdLufs: number;
  targetOffsetLu: number;
}

/** loudnorm's filter string with the target. */
function targetArgs(target: LoudnessTarget): string {
  return `I=${target.integratedLufs}:TP=${target.truePeakDbtp}:LRA=${target.rangeLu}`;
}

/** Parses the JSON block loudnorm prints at the end of pass one (print_format=json). */
export function parseLoudnormJson(stderr: string): LoudnessMeasurement {
  const start = stderr.lastIndexOf('{');
  const end = stderr.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error('loudnorm printed no measurement');
  const raw = JSON.parse(stderr.slice(start, end + 1)) as Record<string, string>;
  const num = (key: string) => {
    const value = Number(raw[key]);
    // -inf for digital silence: nothing to normalise.
    return Number.isFinite(value) ? value : Number.NEGATIVE_INFINITY;
  };
  return {
    integratedLufs: num('input_i'),
    truePeakDbtp: num('input_tp'),
    rangeLu: num('input_lra'),
    thresholdLufs: num('input_thresh'),
    targetOffsetLu: num('target_offset'),
  };
}

export async function measureLoudness(options: {
  ffmpegPath: string;
  inputPath: string;
  /** ffmpeg demuxer the probe accepted. */
  demuxer: string;
  /** Input stream index of the audio track. */
  streamIndex: number;
  target: LoudnessTarget;
  timeoutMs: number;
  signal?: AbortSignal;
  processLimits?: ProcessLimits;
}): Promise<LoudnessMeasurement> {
  const result = await runProcess({
    command: options.ffmpegPath,
    args: [
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
      '-protocol_whitelist', 'file', '-f', options.demuxer, '-i', `file:${options.inputPath}`,
      '-map', `0:${options.streamIndex}`, '-vn', '-sn', '-dn',
      // The same downmix and rate as the ladder, so what is measured is what is normalised.
      '-af', `aresample=48000,aformat=channel_layouts=stereo,loudnorm=${targetArgs(options.target)}:print_format=json`,
      '-f', 'null', '-',
    ],
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    stderrTailBytes: 16_384,
    limits: options.processLimits,
  });
  try {
    return parseLoudnormJson(result.stderrTail);
  } catch (err) {
    throw new PermanentError(`could not measure the loudness of audio stream ${options.streamIndex}: ${(err as Error).message}`);
  }
}

/**
 * The pass-two filter: a linear gain to the target from the measurement. Silence (no measurable
 * loudness) gets no filter: amplifying noise floor to −14 LUFS would be absurd.
 */
export function normalisationFilter(measured: LoudnessMeasurement, target: LoudnessTarget): string | null {
  if (!Number.isFinite(measured.integratedLufs) || !Number.isFinite(measured.thresholdLufs)) return null;
  const m = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '-99');
  return (
    `loudnorm=${targetArgs(target)}:measured_I=${m(measured.integratedLufs)}:measured_TP=${m(measured.truePeakDbtp)}` +
    `:measured_LRA=${m(measured.rangeLu)}:measured_thresh=${m(measured.thresholdLufs)}:offset=${m(measured.targetOffsetLu)}` +
    ':linear=true'
  );
}
