/**
 * Property tests of the origin's request parsers: Range (decideRange), the conditional headers
 * (validators.ts) and their combination (planResponse). Structured generators make near-valid
 * headers — huge and zero-padded numbers, suffixes, lists, blanks, other units, inverted bounds —
 * beside arbitrary text.
 */
import type { IncomingMessage } from 'node:http';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideRange } from '../../src/delivery/range.js';
import { planResponse } from '../../src/delivery/respond.js';
import type { ServedFile } from '../../src/delivery/served-file.js';
import { ifRangeAllowsRange, isNotModified, validatorsOf } from '../../src/delivery/validators.js';
import { fileSize, rangeHeader, rangeSpecText } from './arbitraries.js';
import { fuzzParameters } from './fuzz-parameters.js';

const RUNS = 3000;

/** A valid spec with its numbers, to compute what it selects independently of the parser. */
const validSpec = fc.oneof(
  fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 70n }), fc.bigInt({ min: 0n, max: 2n ** 70n })).map(([a, b]) => (a <= b ? { first: a, last: b as bigint | null } : { first: b, last: a })),
  fc.tuple(fc.nat({ max: 3000 }), fc.nat({ max: 3000 })).map(([a, b]) => ({ first: BigInt(Math.min(a, b)), last: BigInt(Math.max(a, b)) as bigint | null })),
  fc.nat({ max: 3000 }).map((a) => ({ first: BigInt(a), last: null as bigint | null })),
  fc.oneof(fc.nat({ max: 3000 }), fc.bigInt({ min: 0n, max: 2n ** 70n })).map((n) => ({ suffix: BigInt(n) })),
);
type ValidSpec = { first: bigint; last: bigint | null } | { suffix: bigint };

/** RFC 9110 §14.1.2–3, straight from the text, in exact integers. */
function selects(spec: ValidSpec, size: number): { start: number; end: number } | null {
  const n = BigInt(size);
  if ('suffix' in spec) {
    // A non-zero suffix is satisfiable even of an empty file (end −1 here: the whole, empty file).
    if (spec.suffix === 0n) return null;
    return { start: Number(spec.suffix >= n ? 0n : n - spec.suffix), end: size - 1 };
  }
  if (spec.first >= n) return null;
  const last = spec.last === null || spec.last >= n ? n - 1n : spec.last;
  return { start: Number(spec.first), end: Number(last) };
}

function specText(spec: ValidSpec): string {
  return 'suffix' in spec ? `-${spec.suffix}` : `${spec.first}-${spec.last ?? ''}`;
}

describe('decideRange (fuzzed)', () => {
  it('never throws, and a partial answer always lies within [0, size)', () => {
    fc.assert(
      fc.property(rangeHeader, fileSize, (header, size) => {
        const decision = decideRange(header, size);
        expect(['whole', 'partial', 'unsatisfiable']).toContain(decision.kind);
        if (decision.kind === 'partial') {
          expect(Number.isSafeInteger(decision.start) && Number.isSafeInteger(decision.end)).toBe(true);
          expect(decision.start).toBeGreaterThanOrEqual(0);
          expect(decision.start).toBeLessThanOrEqual(decision.end);
          expect(decision.end).toBeLessThan(size);
        }
      }),
      fuzzParameters(RUNS),
    );
  });

  it('round-trips one valid range inside the file', () => {
    fc.assert(
      fc.property(
        fileSize.filter((size) => size > 0).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }), fc.integer({ min: 0, max: size - 1 }))),
        ([size, a, b]) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          expect(decideRange(`bytes=${start}-${end}`, size)).toEqual({ kind: 'partial', start, end });
        },
      ),
      fuzzParameters(RUNS),
    );
  });

  it('follows RFC 9110 on lists of valid specs: one satisfiable → it, none → 416, several → whole', () => {
    fc.assert(
      fc.property(fc.array(validSpec, { minLength: 1, maxLength: 4 }), fileSize, fc.constantFrom('bytes', 'Bytes'), (specs, size, unit) => {
        const satisfiable = specs.map((s) => selects(s, size)).filter((r) => r !== null);
        const expected =
          satisfiable.length === 0
            ? { kind: 'unsatisfiable' }
            : satisfiable.length > 1 || size === 0
              ? { kind: 'whole' }
              : { kind: 'partial', ...satisfiable[0] };
        expect(decideRange(`${unit}=${specs.map(specText).join(', ')}`, size)).toEqual(expected);
      }),
      fuzzParameters(RUNS),
    );
  });

  it('ignores other units and inverted ranges, whatever their numbers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('items', 'byte', 'bytes ', 'x', ''),
        fc.array(rangeSpecText, { minLength: 1, maxLength: 3 }),
        fileSize,
        (unit, specs, size) => {
          expect(decideRange(`${unit}=${specs.join(',')}`, size)).toEqual({ kind: 'whole' });
        },
      ),
      fuzzParameters(RUNS),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 80n }), fc.bigInt({ min: 1n, max: 2n ** 80n }), fc.array(validSpec, { maxLength: 2 }), fileSize, (a, delta, others, size) => {
        const inverted = `${a + delta}-${a}`;
        expect(decideRange(`bytes=${[...others.map(specText), inverted].join(',')}`, size)).toEqual({ kind: 'whole' });
      }),
      fuzzParameters(RUNS),
    );
  });
});

