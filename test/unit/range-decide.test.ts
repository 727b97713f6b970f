import { describe, expect, it } from 'vitest';
import { contentRangeOf, decideRange, unsatisfiedContentRange } from '../../src/delivery/range.js';

describe('decideRange', () => {
  const size = 1000;

  it('takes the whole file without a Range', () => {
    expect(decideRange(undefined, size)).toEqual({ kind: 'whole' });
    expect(decideRange('', size)).toEqual({ kind: 'whole' });
  });

  it('resolves one range, open-ended and suffix ranges, clamping the end', () => {
    expect(decideRange('bytes=0-99', size)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(decideRange('bytes=900-', size)).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(decideRange('bytes=-100', size)).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(decideRange('bytes=990-5000', size)).toEqual({ kind: 'partial', start: 990, end: 999 });
    expect(decideRange('BYTES=1-2', size)).toEqual({ kind: 'partial', start: 1, end: 2 });
  });

  it('answers several ranges with the whole file', () => {
    expect(decideRange('bytes=0-1,5-6', size)).toEqual({ kind: 'whole' });
    expect(decideRange('bytes=0-499,500-999', size)).toEqual({ kind: 'whole' });
  });

  it('keeps the one satisfiable range of a list', () => {
    expect(decideRange('bytes=5000-6000,0-9', size)).toEqual({ kind: 'partial', start: 0, end: 9 });
  });

  it('flags ranges that start past the end as unsatisfiable', () => {
    expect(decideRange('bytes=1000-', size)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=5000-6000', size)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-0', size)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('ignores malformed headers and other units (RFC 9110 §14.2)', () => {
    for (const header of ['bytes=abc', 'bytes', 'bytes=5', 'bytes=1-2-3', 'bytes=--5', 'items=0-5', 'bytes=0x10-20']) {
      expect(decideRange(header, size), header).toEqual({ kind: 'whole' });
    }
  });

  it('ignores an inverted range, which RFC 9110 calls invalid (range-parser calls it unsatisfiable)', () => {
    expect(decideRange('bytes=9-1', size)).toEqual({ kind: 'whole' });
    expect(decideRange('bytes=5000-6000,9-1', size)).toEqual({ kind: 'whole' });
  });

  // range-parser (used before) answered 416 to these three groups, or 206 for `bytes=9-1,0-5`;
  // test/fuzz/range.test.ts checks them against RFC 9110.
  it('takes a suffix longer than the file as the whole file (RFC 9110 §14.1.3)', () => {
    expect(decideRange('bytes=-2000', size)).toEqual({ kind: 'partial', start: 0, end: 999 });
    expect(decideRange('bytes=-1000', size)).toEqual({ kind: 'partial', start: 0, end: 999 });
    expect(decideRange('bytes=-99999999999999999999999', size)).toEqual({ kind: 'partial', start: 0, end: 999 });
    expect(decideRange('bytes=-5', 0)).toEqual({ kind: 'whole' });
  });

  it('ignores other units even when their ranges would be unsatisfiable', () => {
    expect(decideRange('items=5000-6000', size)).toEqual({ kind: 'whole' });
    expect(decideRange('x=-0', size)).toEqual({ kind: 'whole' });
  });

  it('compares huge bounds exactly and ignores a list holding an inverted range', () => {
    expect(decideRange('bytes=99999999999999999999-99999999999999999998', size)).toEqual({ kind: 'whole' });
    expect(decideRange('bytes=9-1,0-5', size)).toEqual({ kind: 'whole' });
    expect(decideRange('bytes=0-5,', size)).toEqual({ kind: 'partial', start: 0, end: 5 });
    expect(decideRange('bytes=,', size)).toEqual({ kind: 'whole' });
  });

  it('formats Content-Range values', () => {
    expect(contentRangeOf(0, 99, 1000)).toBe('bytes 0-99/1000');
    expect(unsatisfiedContentRange(1000)).toBe('bytes */1000');
  });
});
