/**
 * The part of the quality run's filter graph that scores renditions: PSNR and SSIM (and VMAF where
 * ffmpeg has libvmaf) of each rendition against its reference, every frame. The reference is decoded
 * once and put through the ladder's graph (ladder-reference.ts) to every rung's size and rate; each
 * rendition is decoded beside it; both sides start at t = 0 (`setpts=PTS-STARTPTS`: a rendition's
 * first frame may carry the encoder's delay) and are paired frame by frame. Also reads the per-frame
 * stats files back into summaries.
 */
import path from 'node:path';
import type { MediaInfo } from '../media/media-info.js';
import { rationalToNumber } from '../media/rational.js';
import type { LadderPlan } from '../pipeline/ladder-types.js';
import { parsePsnrStats, parseSsimStats, parseVmafLog, readIfPresent, type ScoreSummary } from './frame-scores.js';
import { ladderReferenceGraph } from './ladder-reference.js';

export interface ComparedFile {
  /** Absolute path (opened as `file:` with only `demuxer` allowed). */
  path: string;
  demuxer: string;
}

export interface DistortedInput extends ComparedFile {
  /** Report name: `v0`…, `av1/v0`… for renditions, the file name on the command line. */
  name: string;
  /** The rung (index into the reference plan's video rungs) it is compared at; default: its own position. */
  rung?: number;
  /**
   * Put this input through the ladder's graph too (a file from elsewhere: rotated, HDR, interlaced,
   * VFR); renditions we made are already normalised and need none.
   */
  normalise?: { media: MediaInfo; plan: LadderPlan };
}

export interface Comparison {
  /** The reference and the rungs it is brought to (each distorted input names its rung). */
  reference: ComparedFile & { media: MediaInfo; plan: LadderPlan };
  distorted: DistortedInput[];
}

export interface RenditionScores {
  name: string;
  /** Rung label (e.g. `720p`) when known. */
  label: string | null;
  width: number;
  height: number;
  fps: number;
  /** Frame pairs compared. */
  frames: number;
  /** Luma PSNR, dB. */
  psnr: ScoreSummary | null;
  /** Luma SSIM, 0–1. */
  ssim: ScoreSummary | null;
  /** Present when VMAF was computed. */
  vmaf?: ScoreSummary | null;
}

const rungOf = (input: DistortedInput, position: number) => input.rung ?? position;

const statsFile = (kind: 'psnr' | 'ssim' | 'vmaf', i: number) => `${kind}-${i}.${kind === 'vmaf' ? 'json' : 'log'}`;

export interface ComparisonGraphOptions extends Comparison {
  /** Input number of the reference and of each distorted file in the command. */
  referenceInput: number;
  distortedInputs: number[];
  /** Where a file's video is shared with the source analysis: read it from this link instead. */
  tap: { input: number; label: string } | null;
  withVmaf: boolean;
}

export function buildComparisonGraph(options: ComparisonGraphOptions): { chains: string[]; outputs: string[] } {
  const { reference, distorted, withVmaf, tap } = options;
  const rungs = distorted.map((d, i) => rungOf(d, i));
  if (rungs.some((r) => reference.plan.video[r] === undefined)) throw new Error('a compared input has no rung to be compared at');
  const tapOf = (input: number) => (tap?.input === input ? tap.label : undefined);
  const chains: string[] = [];
  const outputs: string[] = [];
  const refGraph = ladderReferenceGraph({
    media: reference.media, plan: reference.plan, inputIndex: options.referenceInput, prefix: 'ref_', inputLabel: tapOf(options.referenceInput),
  });
  chains.push(...refGraph.chains);
  // A rung's reference feeds every rendition made from it (H.264 and any extra codec).
  const referenceOf = refGraph.outputs.map((label, r) => {
    const users = rungs.filter((x) => x === r).length;
    if (users <= 1) return [label];
    const copies = Array.from({ length: users }, (_, k) => `[qref${r}_${k}]`);
    chains.push(`${label}split=${users}${copies.join('')}`);
    return copies;
  });
  refGraph.outputs.forEach((label, r) => {
    if (!rungs.includes(r)) chains.push(`${label}nullsink`);
  });
  const branches = withVmaf ? 3 : 2;
  const names = (side: string, i: number) => ['a', 'b', 'c'].slice(0, branches).map((b) => `[q${side}${i}${b}]`);

  distorted.forEach((input, i) => {
    const index = options.distortedInputs[i]!;
    let source = tapOf(index) ?? `[${index}:v:0]`;
    if (input.normalise) {
      const own = ladderReferenceGraph({ media: input.normalise.media, plan: input.normalise.plan, inputIndex: index, prefix: `dist${i}_`, inputLabel: tapOf(index) });
      chains.push(...own.chains);
      source = own.outputs[0]!;
    }
    const d = names('d', i);
    const r = names('r', i);
    chains.push(`${source}setpts=PTS-STARTPTS,format=yuv420p,split=${branches}${d.join('')}`);
    chains.push(`${referenceOf[rungs[i]!]!.shift()}setpts=PTS-STARTPTS,split=${branches}${r.join('')}`);
    // Distorted first, reference second (the filters' main and reference inputs).
    chains.push(`${d[0]}${r[0]}psnr=stats_file=${statsFile('psnr', i)}:shortest=1[qpsnr${i}]`);
    chains.push(`${d[1]}${r[1]}ssim=stats_file=${statsFile('ssim', i)}:shortest=1,nullsink`);
    if (withVmaf) chains.push(`${d[2]}${r[2]}libvmaf=log_fmt=json:log_path=${statsFile('vmaf', i)}:shortest=1,nullsink`);
    outputs.push(`[qpsnr${i}]`);
  });
  return { chains, outputs };
}

export async function readComparison(options: { workDir: string; comparison: Comparison; withVmaf: boolean }): Promise<RenditionScores[]> {
  const { workDir, comparison, withVmaf } = options;
  const renditions: RenditionScores[] = [];
  for (const [i, input] of comparison.distorted.entries()) {
    const rung = comparison.reference.plan.video[rungOf(input, i)]!;
    const psnr = parsePsnrStats((await readIfPresent(path.join(workDir, statsFile('psnr', i)))) ?? '');
    const ssim = parseSsimStats((await readIfPresent(path.join(workDir, statsFile('ssim', i)))) ?? '');
    const scores: RenditionScores = {
      name: input.name,
      label: input.normalise ? null : rung.name,
      width: rung.width,
      height: rung.height,
      fps: Number(rationalToNumber(rung.fps).toFixed(3)),
      frames: psnr.frames,
      psnr: psnr.summary,
      ssim: ssim.summary,
    };
    if (withVmaf) {
      const log = await readIfPresent(path.join(workDir, statsFile('vmaf', i)));
      scores.vmaf = log ? parseVmafLog(log) : null;
    }
    renditions.push(scores);
  }
  return renditions;
}
