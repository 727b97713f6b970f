/**
 * Time spans on the source's timeline (seconds from its first timestamp, as ffmpeg's filters count),
 * and the few operations the quality report needs on them: closing spans from start/end markers,
 * merging neighbours, totals and overlaps.
 */

export interface Span {
  startSec: number;
  endSec: number;
  durationSec: number;
}

/** Millisecond precision: the report is for people and thresholds, not for frame-exact editing. */
export function roundSec(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function makeSpan(startSec: number, endSec: number): Span {
  const start = roundSec(Math.max(0, startSec));
  const end = roundSec(Math.max(start, endSec));
  return { startSec: start, endSec: end, durationSec: roundSec(end - start) };
}

export function totalSec(spans: readonly Span[]): number {
  return roundSec(spans.reduce((sum, span) => sum + span.durationSec, 0));
}

/** Sorted, with spans closer than `gapSec` joined into one. */
export function mergeSpans(spans: readonly Span[], gapSec = 0): Span[] {
  const sorted = [...spans].sort((a, b) => a.startSec - b.startSec);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last && span.startSec <= last.endSec + gapSec) {
      merged[merged.length - 1] = makeSpan(last.startSec, Math.max(last.endSec, span.endSec));
    } else {
      merged.push(span);
    }
  }
  return merged;
}

/** Seconds of `spans` not covered by `cover` (both merged first). */
export function uncoveredSec(spans: readonly Span[], cover: readonly Span[]): number {
  const covering = mergeSpans(cover);
  let total = 0;
  for (const span of mergeSpans(spans)) {
    let remaining = span.durationSec;
    for (const c of covering) {
      const overlap = Math.min(span.endSec, c.endSec) - Math.max(span.startSec, c.startSec);
      if (overlap > 0) remaining -= overlap;
    }
    total += Math.max(0, remaining);
  }
  return roundSec(total);
}

/**
 * Builds spans from a filter's start/end markers (blackdetect, freezedetect, silencedetect all
 * announce a start, then an end). A span still open when the stream ends closes at `endOfStreamSec`:
 * those filters only log, and do not tag a frame, when the input ends inside a span.
 */
export class SpanCollector {
  private readonly spans: Span[] = [];
  private openStart: number | null = null;

  start(atSec: number): void {
    if (this.openStart === null) this.openStart = atSec;
  }

  end(atSec: number): void {
    if (this.openStart === null) return;
    this.spans.push(makeSpan(this.openStart, atSec));
    this.openStart = null;
  }

  finish(endOfStreamSec: number): Span[] {
    if (this.openStart !== null) this.end(Math.max(this.openStart, endOfStreamSec));
    return this.spans;
  }
}

/** Consecutive samples (times with a fixed step) that satisfy a test, as spans of `stepSec` each. */
export function spansOfSamples(samples: ReadonlyArray<{ timeSec: number; hit: boolean }>, stepSec: number): Span[] {
  const spans = samples.filter((s) => s.hit).map((s) => makeSpan(s.timeSec, s.timeSec + stepSec));
  // Samples are `stepSec` apart, so touching spans come from neighbouring samples.
  return mergeSpans(spans, stepSec * 0.01);
}

/** Spans listed in a report, at most; totals always count them all. */
export const MAX_REPORTED_SPANS = 100;

export function capSpans(spans: readonly Span[]): Span[] {
  return spans.slice(0, MAX_REPORTED_SPANS);
}

/** Spans of one kind of event (black, frozen, silent…), listed (the first MAX_REPORTED_SPANS) and totalled. */
export interface SpanFinding {
  count: number;
  totalSec: number;
  spans: Span[];
}

export function spanFinding(spans: readonly Span[]): SpanFinding {
  return { count: spans.length, totalSec: totalSec(spans), spans: capSpans(spans) };
}
