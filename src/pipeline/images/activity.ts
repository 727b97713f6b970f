/**
 * Where a video is most interesting, for the preview clip: sample it at a few frames a second on its
 * smallest rung (ONE cheap ffmpeg pass: fps → 128 px → scdet → signalstats), score each sample by
 * scene cuts and motion, and slide a window of the clip's length to the highest total. Cuts weigh
 * most (a trailer-like stretch of shots beats one long pan); dark or flat samples count for nothing
 * and a fade's global brightness change is not motion, so black flashes and fades are not "activity".
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runProcess } from '../../media/ffmpeg-process.js';
import { parseFrameMetadata } from '../../media/frame-metadata.js';

/** Samples per second: enough to see every cut of a fast-cut trailer, cheap for hours of video. */
export const ACTIVITY_SAMPLE_FPS = 5;
/** scdet score (0–100) from which a sample starts a new shot; scdet's own default threshold. */
const CUT_SCORE = 10;
/** A cut is worth this many samples of full motion. */
const CUT_WEIGHT = 3;
/** scdet mean absolute difference (0–100) between samples that counts as full motion. */
const FULL_MOTION = 8;
/** Samples darker than this at their 90th luma percentile, or flatter than this spread, are dead air. */
const DARK_Y_HIGH = 40;
const FLAT_SPREAD = 12;

export interface ActivitySample {
  /** Seconds from the rendition's first frame. */
  time: number;
  /** 0–1 + CUT_WEIGHT when the sample starts a shot. */
  interest: number;
  cut: boolean;
}

export async function measureActivity(options: {
  ffmpegPath: string;
  inputPath: string;
  workDir: string;
  durationSec: number;
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}): Promise<ActivitySample[]> {
  const filters = [
    'setpts=PTS-STARTPTS',
    `fps=${ACTIVITY_SAMPLE_FPS}`,
    'scale=128:-2:flags=area',
    'scdet',
    'signalstats',
    'metadata=mode=print:file=activity.txt',
  ].join(',');
  await runProcess({
    command: options.ffmpegPath,
    args: [
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats',
      '-protocol_whitelist', 'file', '-f', 'mov', '-i', `file:${options.inputPath}`,
      '-map', '0:v:0', '-an', '-sn', '-dn', '-vf', filters, '-f', 'null', '-',
    ],
    cwd: options.workDir,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onStdoutLine: (line) => {
      const us = /^out_time_us=(\d+)/.exec(line)?.[1];
      if (us && options.onProgress && options.durationSec > 0) options.onProgress(Math.min(1, Number(us) / 1e6 / options.durationSec));
    },
  });
  const frames = parseFrameMetadata(await readFile(path.join(options.workDir, 'activity.txt'), 'utf8'));
  const live = frames.map((f) => {
    const high = f.values['lavfi.signalstats.YHIGH'] ?? 0;
    const low = f.values['lavfi.signalstats.YLOW'] ?? 0;
    return high > DARK_Y_HIGH && high - low >= FLAT_SPREAD;
  });
  return frames.map((f, i) => {
    // A cut counts between two live samples only: into or out of black is not a new shot.
    const cut = i > 0 && live[i]! && live[i - 1]! && (f.values['lavfi.scd.score'] ?? 0) >= CUT_SCORE;
    // A fade changes every pixel by about the change of the mean: that part of the difference is
    // not motion (scdet's mafd and signalstats' YAVG are on the same 0–100 % / 0–255 scales).
    const lumaShift = i > 0 ? (Math.abs((f.values['lavfi.signalstats.YAVG'] ?? 0) - (frames[i - 1]!.values['lavfi.signalstats.YAVG'] ?? 0)) * 100) / 255 : 0;
    const motion = Math.min(1, Math.max(0, (f.values['lavfi.scd.mafd'] ?? 0) - lumaShift) / FULL_MOTION);
    return { time: Math.round(f.ptsTime * 1000) / 1000, cut, interest: live[i]! ? (cut ? CUT_WEIGHT : 0) + motion : 0 };
  });
}

export interface ActiveSpan {
  startSec: number;
  durationSec: number;
  /** Sum of the samples' interest in the span. */
  interest: number;
  cuts: number;
}

/**
 * The span of `windowSec` (or the whole video when shorter) with the most interest, within
 * [fromSec, toSec] of the video (default: all of it). With no interest anywhere (a still, a slide
 * show without changes) it starts a tenth in, past any opening fade, like the poster.
 */
export function mostActiveSpan(
  samples: readonly ActivitySample[],
  options: { windowSec: number; durationSec: number; fromSec?: number; toSec?: number },
): ActiveSpan {
  const from = options.fromSec ?? 0;
  const to = Math.min(options.toSec ?? options.durationSec, options.durationSec);
  const length = Math.max(0, Math.min(options.windowSec, to - from));
  const inRange = samples.filter((s) => s.time >= from - 1e-6 && s.time < to);
  // Prefix sums: the interest and cuts of samples [i, j) in O(1), so any window is cheap.
  const interestBefore = [0];
  const cutsBefore = [0];
  for (const s of inRange) {
    interestBefore.push(interestBefore.at(-1)! + s.interest);
    cutsBefore.push(cutsBefore.at(-1)! + (s.cut ? 1 : 0));
  }
  const round = (v: number) => Math.round(v * 1000) / 1000;
  let end = 0;
  const spanFrom = (i: number, startSec: number): ActiveSpan => {
    end = Math.max(end, i);
    while (end < inRange.length && inRange[end]!.time < startSec + length - 1e-6) end++;
    return {
      startSec: round(startSec),
      durationSec: round(length),
      interest: round(interestBefore[end]! - interestBefore[i]!),
      cuts: cutsBefore[end]! - cutsBefore[i]!,
    };
  };
  let best: ActiveSpan | null = null;
  // Every sample that leaves room for the whole window is a possible start.
  for (let i = 0; i < inRange.length; i++) {
    if (inRange[i]!.time + length > to + 1e-6) break;
    const candidate = spanFrom(i, inRange[i]!.time);
    if (best === null || candidate.interest > best.interest + 1e-9) best = candidate;
  }
  if (best === null || best.interest <= 0) {
    const startSec = Math.max(from, Math.min(from + (to - from) * 0.1, to - length));
    end = 0;
    const first = inRange.findIndex((s) => s.time >= startSec - 1e-6);
    return first < 0 ? { startSec: round(startSec), durationSec: round(length), interest: 0, cuts: 0 } : spanFrom(first, startSec);
  }
  return best;
}
