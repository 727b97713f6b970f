/**
 * Run settings shared by the fuzz tests (docs/fuzzing.md). fast-check prints the seed and path of a
 * failing run; FUZZ_SEED and FUZZ_PATH replay it, FUZZ_RUNS raises (or lowers) every target's runs.
 */
import type * as fc from 'fast-check';

export function fuzzParameters<T>(defaultRuns: number): fc.Parameters<T> {
  const runs = Number(process.env.FUZZ_RUNS);
  const seed = Number(process.env.FUZZ_SEED);
  return {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
    ...(Number.isInteger(seed) && { seed }),
    ...(process.env.FUZZ_PATH && { path: process.env.FUZZ_PATH }),
  };
}
