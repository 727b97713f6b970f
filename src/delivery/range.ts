/**
 * What a `Range` header asks of a file of `size` bytes, on top of the `range-parser` library (the
 * parser of Express's `send`). Policy, after RFC 9110 §14:
 * - one satisfiable byte range → 206 with that range;
 * - several ranges → the whole file as a plain 200: multipart/byteranges is legal but no player needs
 *   it, and a clean 200 is always a correct answer (nginx does the same for overlapping ranges);
 * - no satisfiable range → 416 with `Content-Range: bytes *\/<size>`;
 * - a malformed header or another unit → ignored (200), as the RFC allows. `bytes=9-1` is malformed
 *   (§14.1.1: last-pos below first-pos makes the range invalid), though range-parser calls it
 *   unsatisfiable.
 */
import parseRange from 'range-parser';

export type RangeDecision =
  | { kind: 'whole' }
  | { kind: 'partial'; /** first byte, inclusive */ start: number; /** last byte, inclusive */ end: number }
  | { kind: 'unsatisfiable' };

const WHOLE: RangeDecision = { kind: 'whole' };
const UNSATISFIABLE: RangeDecision = { kind: 'unsatisfiable' };

export function decideRange(rangeHeader: string | undefined, size: number): RangeDecision {
  if (rangeHeader === undefined || rangeHeader === '') return WHOLE;
  const parsed = parseRange(size, rangeHeader);
  if (parsed === -2) return WHOLE;
  if (parsed === -1) return hasInvertedRange(rangeHeader) ? WHOLE : UNSATISFIABLE;
  if (parsed.type.toLowerCase() !== 'bytes' || parsed.length !== 1) return WHOLE;
  const only = parsed[0]!;
  return { kind: 'partial', start: only.start, end: only.end };
}

function hasInvertedRange(rangeHeader: string): boolean {
  const specs = rangeHeader.slice(rangeHeader.indexOf('=') + 1).split(',');
  return specs.some((spec) => {
    const bounds = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(spec);
    return bounds !== null && Number(bounds[1]) > Number(bounds[2]);
  });
}

/** `bytes 0-99/1000` */
export function contentRangeOf(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/** `bytes *\/1000`, the Content-Range of a 416. */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}
