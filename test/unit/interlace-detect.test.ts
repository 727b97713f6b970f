/** idet's verdict from its counts, on the counts real files produced here (see docs/ladder.md). */
import { describe, expect, it } from 'vitest';
import { parseIdet } from '../../src/media/interlace-detect.js';

const idet = (tff: number, bff: number, progressive: number, undetermined = 0) =>
  parseIdet(
    `[Parsed_idet_0 @ 0x1] Single frame detection: TFF: 1 BFF: 1 Progressive: 1 Undetermined: 1\n` +
      `[Parsed_idet_0 @ 0x1] Multi frame detection: TFF: ${tff} BFF: ${bff} Progressive: ${progressive} Undetermined: ${undetermined}\n`,
  );

describe('parseIdet', () => {
  it('calls woven fields interlaced, with their order', () => {
    expect(idet(75, 0, 0)).toMatchObject({ interlaced: true, fieldOrder: 'tff' });
    expect(idet(0, 75, 0)).toMatchObject({ interlaced: true, fieldOrder: 'bff' });
    expect(idet(120, 5, 60)).toMatchObject({ interlaced: true, fieldOrder: 'tff' });
  });

  it('leaves progressive video alone even when some frames comb', () => {
    expect(idet(88, 88, 64).interlaced).toBe(false); // testsrc2 720p: fine moving lines comb both ways
    expect(idet(19, 8, 0, 3).interlaced).toBe(false); // the corpus' 161x121 VP9 clip
    expect(idet(0, 32, 55, 9).interlaced).toBe(false); // the corpus' MPEG-4 ASP AVI
    expect(idet(0, 0, 127).interlaced).toBe(false);
    expect(idet(6, 0, 0).interlaced).toBe(false); // too few frames to say
  });

  it('says nothing when idet printed nothing', () => {
    expect(parseIdet('')).toEqual({ tff: 0, bff: 0, progressive: 0, undetermined: 0, interlaced: false, fieldOrder: null });
  });
});
