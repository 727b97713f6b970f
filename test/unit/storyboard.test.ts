/** The storyboard's arithmetic: interval rule, thumbnail count, sheet layout, WebVTT text, JPEG size. */
import { describe, expect, it } from 'vitest';
import { jpegSize } from '../../src/media/jpeg-size.js';
import {
  storyboardGrid,
  storyboardInterval,
  storyboardLayout,
  storyboardVtt,
  thumbnailCount,
  vttTimestamp,
} from '../../src/pipeline/storyboard.js';

describe('storyboardInterval', () => {
  it('is one second up to 100 s, then the smallest nice step that keeps ≤ 100 thumbnails', () => {
    expect(storyboardInterval(0.3)).toBe(1);
    expect(storyboardInterval(100)).toBe(1);
    expect(storyboardInterval(101)).toBe(2);
    expect(storyboardInterval(450)).toBe(5);
    expect(storyboardInterval(3600)).toBe(60);
    expect(storyboardInterval(7200)).toBe(120);
    expect(storyboardInterval(60_000)).toBe(600);
    expect(storyboardInterval(100_000)).toBe(1200);
  });

  it('never yields more than 100 thumbnails', () => {
    for (const d of [1, 59.9, 99.99, 100, 100.01, 333, 1000.5, 3599, 10_000, 86_400, 200_000]) {
      expect(thumbnailCount(d, storyboardInterval(d)), String(d)).toBeLessThanOrEqual(100);
    }
  });
});

describe('thumbnailCount', () => {
  it('counts started intervals, folding a tail under a quarter interval into the last cue', () => {
    expect(thumbnailCount(6, 1)).toBe(6);
    expect(thumbnailCount(6.016, 1)).toBe(6);
    expect(thumbnailCount(6.3, 1)).toBe(7);
    expect(thumbnailCount(59, 10)).toBe(6);
  });

  it('gives a clip shorter than one interval its one thumbnail', () => {
    expect(thumbnailCount(0.2, 1)).toBe(1);
    expect(thumbnailCount(0.9, 5)).toBe(1);
    expect(thumbnailCount(0, 1)).toBe(1);
  });
});

describe('storyboardGrid', () => {
  it('is 10×10 for long videos and shrinks to fit short ones', () => {
    expect(storyboardGrid(100)).toEqual({ columns: 10, rows: 10 });
    expect(storyboardGrid(150)).toEqual({ columns: 10, rows: 10 });
    expect(storyboardGrid(45)).toEqual({ columns: 10, rows: 5 });
    expect(storyboardGrid(6)).toEqual({ columns: 6, rows: 1 });
    expect(storyboardGrid(1)).toEqual({ columns: 1, rows: 1 });
    expect(storyboardGrid(25, 4, 2)).toEqual({ columns: 4, rows: 2 });
  });
});

describe('storyboardLayout', () => {
  it('lays tiles row-major across sheets and lists only tiles that exist on the last sheet', () => {
    const layout = storyboardLayout({ durationSec: 9.5, intervalSec: 2, columns: 2, rows: 2, tileWidth: 160, tileHeight: 90 });
    expect(layout.sprites).toEqual(['sprite_000.jpg', 'sprite_001.jpg']);
    expect(layout.tiles).toEqual([
      { start: 0, end: 2, sprite: 'sprite_000.jpg', x: 0, y: 0, w: 160, h: 90 },
      { start: 2, end: 4, sprite: 'sprite_000.jpg', x: 160, y: 0, w: 160, h: 90 },
      { start: 4, end: 6, sprite: 'sprite_000.jpg', x: 0, y: 90, w: 160, h: 90 },
      { start: 6, end: 8, sprite: 'sprite_000.jpg', x: 160, y: 90, w: 160, h: 90 },
      { start: 8, end: 9.5, sprite: 'sprite_001.jpg', x: 0, y: 0, w: 160, h: 90 },
    ]);
    expect(layout).toMatchObject({ intervalSec: 2, width: 160, height: 90, columns: 2, rows: 2 });
  });

  it('covers the duration with contiguous cues', () => {
    const layout = storyboardLayout({ durationSec: 3725.437, intervalSec: 60, columns: 10, rows: 10, tileWidth: 160, tileHeight: 240 });
    expect(layout.tiles).toHaveLength(62);
    expect(layout.tiles[0]!.start).toBe(0);
    expect(layout.tiles.at(-1)!.end).toBe(3725.437);
    for (let i = 1; i < layout.tiles.length; i++) expect(layout.tiles[i]!.start).toBe(layout.tiles[i - 1]!.end);
  });
});

describe('storyboardVtt', () => {
  it('writes one cue per tile with a sprite URI relative to the VTT', () => {
    const layout = storyboardLayout({ durationSec: 2.5, intervalSec: 1, columns: 2, rows: 1, tileWidth: 160, tileHeight: 90 });
    expect(storyboardVtt(layout)).toBe(
      [
        'WEBVTT',
        '',
        '00:00:00.000 --> 00:00:01.000',
        'sprite_000.jpg#xywh=0,0,160,90',
        '',
        '00:00:01.000 --> 00:00:02.000',
        'sprite_000.jpg#xywh=160,0,160,90',
        '',
        '00:00:02.000 --> 00:00:02.500',
        'sprite_001.jpg#xywh=0,0,160,90',
        '',
      ].join('\n'),
    );
  });

  it('formats timestamps as HH:MM:SS.mmm', () => {
    expect(vttTimestamp(0)).toBe('00:00:00.000');
    expect(vttTimestamp(61.0456)).toBe('00:01:01.046');
    expect(vttTimestamp(3725.437)).toBe('01:02:05.437');
    expect(vttTimestamp(360_000)).toBe('100:00:00.000');
  });
});

describe('jpegSize', () => {
  it('reads width and height from the frame header, after other segments', () => {
    const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x04, 0x00, 0x00]);
    const sof0 = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0xf0, 0x06, 0x40, 0x03]);
    expect(jpegSize(Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof0]))).toEqual({ width: 1600, height: 240 });
    expect(jpegSize(Buffer.from('not a jpeg'))).toBeNull();
  });
});
