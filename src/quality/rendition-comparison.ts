/**
 * compareRenditions: PSNR and SSIM (and VMAF where ffmpeg has libvmaf) of encoded renditions
 * against their reference, every frame, in ONE ffmpeg run: the reference source is decoded once and
 * put through the ladder's graph (ladder-reference.ts) to every rung's size and rate; each rendition
 * is decoded beside it; both sides start at t = 0 (`setpts=PTS-STARTPTS`: a rendition's first frame
 * may carry the encoder's delay) and are paired frame by frame.
 */
import path from 'node:path';
import { createProgressParser } from '../media/ffmpeg-progress.js';
import { runProcess } from '../media/ffmpeg-process.js';
import type { MediaInfo } from '../media/media-info.js';
import { rationalToNumber } from '../media/rational.js';
import type { LadderPlan } from '../pipeline/ladder-types.js';
import { parsePsnrStats, parseSsimStats, parseVmafLog, readIfPresent, type ScoreSummary } from './frame-scores.js';
import { ladderReferenceGraph } from './ladder-reference.js';
import type { VmafSupport } from './vmaf-support.js';

export interface ComparedFile {
  /** Absolute path (opened as `file:` with only `demuxer` allowed). */
  path: string;
  demuxer: string;
}

export interface DistortedInput extends ComparedFile {
  /** Report name: `v0`… for renditions, the file name on the command line. */
  name: string;
  /**
   * Put this input through the ladder's graph too (a file from elsewhere: rotated, HDR, interlaced,
   * VFR); renditions we made are already normalised and need none.
   */
  normalise?: { media: MediaInfo; plan: LadderPlan };
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

export interface CompareRenditionsOptions {
  ffmpegPath: string;
  workDir: string;
  /** The reference and the rungs (one per distorted input, same order) it is brought to. */
  reference: ComparedFile & { media: MediaInfo; plan: LadderPlan };
  distorted: DistortedInput[];
  vmaf: VmafSupport;
  timeoutMs: number;
  killGraceMs?: number;
  signal?: AbortSignal;
  /** 0–1 of the reference's duration compared. */
  onProgress?: (fraction: number) => void;
}

export interface ComparisonResult {
  renditions: RenditionScores[];
  /** Set when VMAF was attempted and failed (the PSNR/SSIM run was then repeated without it). */
  vmafError: string | null;
}

const statsFile = (kind: 'psnr' | 'ssim' | 'vmaf', i: number) => `${kind}-${i}.${kind === 'vmaf' ? 'json' : 'log'}`;

export function comparisonArgs(options: Pick<CompareRenditionsOptions, 'reference' | 'distorted'> & { withVmaf: boolean }): string[] {
  const { reference, distorted, withVmaf } = options;
  if (distorted.length !== reference.plan.video.length) throw new Error('one rung per compared input is needed');
  const inputs: string[] = [];
  const addInput = (file: ComparedFile) => {
    // Only plain files, only the demuxer we expect: the same rule as every ffmpeg run on uploads.
    inputs.push('-protocol_whitelist', 'file', '-f', file.demuxer, '-i', `file:${file.path}`);
    return inputs.filter((a) => a === '-i').length - 1;
  };

  const chains: string[] = [];
  const maps: string[] = [];
  const refGraph = ladderReferenceGraph({ media: reference.media, plan: reference.plan, inputIndex: addInput(reference), prefix: 'ref_' });
  chains.push(...refGraph.chains);
  const branches = withVmaf ? 3 : 2;
  const names = (side: string, i: number) => ['a', 'b', 'c'].slice(0, branches).map((b) => `[q${side}${i}${b}]`);

  distorted.forEach((input, i) => {
    const index = addInput(input);
    let source = `[${index}:v:0]`;
    if (input.normalise) {
      const own = ladderReferenceGraph({ media: input.normalise.media, plan: input.normalise.plan, inputIndex: index, prefix: `dist${i}_` });
      chains.push(...own.chains);
      source = own.outputs[0]!;
    }
    const d = names('d', i);
    const r = names('r', i);
    chains.push(`${source}setpts=PTS-STARTPTS,format=yuv420p,split=${branches}${d.join('')}`);
    chains.push(`${refGraph.outputs[i]}setpts=PTS-STARTPTS,split=${branches}${r.join('')}`);
    // Distorted first, reference second (the filters' main and reference inputs).
    chains.push(`${d[0]}${r[0]}psnr=stats_file=${statsFile('psnr', i)}:shortest=1[qpsnr${i}]`);
    chains.push(`${d[1]}${r[1]}ssim=stats_file=${statsFile('ssim', i)}:shortest=1,nullsink`);
    if (withVmaf) chains.push(`${d[2]}${r[2]}libvmaf=log_fmt=json:log_path=${statsFile('vmaf', i)}:shortest=1,nullsink`);
    maps.push('-map', `[qpsnr${i}]`);
  });

  return [
    '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
    '-progress', 'pipe:1', '-nostats', '-stats_period', '1',
    ...inputs,
    '-filter_complex', chains.join(';'),
    ...maps,
    '-f', 'null', '-',
  ];
}

export async function compareRenditions(options: CompareRenditionsOptions): Promise<ComparisonResult> {
  const { reference, distorted, workDir } = options;
  const duration = reference.media.durationSec;
  const run = (withVmaf: boolean) =>
    runProcess({
      command: options.ffmpegPath,
      args: comparisonArgs({ reference, distorted, withVmaf }),
      cwd: workDir,
      timeoutMs: options.timeoutMs,
      killGraceMs: options.killGraceMs,
      signal: options.signal,
      onStdoutLine: createProgressParser((p) => {
        if (duration > 0) options.onProgress?.(Math.min(1, p.outTimeSec / duration));
      }),
    });

  let withVmaf = options.vmaf.available;
  let vmafError: string | null = null;
  try {
    await run(withVmaf);
  } catch (err) {
    if (!withVmaf || options.signal?.aborted) throw err;
    // A libvmaf without its model files fails the run: keep PSNR/SSIM and say why VMAF is missing.
    vmafError = (err as Error).message;
    withVmaf = false;
    await run(false);
  }

  const renditions: RenditionScores[] = [];
  for (const [i, input] of distorted.entries()) {
    const rung = reference.plan.video[i]!;
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
  return { renditions, vmafError };
}