const etagText = fc.oneof(fc.stringMatching(/^[0-9a-f]{1,32}$/).map((t) => `"${t}"`), fc.string({ maxLength: 20 }));
const httpDate = fc.oneof(
  fc.date({ min: new Date(-1e14), max: new Date(1e14), noInvalidDate: true }).map((d) => d.toUTCString()),
  fc.constantFrom('', 'Thu, 01 Jan 1970 00:00:00 GMT', 'not a date', '1e400', '-1', 'Sat, 31 Dec 275760 23:59:59 GMT', '2024-13-45'),
  fc.string({ maxLength: 30 }),
);

describe('conditional headers (fuzzed)', () => {
  const stat = fc.record({
    size: fc.nat({ max: 10_000_000 }),
    mtimeMs: fc.double({ min: 0, max: 8.64e15, noNaN: true }),
    sha256: fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined }),
  });

  it('never throws on arbitrary If-None-Match, If-Modified-Since and If-Range', () => {
    fc.assert(
      fc.property(stat, fc.option(fc.oneof(etagText, fc.string()), { nil: undefined }), fc.option(httpDate, { nil: undefined }), fc.option(fc.oneof(etagText, httpDate), { nil: undefined }), (file, inm, ims, ifRange) => {
        const validators = validatorsOf(file);
        expect(typeof isNotModified(inm, ims, validators)).toBe('boolean');
        expect(typeof ifRangeAllowsRange(ifRange, validators)).toBe('boolean');
      }),
      fuzzParameters(RUNS),
    );
  });

  it('finds the entity tag anywhere in an If-None-Match list, weak or strong; If-Range takes only the strong one', () => {
    fc.assert(
      fc.property(stat, fc.array(etagText, { maxLength: 3 }), fc.array(etagText, { maxLength: 3 }), fc.boolean(), fc.constantFrom(',', ', ', ' , '), (file, before, after, weak, sep) => {
        const validators = validatorsOf(file);
        const own = weak ? `W/${validators.etag}` : validators.etag;
        expect(isNotModified([...before, own, ...after].join(sep), undefined, validators)).toBe(true);
        expect(ifRangeAllowsRange(validators.etag, validators)).toBe(true);
        expect(ifRangeAllowsRange(`W/${validators.etag}`, validators)).toBe(false);
        expect(ifRangeAllowsRange(validators.lastModified, validators)).toBe(true);
      }),
      fuzzParameters(RUNS),
    );
  });

  it('plans every GET/HEAD to 200, 206 inside the file, 304 or 416', () => {
    fc.assert(
      fc.property(
        stat,
        fc.constantFrom('GET', 'HEAD'),
        fc.record(
          { range: rangeHeader, 'if-range': fc.oneof(etagText, httpDate), 'if-none-match': etagText, 'if-modified-since': httpDate },
          { requiredKeys: [] },
        ),
        (file, method, headers) => {
          const served = { size: file.size, validators: validatorsOf(file) } as unknown as ServedFile;
          const plan = planResponse({ method, headers } as unknown as IncomingMessage, served);
          expect([200, 206, 304, 416]).toContain(plan.status);
          if (plan.status === 206) {
            expect(method).toBe('GET');
            expect(plan.range.start).toBeGreaterThanOrEqual(0);
            expect(plan.range.start).toBeLessThanOrEqual(plan.range.end);
            expect(plan.range.end).toBeLessThan(file.size);
          }
        },
      ),
      fuzzParameters(RUNS),
    );
  });
});
