/**
 * analyzeQuality: the whole quality report of a file — its own measures and, optionally, its
 * renditions scored against a reference, in ONE ffmpeg run (quality-command.ts); then the issues
 * and score (quality-score.ts) and the gate. Used by the `quality` stage and `streamforge analyze`.
 */
import { createProgressParser } from '../media/ffmpeg-progress.js';
import { runProcess } from '../media/ffmpeg-process.js';
import type { MediaInfo } from '../media/media-info.js';
import type { ProcessLimits } from '../media/process-limits.js';
import type { AudioFindings } from './audio-findings.js';
import { type Comparison, readComparison, type RenditionScores } from './comparison-graph.js';
import { buildQualityCommand } from './quality-command.js';
import { findIssues, type QualityIssue, scoreOf } from './quality-score.js';
import { DETECTION } from './quality-thresholds.js';
import { readSourceFindings } from './source-findings.js';
import type { VideoFindings } from './video-findings.js';
import { detectVmaf } from './vmaf-support.js';

export const QUALITY_REPORT_VERSION = 1;

export type QualityGateAction = 'flag' | 'fail';

export interface QualityGate {
  minScore: number;
  action: QualityGateAction;
  passed: boolean;
  /** Why it did not pass (score and issues); null when it passed. */
  reason: string | null;
}

export interface QualityReport {
  version: number;
  analyzedAt: string;
  durationSec: number;
  score: number;
  issues: QualityIssue[];
  gate: QualityGate;
  source: { video: VideoFindings | null; audio: AudioFindings | null };
  /** One entry per compared rendition (empty when nothing was compared). */
  renditions: RenditionScores[];
  /** How the renditions were compared (what the reference is). */
  reference: string | null;
  vmaf: { available: true; error: string | null } | { available: false; reason: string };
  /** Wall time of the analysis, and the ffmpeg runs it took (1; 2 when VMAF failed and was dropped). */
  timings: { ms: number; ffmpegRuns: number };
}

export interface AnalyzeQualityOptions {
  ffmpegPath: string;
  /** Scratch directory for the run's logs. */
  workDir: string;
  /** The file whose own measures are reported (it may also be one of the compared files). */
  source: { path: string; media: MediaInfo };
  /** Renditions to score, each against the reference brought to its rung (plan.video[i]). */
  comparison: (Comparison & { description: string }) | null;
  gate: { minScore: number; action: QualityGateAction };
  sampleIntervalSec?: number;
  timeoutMs: number;
  killGraceMs?: number;
  processLimits?: ProcessLimits;
  signal?: AbortSignal;
  /** 0–1 of the whole analysis. */
  onProgress?: (fraction: number) => void;
}

export function evaluateGate(score: number, issues: readonly QualityIssue[], gate: { minScore: number; action: QualityGateAction }): QualityGate {
  const passed = score >= gate.minScore;
  const codes = issues.map((i) => i.code).join(', ');
  return {
    minScore: gate.minScore,
    action: gate.action,
    passed,
    reason: passed ? null : `quality score ${score} is below the minimum ${gate.minScore}${codes ? ` (${codes})` : ''}`,
  };
}

export async function analyzeQuality(options: AnalyzeQualityOptions): Promise<QualityReport> {
  const { source, workDir } = options;
  const comparison = options.comparison && options.comparison.distorted.length > 0 ? options.comparison : null;
  const sampleIntervalSec = options.sampleIntervalSec ?? DETECTION.sampleIntervalSec;
  // The default track: the one the ladder delivers (probeMedia lists the default-flagged one first).
  const audio = source.media.audio[0] ?? null;
  const durationSec = Math.max(source.media.durationSec, comparison?.reference.media.durationSec ?? 0);
  const started = Date.now();

  const vmafSupport = await detectVmaf({ ffmpegPath: options.ffmpegPath, signal: options.signal });
  const run = (withVmaf: boolean) =>
    runProcess({
      command: options.ffmpegPath,
      args: buildQualityCommand({ source: { ...source, audio }, comparison, sampleIntervalSec, withVmaf }),
      cwd: workDir,
      timeoutMs: options.timeoutMs,
      killGraceMs: options.killGraceMs,
      signal: options.signal,
      limits: options.processLimits,
      onStdoutLine: createProgressParser((p) => {
        if (durationSec > 0) options.onProgress?.(Math.min(1, p.outTimeSec / durationSec));
      }),
    });

  let withVmaf = comparison !== null && vmafSupport.available;
  let vmafError: string | null = null;
  let ffmpegRuns = 1;
  if (source.media.video || audio || comparison) {
    try {
      await run(withVmaf);
    } catch (err) {
      if (!withVmaf || options.signal?.aborted) throw err;
      // A libvmaf without its model files fails the run: keep the rest and say why VMAF is missing.
      vmafError = (err as Error).message;
      withVmaf = false;
      ffmpegRuns = 2;
      await run(false);
    }
  }
  options.onProgress?.(1);

  const findings = await readSourceFindings({ workDir, media: source.media, audio, sampleIntervalSec });
  const renditions: RenditionScores[] = comparison ? await readComparison({ workDir, comparison, withVmaf }) : [];
  const issues = findIssues(findings, renditions);
  const score = scoreOf(issues);
  return {
    version: QUALITY_REPORT_VERSION,
    analyzedAt: new Date().toISOString(),
    durationSec: findings.durationSec,
    score,
    issues,
    gate: evaluateGate(score, issues, options.gate),
    source: { video: findings.video, audio: findings.audio },
    renditions,
    reference: comparison ? comparison.description : null,
    vmaf: vmafSupport.available ? { available: true, error: vmafError } : vmafSupport,
    timings: { ms: Date.now() - started, ffmpegRuns },
  };
}
