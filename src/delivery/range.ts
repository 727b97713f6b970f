/**
 * What a `Range` header asks of a file of `size` bytes. Policy, after RFC 9110 §14:
 * - one satisfiable byte range → 206 with that range;
 * - several satisfiable ranges → the whole file as a plain 200: multipart/byteranges is legal but no
 *   player needs it, and a clean 200 is always a correct answer (nginx does the same for overlapping
 *   ranges);
 * - no satisfiable range → 416 with `Content-Range: bytes *\/<size>`;
 * - a malformed header or another unit → ignored (200), as the RFC allows. `bytes=9-1` is malformed
 *   (§14.1.1: last-pos below first-pos makes the range invalid).
 *
 * Our own parser rather than `range-parser` (Express's), which answers 416 to a suffix longer than
 * the file (`bytes=-2000` of 1000 bytes means the whole file, §14.1.3) and to unsatisfiable ranges
 * of units it does not know (`items=5000-6000`). test/fuzz/range.test.ts holds it to RFC 9110.
 */

export type RangeDecision =
  | { kind: 'whole' }
  | { kind: 'partial'; /** first byte, inclusive */ start: number; /** last byte, inclusive */ end: number }
  | { kind: 'unsatisfiable' };

const WHOLE: RangeDecision = { kind: 'whole' };
const UNSATISFIABLE: RangeDecision = { kind: 'unsatisfiable' };

// int-range `first-[last]` or suffix-range `-length`; blanks around the dash tolerated, as range-parser did.
const RANGE_SPEC = /^(\d*)[ \t]*-[ \t]*(\d*)$/;

export function decideRange(rangeHeader: string | undefined, size: number): RangeDecision {
  if (rangeHeader === undefined || rangeHeader === '') return WHOLE;
  const equals = rangeHeader.indexOf('=');
  if (equals === -1 || rangeHeader.slice(0, equals).toLowerCase() !== 'bytes') return WHOLE;
  let specs = 0;
  let satisfiable: { start: number; end: number } | null = null;
  let satisfiableCount = 0;
  for (const element of rangeHeader.slice(equals + 1).split(',')) {
    const spec = element.replace(/^[ \t]+|[ \t]+$/g, '');
    // The list rule (RFC 9110 §5.6.1) allows empty elements.
    if (spec === '') continue;
    const bounds = RANGE_SPEC.exec(spec);
    if (bounds === null) return WHOLE;
    const [, first, last] = bounds as unknown as [string, string, string];
    if (first === '' && last === '') return WHOLE;
    if (first !== '' && last !== '' && compareDigits(first, last) > 0) return WHOLE;
    specs++;
    const range = resolveSpec(first, last, size);
    if (range === null) continue;
    satisfiable = range;
    satisfiableCount++;
  }
  if (specs === 0) return WHOLE;
  if (satisfiable === null) return UNSATISFIABLE;
  if (satisfiableCount > 1) return WHOLE;
  // A zero-length file has no byte to point at: its one satisfiable form (a suffix) gets the whole, empty file.
  if (size === 0) return WHOLE;
  return { kind: 'partial', start: satisfiable.start, end: satisfiable.end };
}

/** The bytes one valid spec selects, or null when it is unsatisfiable. Digits may exceed 2^53. */
function resolveSpec(first: string, last: string, size: number): { start: number; end: number } | null {
  if (first === '') {
    const suffixLength = Number(last);
    // A suffix longer than the file selects all of it (§14.1.3); a zero suffix selects nothing.
    if (suffixLength === 0) return null;
    return { start: Math.max(0, size - suffixLength), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return null;
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** Compares two decimal digit strings by value without Number's loss of precision past 2^53. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `bytes 0-99/1000` */
export function contentRangeOf(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/** `bytes *\/1000`, the Content-Range of a 416. */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}
