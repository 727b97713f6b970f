import { describe, expect, it } from 'vitest';
import { ifRangeAllowsRange, isNotModified, validatorsOf } from '../../src/delivery/validators.js';

describe('validators', () => {
  const mtimeMs = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
  const validators = validatorsOf({ size: 632_000, mtimeMs });

  it('builds a strong nginx-like ETag with millisecond precision, and Last-Modified', () => {
    expect(validators.etag).toBe(`"${mtimeMs.toString(16)}-${(632_000).toString(16)}"`);
    expect(validatorsOf({ size: 632_000, mtimeMs: mtimeMs + 1 }).etag).not.toBe(validators.etag);
    expect(validators.lastModified).toBe('Thu, 02 Jan 2025 03:04:05 GMT');
  });

  it('evaluates If-None-Match weakly and before If-Modified-Since', () => {
    expect(isNotModified(validators.etag, undefined, validators)).toBe(true);
    expect(isNotModified(`W/${validators.etag}`, undefined, validators)).toBe(true);
    expect(isNotModified(`"a", ${validators.etag}`, undefined, validators)).toBe(true);
    expect(isNotModified('*', undefined, validators)).toBe(true);
    expect(isNotModified('"a"', validators.lastModified, validators)).toBe(false);
  });

  it('evaluates If-Modified-Since at one-second precision and ignores bad dates', () => {
    expect(isNotModified(undefined, validators.lastModified, validators)).toBe(true);
    expect(isNotModified(undefined, 'Thu, 02 Jan 2025 03:04:04 GMT', validators)).toBe(false);
    expect(isNotModified(undefined, 'Fri, 03 Jan 2025 00:00:00 GMT', validators)).toBe(true);
    expect(isNotModified(undefined, 'yesterday', validators)).toBe(false);
    expect(isNotModified(undefined, undefined, validators)).toBe(false);
  });

  it('lets a Range apply only when If-Range matches strongly or names the exact date', () => {
    expect(ifRangeAllowsRange(undefined, validators)).toBe(true);
    expect(ifRangeAllowsRange(validators.etag, validators)).toBe(true);
    expect(ifRangeAllowsRange(`W/${validators.etag}`, validators)).toBe(false);
    expect(ifRangeAllowsRange('"other"', validators)).toBe(false);
    expect(ifRangeAllowsRange(validators.lastModified, validators)).toBe(true);
    expect(ifRangeAllowsRange('Fri, 03 Jan 2025 00:00:00 GMT', validators)).toBe(false);
    expect(ifRangeAllowsRange('nonsense', validators)).toBe(false);
  });
});
