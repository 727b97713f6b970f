/**
 * From measures to verdicts: the issues found (each with the measure that raised it and, where it
 * has them, the spans) and the 0–100 score. The score starts at 100; every issue takes off between
 * half its weight (measure at the threshold) and its whole weight (measure at `worst` or beyond),
 * linearly; the result is clamped to 0–100 and rounded. Rules: quality-thresholds.ts, docs/quality.md.
 */
import { ISSUE_MINIMUMS, ISSUE_RULES, type IssueCode, type IssueRule } from './quality-thresholds.js';
import type { RenditionScores } from './comparison-graph.js';
import type { SourceFindings } from './source-findings.js';
import { type Span, uncoveredSec } from './spans.js';

export interface QualityIssue {
  code: IssueCode;
  /** What was measured, in the unit of the rule (px, LUFS, dB, share of the duration…). */
  value: number;
  threshold: number;
  /** Points this issue took off the score. */
  penalty: number;
  message: string;
  /** Where it happens, when the measure has places (black spans, clipped windows…). */
  spans?: Span[];
  /** The rendition concerned (low-psnr-rendition). */
  rendition?: string;
}

export function penaltyFor(rule: IssueRule, value: number): number {
  const span = rule.worst - rule.threshold;
  const ramp = span === 0 ? 1 : Math.min(1, Math.max(0, (value - rule.threshold) / span));
  return Number((rule.weight * (0.5 + 0.5 * ramp)).toFixed(1));
}

const pct = (share: number) => `${(share * 100).toFixed(share < 0.01 ? 2 : 1)} %`;

export function findIssues(source: SourceFindings, renditions: readonly RenditionScores[]): QualityIssue[] {
  const issues: QualityIssue[] = [];
  const duration = source.durationSec > 0 ? source.durationSec : 1;
  const raise = (code: IssueCode, value: number, message: string, extra: Partial<QualityIssue> = {}) => {
    const rule = ISSUE_RULES[code];
    issues.push({ code, value: Number(value.toFixed(4)), threshold: rule.threshold, penalty: penaltyFor(rule, value), message, ...extra });
  };

  const video = source.video;
  if (video) {
    if (video.blur && video.blur.median >= ISSUE_RULES['excessive-blur'].threshold) {
      raise('excessive-blur', video.blur.median, `median edge width ${video.blur.median} px (blurdetect) ≥ ${ISSUE_RULES['excessive-blur'].threshold} px`, { spans: video.blur.spans });
    }
    if (video.blockiness && video.blockiness.median >= ISSUE_RULES['compression-artifacts'].threshold) {
      raise('compression-artifacts', video.blockiness.median, `median blockiness ${video.blockiness.median} (blockdetect) ≥ ${ISSUE_RULES['compression-artifacts'].threshold}`, { spans: video.blockiness.spans });
    }
    if (video.noise && video.noise.median >= ISSUE_RULES.noisy.threshold) {
      raise('noisy', video.noise.median, `median noise σ ${video.noise.median} (8-bit code values) ≥ ${ISSUE_RULES.noisy.threshold}`, { spans: video.noise.spans });
    }
    if (video.black.totalSec >= ISSUE_MINIMUMS.blackMinSec) {
      const share = video.black.totalSec / duration;
      raise('black-frames', share, `${video.black.totalSec} s black (${pct(share)} of the video) in ${video.black.count} span(s)`, { spans: video.black.spans });
    }
    // A black stretch is frozen too; it is reported once, as black.
    const frozenNotBlack = uncoveredSec(video.frozen.spans, video.black.spans);
    if (frozenNotBlack >= ISSUE_MINIMUMS.frozenMinSec) {
      const share = frozenNotBlack / duration;
      raise('frozen-frames', share, `${frozenNotBlack} s frozen (${pct(share)} of the video, black excluded)`, { spans: video.frozen.spans });
    }
    const il = video.interlacing;
    if (il.verdict === 'tff' || il.verdict === 'bff') {
      raise('interlaced', 0, `interlaced, ${il.verdict === 'tff' ? 'top' : 'bottom'} field first (idet: ${il.tff} TFF, ${il.bff} BFF, ${il.progressive} progressive frames); the ladder deinterlaces it`, { spans: il.spans });
    }
  }

  const audio = source.audio;
  if (audio) {
    const silentShare = audio.silence.totalSec / duration;
    if (audio.silence.totalSec >= ISSUE_MINIMUMS.silenceMinSec && silentShare >= ISSUE_RULES.silence.threshold) {
      raise('silence', silentShare, `${audio.silence.totalSec} s of silence (${pct(silentShare)} of the audio)`, { spans: audio.silence.spans });
    }
    if (audio.clipping.share >= ISSUE_RULES['audio-clipping'].threshold) {
      raise('audio-clipping', audio.clipping.share, `${pct(audio.clipping.share)} of the samples at or above ${audio.clipping.levelDbfs} dBFS`, { spans: audio.clipping.spans });
    }
    const lufs = audio.loudness.integratedLufs;
    if (lufs !== null && lufs > ISSUE_RULES['too-loud'].threshold) {
      raise('too-loud', lufs, `integrated loudness ${lufs} LUFS > ${ISSUE_RULES['too-loud'].threshold} LUFS`);
    }
    if (lufs !== null && lufs < ISSUE_RULES['too-quiet'].threshold) {
      raise('too-quiet', lufs, `integrated loudness ${lufs} LUFS < ${ISSUE_RULES['too-quiet'].threshold} LUFS`);
    }
  }

  const scored = renditions.filter((r) => r.psnr !== null);
  if (scored.length > 0) {
    const worst = scored.reduce((a, b) => (b.psnr!.mean < a.psnr!.mean ? b : a));
    if (worst.psnr!.mean < ISSUE_RULES['low-psnr-rendition'].threshold) {
      raise('low-psnr-rendition', worst.psnr!.mean, `${worst.name}${worst.label ? ` (${worst.label})` : ''}: mean PSNR ${worst.psnr!.mean} dB < ${ISSUE_RULES['low-psnr-rendition'].threshold} dB`, { rendition: worst.name });
    }
  }
  return issues;
}

export function scoreOf(issues: readonly QualityIssue[]): number {
  const penalty = issues.reduce((sum, issue) => sum + issue.penalty, 0);
  return Math.max(0, Math.min(100, Math.round(100 - penalty)));
}
