import { describe, expect, it } from 'vitest';
import { SegmentCache } from '../../src/delivery/segment-cache.js';

const value = (bytes: number) => ({ bytes });

describe('SegmentCache', () => {
  it('evicts the least recently used values past its byte budget', () => {
    const cache = new SegmentCache<{ bytes: number }>(100);
    cache.set('a', value(40));
    cache.set('b', value(40));
    cache.get('a'); // b is now the oldest
    cache.set('c', value(40));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.bytes).toBe(80);
    expect(cache.size).toBe(2);
  });

  it('replaces a key without double-counting and refuses values over the whole budget', () => {
    const cache = new SegmentCache<{ bytes: number }>(100);
    cache.set('a', value(40));
    cache.set('a', value(60));
    expect(cache.bytes).toBe(60);
    expect(cache.set('huge', value(101))).toBe(false);
    expect(cache.bytes).toBe(60);
    expect(cache.set('a', value(101))).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('drops every key under a prefix', () => {
    const cache = new SegmentCache<{ bytes: number }>(1000);
    cache.set('videos/a/1/x', value(10));
    cache.set('videos/a/2/y', value(10));
    cache.set('videos/ab/1/z', value(10));
    expect(cache.deletePrefix('videos/a/')).toBe(2);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(10);
    expect(cache.delete('videos/ab/1/z')).toBe(true);
    expect(cache.delete('videos/ab/1/z')).toBe(false);
  });
});
