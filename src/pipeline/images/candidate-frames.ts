/**
 * The analysis pass of the thumbnails stage: ONE ffmpeg over a small published rendition that
 * selects the candidate frames of a method and measures each as it passes —
 *
 *   setpts (content time from 0) → split ┬→ select keyframes → metadata print     (keyframe times)
 *                                        └→ scdet (motion vs previous frame) → select candidates
 *                                           → blurdetect → signalstats → metadata print (measures)
 *                                           → scale to ≈160 px → raw RGB                (pixels)
 *
 * so measuring a hundred candidates costs one decode of a 360p file, not a hundred processes. The
 * pixels feed the measures ffmpeg has no filter for (colourfulness, saliency, near-duplicate hash:
 * src/media/frame-pixels.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runProcess } from '../../media/ffmpeg-process.js';
import { parseFrameMetadata } from '../../media/frame-metadata.js';
import {
  colourfulness,
  differenceHash,
  laplacianVariance,
  lumaOf,
  meanColour,
  salientRegion,
  type RgbFrame,
} from '../../media/frame-pixels.js';
import { SCENE_CUT, type FrameMeasures } from './frame-scores.js';

export type ThumbnailMethod = 'smart' | 'interval' | 'keyframes';

/** Why a frame is a candidate. */
export type CandidateReason = 'start' | 'scene' | 'keyframe' | 'sampled' | 'interval';

export interface CandidateFrame {
  /** Seconds from the rendition's first frame. */
  time: number;
  reasons: CandidateReason[];
  measures: FrameMeasures;
  /** dHash of the analysis frame, and its mean colour: for near-duplicate checks. */
  hash: bigint;
  meanColour: [number, number, number];
}

export interface AnalyseOptions {
  ffmpegPath: string;
  /** A published rendition as one local fMP4 (StageContext.renditionFile). */
  inputPath: string;
  /** Its frame size, for the analysis frame's aspect ratio. */
  width: number;
  height: number;
  durationSec: number;
  method: ThumbnailMethod;
  count: number;
  /** Scratch directory (the metadata and raw frame files go there). */
  workDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** 0–1 through the rendition. */
  onProgress?: (fraction: number) => void;
}

/** Long side of the analysis frame: enough pixels for colour, saliency and a hash; cheap to keep in memory. */
const ANALYSIS_LONG_SIDE = 160;

/** Spacing of the evenly spaced smart candidates: ≈ 200 over the video, 0.1 s to 10 s apart. */
export function smartSampleStep(durationSec: number): number {
  return Math.min(10, Math.max(0.1, durationSec / 200));
}

/** Targets of the interval method: the middle of each of `count` equal parts. */
export function intervalTimes(durationSec: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => ((i + 0.5) * durationSec) / count);
}

/** The select expression of a method (commas escaped for the filter graph). */
export function selectExpression(options: { method: ThumbnailMethod; durationSec: number; count: number }): string {
  switch (options.method) {
    case 'keyframes':
      return 'eq(pict_type\\,I)';
    case 'interval':
      // The first frame at or after each target: "t ≥ T and nothing selected at or after T yet".
      return intervalTimes(options.durationSec, options.count)
        .map((t) => `gte(t\\,${t.toFixed(4)})*not(gte(prev_selected_t\\,${t.toFixed(4)}))`)
        .join('+');
    case 'smart':
      return [
        'isnan(prev_selected_t)',
        `gte(t-prev_selected_t\\,${smartSampleStep(options.durationSec).toFixed(3)})`,
        `gt(scene\\,${SCENE_CUT})`,
        'eq(pict_type\\,I)',
      ].join('+');
  }
}

export function analysisSize(width: number, height: number): { width: number; height: number } {
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
  return width >= height
    ? { width: ANALYSIS_LONG_SIDE, height: even((ANALYSIS_LONG_SIDE * height) / width) }
    : { width: even((ANALYSIS_LONG_SIDE * width) / height), height: ANALYSIS_LONG_SIDE };
}

