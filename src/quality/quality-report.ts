/**
 * analyzeQuality: the whole quality report of a file — its own measures (source-analysis.ts),
 * optionally its renditions against a reference (rendition-comparison.ts), the issues and score
 * (quality-score.ts) and the gate. Used by the `quality` stage and by `streamforge analyze`.
 */
import type { MediaInfo } from '../media/media-info.js';
import type { AudioFindings } from './audio-findings.js';
import { type QualityIssue, findIssues, scoreOf } from './quality-score.js';
import { type ComparedFile, compareRenditions, type DistortedInput, type RenditionScores } from './rendition-comparison.js';
import { analyzeSource } from './source-analysis.js';
import type { LadderPlan } from '../pipeline/ladder-types.js';
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
  timings: { analysisMs: number; comparisonMs: number };
}

export interface AnalyzeQualityOptions {
  ffmpegPath: string;
  /** Scratch directory for the runs' logs. */
  workDir: string;
  /** The file whose own measures are reported. */
  source: { path: string; media: MediaInfo };
  /** Renditions to score, each against the reference brought to its rung (plan.video[i]). */
  comparison: { reference: ComparedFile & { media: MediaInfo; plan: LadderPlan }; distorted: DistortedInput[]; description: string } | null;
  gate: { minScore: number; action: QualityGateAction };
  sampleIntervalSec?: number;
  timeoutMs: number;
  killGraceMs?: number;
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
  const { comparison } = options;
  const comparing = comparison !== null && comparison.distorted.length > 0;
  // The comparison decodes the reference and every rendition: it is the larger part when present.
  const analysisShare = comparing ? 0.4 : 1;
  const common = { ffmpegPath: options.ffmpegPath, workDir: options.workDir, timeoutMs: options.timeoutMs, killGraceMs: options.killGraceMs, signal: options.signal };

  const analysisStarted = Date.now();
  const source = await analyzeSource({
    ...common,
    inputPath: options.source.path,
    media: options.source.media,
    sampleIntervalSec: options.sampleIntervalSec,
    onProgress: (f) => options.onProgress?.(f * analysisShare),
  });
  const analysisMs = Date.now() - analysisStarted;

  const vmafSupport = await detectVmaf({ ffmpegPath: options.ffmpegPath, signal: options.signal });
  let renditions: RenditionScores[] = [];
  let vmafError: string | null = null;
  const comparisonStarted = Date.now();
  if (comparing) {
    const result = await compareRenditions({
      ...common,
      reference: comparison.reference,
      distorted: comparison.distorted,
      vmaf: vmafSupport,
      onProgress: (f) => options.onProgress?.(analysisShare + f * (1 - analysisShare)),
    });
    renditions = result.renditions;
    vmafError = result.vmafError;
  }
  const comparisonMs = comparing ? Date.now() - comparisonStarted : 0;
  options.onProgress?.(1);

  const issues = findIssues(source, renditions);
  const score = scoreOf(issues);
  return {
    version: QUALITY_REPORT_VERSION,
    analyzedAt: new Date().toISOString(),
    durationSec: source.durationSec,
    score,
    issues,
    gate: evaluateGate(score, issues, options.gate),
    source: { video: source.video, audio: source.audio },
    renditions,
    reference: comparing ? comparison.description : null,
    vmaf: vmafSupport.available ? { available: true, error: vmafError } : vmafSupport,
    timings: { analysisMs, comparisonMs },
  };
}
