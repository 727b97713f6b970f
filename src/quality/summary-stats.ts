/** Mean, minimum and nearest-rank percentiles of a series of per-frame measures (NaNs ignored). */

export interface SeriesSummary {
  mean: number;
  min: number;
  max: number;
  median: number;
  /** 5th percentile (nearest rank): 95 % of the values are at or above it. */
  p5: number;
  /** 95th percentile (nearest rank). */
  p95: number;
  count: number;
}

/** Nearest-rank percentile of an ascending array: the smallest value with at least p % at or below it. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sortedAscending.length));
  return sortedAscending[Math.min(rank, sortedAscending.length) - 1]!;
}

export function summarize(values: readonly number[], digits = 3): SeriesSummary | null {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return null;
  const round = (v: number) => Number(v.toFixed(digits));
  const mean = finite.reduce((sum, v) => sum + v, 0) / finite.length;
  return {
    mean: round(mean),
    min: round(finite[0]!),
    max: round(finite.at(-1)!),
    median: round(percentile(finite, 50)),
    p5: round(percentile(finite, 5)),
    p95: round(percentile(finite, 95)),
    count: finite.length,
  };
}
