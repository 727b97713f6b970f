/**
 * What the video branches of the source analysis found (source-graph.ts), read from their logs:
 * per-picture measures of the sampled frames (blur, blockiness, noise) and spans over every frame
 * (black, frozen, interlaced).
 */
import path from 'node:path';
import type { VideoStreamInfo } from '../media/media-info.js';
import { metadataNumber, readMetadataLog } from './metadata-log.js';
import { DETECTION, ISSUE_RULES } from './quality-thresholds.js';
import { NOISE_PERCENTILE_SPAN, SOURCE_LOGS } from './source-graph.js';
import { capSpans, makeSpan, mergeSpans, roundSec, type Span, SpanCollector, spanFinding, type SpanFinding, spansOfSamples } from './spans.js';
import { summarize } from './summary-stats.js';

/** A per-picture measure over the sampled frames. */
export interface PictureMeasure {
  median: number;
  p95: number;
  max: number;
  /** When the highest value was measured. */
  maxAtSec: number;
  /** Frames the measure could be taken on (blur has none on a picture without edges, e.g. black). */
  samples: number;
  /** Where the sampled value was at or above the issue threshold (each sample stands for one interval). */
  spans: Span[];
}


export type InterlaceVerdict = 'progressive' | 'tff' | 'bff' | 'mixed' | 'undetermined';

export interface InterlaceFinding {
  /** idet's multi-frame verdicts, frame counts. */
  progressive: number;
  tff: number;
  bff: number;
  undetermined: number;
  verdict: InterlaceVerdict;
  /** The container's field order tag (ffprobe), for comparison: tags are often wrong. */
  fieldOrderTag: string | null;
  /** Where idet saw interlaced frames. */
  spans: Span[];
}

export interface VideoFindings {
  frames: number;
  sampleIntervalSec: number;
  /** blurdetect: edge width, pixels (higher is blurrier). */
  blur: PictureMeasure | null;
  /** blockdetect: blockiness (≈ 1–10 clean, tens for visible blocks). */
  blockiness: PictureMeasure | null;
  /** Noise σ, 8-bit code values (source-graph.ts). */
  noise: PictureMeasure | null;
  black: SpanFinding;
  frozen: SpanFinding;
  interlacing: InterlaceFinding;
}

interface Sample {
  timeSec: number;
  value: number;
}

function pictureMeasure(samples: Sample[], threshold: number, intervalSec: number): PictureMeasure | null {
  const finite = samples.filter((s) => Number.isFinite(s.value));
  const stats = summarize(finite.map((s) => s.value));
  if (!stats) return null;
  const worst = finite.reduce((a, b) => (b.value > a.value ? b : a));
  return {
    median: stats.median,
    p95: stats.p95,
    max: stats.max,
    maxAtSec: roundSec(worst.timeSec),
    samples: stats.count,
    spans: capSpans(spansOfSamples(finite.map((s) => ({ timeSec: s.timeSec, hit: s.value >= threshold })), intervalSec)),
  };
}

/** Interlaced when most decided frames are, with one field order clearly ahead (docs/quality.md). */
export function interlaceVerdict(counts: { progressive: number; tff: number; bff: number }, rules: { interlacedShare: number; fieldOrderDominance: number }): InterlaceVerdict {
  const interlaced = counts.tff + counts.bff;
  const decided = interlaced + counts.progressive;
  if (decided === 0) return 'undetermined';
  if (interlaced / decided < rules.interlacedShare) return 'progressive';
  if (counts.tff / interlaced >= rules.fieldOrderDominance) return 'tff';
  if (counts.bff / interlaced >= rules.fieldOrderDominance) return 'bff';
  return 'mixed';
}

export async function readVideoFindings(options: {
  workDir: string;
  video: VideoStreamInfo;
  sampleIntervalSec: number;
  interlaceRules: { interlacedShare: number; fieldOrderDominance: number };
}): Promise<VideoFindings> {
  const { workDir, video, sampleIntervalSec } = options;
  const black = new SpanCollector();
  const frozen = new SpanCollector();
  const counts = { progressive: 0, tff: 0, bff: 0, undetermined: 0 };
  const interlacedSpans: Span[] = [];
  let frames = 0;
  let lastTime = 0;
  const frameSec = video.fps > 0 ? 1 / video.fps : 0;

  await readMetadataLog(path.join(workDir, SOURCE_LOGS.frames), (frame) => {
    frames += 1;
    if (Number.isFinite(frame.ptsTime)) lastTime = Math.max(lastTime, frame.ptsTime);
    const v = frame.values;
    if (v.has('lavfi.black_start')) black.start(metadataNumber(v.get('lavfi.black_start')));
    if (v.has('lavfi.black_end')) black.end(metadataNumber(v.get('lavfi.black_end')));
    if (v.has('lavfi.freezedetect.freeze_start')) frozen.start(metadataNumber(v.get('lavfi.freezedetect.freeze_start')));
    if (v.has('lavfi.freezedetect.freeze_end')) frozen.end(metadataNumber(v.get('lavfi.freezedetect.freeze_end')));
    const verdict = v.get('lavfi.idet.multiple.current_frame');
    if (verdict === 'tff' || verdict === 'bff' || verdict === 'progressive' || verdict === 'undetermined') counts[verdict] += 1;
    if ((verdict === 'tff' || verdict === 'bff') && Number.isFinite(frame.ptsTime)) {
      interlacedSpans.push(makeSpan(frame.ptsTime, frame.ptsTime + frameSec));
    }
  });
  // The last frame lasts one frame interval: a span still open at the end closes there.
  const endSec = lastTime + frameSec;

  const blur: Sample[] = [];
  const block: Sample[] = [];
  const noise: Sample[] = [];
  await readMetadataLog(path.join(workDir, SOURCE_LOGS.sampled), (frame) => {
    const v = frame.values;
    blur.push({ timeSec: frame.ptsTime, value: metadataNumber(v.get('lavfi.blur')) });
    block.push({ timeSec: frame.ptsTime, value: metadataNumber(v.get('lavfi.block')) });
    const low = metadataNumber(v.get('lavfi.signalstats.YLOW'));
    const high = metadataNumber(v.get('lavfi.signalstats.YHIGH'));
    noise.push({ timeSec: frame.ptsTime, value: (high - low) / NOISE_PERCENTILE_SPAN });
  });

  // blackdetect tags every black run, however short (only its log applies `d`); freezedetect and
  // silencedetect tag a span once it is long enough. Filtering both keeps the rule in one place.
  const blackSpans = black.finish(endSec).filter((s) => s.durationSec >= DETECTION.blackMinSec);
  const frozenSpans = frozen.finish(endSec).filter((s) => s.durationSec >= DETECTION.freezeMinSec);
  const interlaced = mergeSpans(interlacedSpans, DETECTION.interlaceGapSec).filter((s) => s.durationSec >= DETECTION.interlaceGapSec);
  return {
    frames,
    sampleIntervalSec,
    blur: pictureMeasure(blur, ISSUE_RULES['excessive-blur'].threshold, sampleIntervalSec),
    blockiness: pictureMeasure(block, ISSUE_RULES['compression-artifacts'].threshold, sampleIntervalSec),
    noise: pictureMeasure(noise, ISSUE_RULES.noisy.threshold, sampleIntervalSec),
    black: spanFinding(blackSpans),
    frozen: spanFinding(frozenSpans),
    interlacing: {
      ...counts,
      verdict: interlaceVerdict(counts, options.interlaceRules),
      fieldOrderTag: video.fieldOrder,
      spans: capSpans(interlaced),
    },
  };
}
