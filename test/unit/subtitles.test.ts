import { describe, expect, it } from 'vitest';
import type { MediaInfo, SubtitleStreamInfo } from '../../src/media/media-info.js';
import { languageName, planSubtitles, subtitleLanguage, subtitleTimelineOffset } from '../../src/pipeline/subtitles.js';
import { IDENTITY_TIMESTAMP_MAP, parseVttTimestamp, retimeWebVtt } from '../../src/pipeline/webvtt.js';

const stream = (index: number, codec: string, language: string | null = null): SubtitleStreamInfo => ({ index, codec, language });

describe('subtitle languages and labels', () => {
  it('turns container ISO 639 codes into the BCP 47 tags players match on', () => {
    expect(subtitleLanguage('eng')).toBe('en');
    expect(subtitleLanguage('fre')).toBe('fr'); // ISO 639-2/B, as Matroska writes it
    expect(subtitleLanguage('deu')).toBe('de');
    expect(subtitleLanguage('pt-BR')).toBe('pt-BR');
    expect(subtitleLanguage(null)).toBe('und');
    expect(subtitleLanguage('not a language!')).toBe('und');
  });

  it('names languages in English, and nothing for und or unknown codes', () => {
    expect(languageName('en')).toBe('English');
    expect(languageName('pt-BR')).toBe('Brazilian Portuguese');
    expect(languageName('und')).toBeNull();
    expect(languageName('qaa')).toBeNull();
  });
});

describe('planSubtitles', () => {
  it('numbers the text tracks in source order and skips bitmap ones, saying OCR would be needed', () => {
    const plan = planSubtitles([
      stream(2, 'subrip', 'eng'),
      stream(3, 'hdmv_pgs_subtitle', 'eng'),
      stream(4, 'ass'),
      stream(5, 'dvd_subtitle', 'fre'),
      stream(6, 'mov_text', 'ger'),
    ]);
    expect(plan.tracks).toEqual([
      { sourceIndex: 2, codec: 'subrip', language: 'en', label: 'English', vtt: 'subtitles/s0.vtt', playlist: 'subtitles/s0.m3u8' },
      { sourceIndex: 4, codec: 'ass', language: 'und', label: 'Track 2', vtt: 'subtitles/s1.vtt', playlist: 'subtitles/s1.m3u8' },
      { sourceIndex: 6, codec: 'mov_text', language: 'de', label: 'German', vtt: 'subtitles/s2.vtt', playlist: 'subtitles/s2.m3u8' },
    ]);
    expect(plan.skipped.map((s) => [s.sourceIndex, s.codec, s.language])).toEqual([
      [3, 'hdmv_pgs_subtitle', 'en'],
      [5, 'dvd_subtitle', 'fr'],
    ]);
    for (const skipped of plan.skipped) expect(skipped.reason).toMatch(/images of text.*OCR/);
  });

  it('tells two tracks of one language apart, since HLS names must be unique in a group', () => {
    const labels = planSubtitles([stream(2, 'subrip', 'eng'), stream(3, 'webvtt', 'eng'), stream(4, 'text', 'en')]).tracks.map((t) => t.label);
    expect(labels).toEqual(['English', 'English (2)', 'English (3)']);
  });

  it('skips codecs it does not convert, naming them', () => {
    const plan = planSubtitles([stream(1, 'eia_608')]);
    expect(plan.tracks).toEqual([]);
    expect(plan.skipped[0]!.reason).toMatch(/^eia_608 subtitles are not converted/);
  });

  it('has nothing to do without subtitle streams', () => {
    expect(planSubtitles([])).toEqual({ tracks: [], skipped: [] });
  });
});

describe('subtitleTimelineOffset', () => {
  const media = (startSec: number): MediaInfo => ({
    container: 'matroska,webm', durationSec: 10, startSec, sizeBytes: 1000, bitrateBps: null, video: null, audio: [], subtitles: [],
  });

  it('only removes the container start time for audio-only streams (the ladder starts audio there)', () => {
    expect(subtitleTimelineOffset(media(1.4), null)).toBeCloseTo(-1.4, 9);
    expect(subtitleTimelineOffset(media(0), null)).toBe(0);
  });
});

describe('retimeWebVtt', () => {
  const FFMPEG_VTT = [
    'WEBVTT',
    '',
    '00:01.000 --> 00:02.500',
    'First line',
    '<i>second line</i>',
    '',
    '00:00.200 --> 00:00.900 align:start line:0',
    'Out of order, with settings',
    '',
    'NOTE a comment',
    '',
    'cue-7',
    '59:59.500 --> 01:00:00.500',
    'Across the hour',
    '',
  ].join('\n');

  it('moves every cue onto the stream timeline, sorted, keeping text, identifiers and settings', () => {
    const { text, cueCount } = retimeWebVtt(FFMPEG_VTT, { offsetSec: 0.0667, endSec: 7200 });
    expect(cueCount).toBe(3);
    expect(text).toBe(
      [
        'WEBVTT',
        IDENTITY_TIMESTAMP_MAP,
        '',
        '00:00:00.267 --> 00:00:00.967 align:start line:0',
        'Out of order, with settings',
        '',
        '00:00:01.067 --> 00:00:02.567',
        'First line',
        '<i>second line</i>',
        '',
        'cue-7',
        '00:59:59.567 --> 01:00:00.567',
        'Across the hour',
        '',
      ].join('\n'),
    );
  });

  it('clips cues at both ends of the stream and drops those wholly outside it', () => {
    const { text, cueCount } = retimeWebVtt(FFMPEG_VTT.replace(/\r?\n/g, '\r\n'), { offsetSec: -0.5, endSec: 1.5 });
    expect(cueCount).toBe(2);
    expect(text).toContain('00:00:00.000 --> 00:00:00.400 align:start line:0');
    expect(text).toContain('00:00:00.500 --> 00:00:01.500\nFirst line');
    expect(text).not.toContain('Across the hour');
    expect(retimeWebVtt(FFMPEG_VTT, { offsetSec: -3601, endSec: 1 }).cueCount).toBe(0);
    expect(retimeWebVtt(FFMPEG_VTT, { offsetSec: 0, endSec: 0.2 }).cueCount).toBe(0);
  });

  it('refuses what is not WebVTT or has a malformed timing', () => {
    expect(() => retimeWebVtt('1\n00:00:01,000 --> 00:00:02,000\nSRT\n', { offsetSec: 0, endSec: 9 })).toThrow(/not a WebVTT file/);
    expect(() => retimeWebVtt('WEBVTT\n\n00:01,000 --> 00:02.000\nx\n', { offsetSec: 0, endSec: 9 })).toThrow(/malformed/);
  });

  it('reads timestamps with and without hours', () => {
    expect(parseVttTimestamp('01:02.345')).toBeCloseTo(62.345, 9);
    expect(parseVttTimestamp('100:00:00.001')).toBeCloseTo(360_000.001, 9);
    expect(parseVttTimestamp('1:02.345')).toBeNull();
    expect(parseVttTimestamp('00:61.000')).toBeNull();
  });
});