export interface AnalyseResult {
  candidates: CandidateFrame[];
  /** Every keyframe of the rendition, seconds from its first frame. */
  keyframeTimes: number[];
}

export async function analyseCandidates(options: AnalyseOptions): Promise<AnalyseResult> {
  const size = analysisSize(options.width, options.height);
  const graph = [
    '[0:v]setpts=PTS-STARTPTS,split=2[k][m]',
    // metadata=print skips frames without metadata: tag the keyframes first.
    "[k]select='eq(pict_type\\,I)',metadata=mode=add:key=keyframe:value=1,metadata=mode=print:file=keyframes.txt,nullsink",
    `[m]scdet,select='${selectExpression(options)}',blurdetect,signalstats,metadata=mode=print:file=frames.txt,` +
      `scale=${size.width}:${size.height}:flags=area,format=rgb24[out]`,
  ].join(';');
  await runProcess({
    command: options.ffmpegPath,
    args: [
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats',
      '-protocol_whitelist', 'file', '-f', 'mov', '-i', `file:${options.inputPath}`,
      '-filter_complex', graph, '-map', '[out]', '-an', '-sn', '-dn',
      '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'frames.rgb',
    ],
    // Relative names: the metadata filter's `file` option must not meet ':' or '\' of the data dir path.
    cwd: options.workDir,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onStdoutLine: (line) => {
      const us = /^out_time_us=(\d+)/.exec(line)?.[1];
      if (us && options.onProgress && options.durationSec > 0) options.onProgress(Math.min(1, Number(us) / 1e6 / options.durationSec));
    },
  });

  const [metaText, keyText, raw] = await Promise.all([
    readFile(path.join(options.workDir, 'frames.txt'), 'utf8').catch(() => ''),
    readFile(path.join(options.workDir, 'keyframes.txt'), 'utf8').catch(() => ''),
    readFile(path.join(options.workDir, 'frames.rgb')),
  ]);
  const meta = parseFrameMetadata(metaText);
  const frameBytes = size.width * size.height * 3;
  if (raw.length !== meta.length * frameBytes) {
    throw new Error(`thumbnail analysis: ${meta.length} measured frames but ${raw.length / frameBytes} decoded ones`);
  }
  const keyframeTimes = parseFrameMetadata(keyText).map((f) => round4(f.ptsTime));
  const keyframes = new Set(keyframeTimes);

  const candidates = meta.map((m, i): CandidateFrame => {
    const frame: RgbFrame = { width: size.width, height: size.height, data: raw.subarray(i * frameBytes, (i + 1) * frameBytes) };
    const luma = lumaOf(frame);
    const v = m.values;
    const blur = v['lavfi.blur'];
    const time = round4(m.ptsTime);
    const sceneScore = v['lavfi.scene_score'] ?? 0;
    const reasons: CandidateReason[] = [];
    if (i === 0) reasons.push('start');
    if (options.method === 'interval') reasons.push('interval');
    if (keyframes.has(time)) reasons.push('keyframe');
    if (options.method === 'smart' && i > 0 && sceneScore > SCENE_CUT) reasons.push('scene');
    if (reasons.length === 0) reasons.push('sampled');
    return {
      time,
      reasons,
      measures: {
        yAvg: v['lavfi.signalstats.YAVG'] ?? 0,
        yLow: v['lavfi.signalstats.YLOW'] ?? 0,
        yHigh: v['lavfi.signalstats.YHIGH'] ?? 0,
        blur: blur === undefined || !Number.isFinite(blur) ? null : blur,
        laplacianVariance: laplacianVariance(luma, size.width, size.height),
        motion: v['lavfi.scd.mafd'] ?? 0,
        sceneScore,
        colourfulness: colourfulness(frame),
        salient: salientRegion(frame),
      },
      hash: differenceHash(luma, size.width, size.height),
      meanColour: meanColour(frame),
    };
  });
  return { candidates, keyframeTimes };
}

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;
