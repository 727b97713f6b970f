import { describe, expect, it } from 'vitest';
import { writeMpd } from '../../src/pipeline/dash-manifest.js';
import { parseMediaPlaylist, toVodPlaylist, writeMasterPlaylist, writeSubtitlePlaylist } from '../../src/pipeline/hls-playlist.js';

const EVENT_PLAYLIST = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init_0.mp4"
#EXTINF:4.000000,
seg_00000.m4s
#EXTINF:3.500000,
seg_00001.m4s
`;

describe('HLS media playlists', () => {
  it('parses init, segments and the end marker', () => {
    const parsed = parseMediaPlaylist(EVENT_PLAYLIST);
    expect(parsed).toEqual({
      initUri: 'init_0.mp4',
      segments: [{ uri: 'seg_00000.m4s', durationSec: 4 }, { uri: 'seg_00001.m4s', durationSec: 3.5 }],
      ended: false,
    });
  });

  it('refuses URIs that could escape the rendition folder', () => {
    expect(() => parseMediaPlaylist(EVENT_PLAYLIST.replace('seg_00001.m4s', '../../originals/x'))).toThrow(/unexpected URI/);
    expect(() => parseMediaPlaylist(EVENT_PLAYLIST.replace('seg_00001.m4s', 'file:///etc/passwd'))).toThrow(/unexpected URI/);
  });

  it('turns an EVENT playlist into a finished VOD one', () => {
    const vod = toVodPlaylist(EVENT_PLAYLIST);
    expect(vod).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(vod).not.toContain('EVENT');
    expect(vod.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    expect(parseMediaPlaylist(vod).ended).toBe(true);
  });
});

describe('HLS master playlist', () => {
  const audio = [{ uri: 'a0/index.m3u8', peakBps: 140_000, averageBps: 130_000, codec: 'mp4a.40.2', channels: 2, language: 'en', name: 'Audio (en)' }];
  const video = [
    { uri: 'v0/index.m3u8', peakBps: 5_000_000, averageBps: 4_000_000, codec: 'avc1.640028', width: 1920, height: 1080, frameRate: 30000 / 1001 },
    { uri: 'v1/index.m3u8', peakBps: 900_000, averageBps: 700_000, codec: 'avc1.64001e', width: 640, height: 360, frameRate: 30000 / 1001 },
  ];

  it('declares measured peak and average bandwidth including audio, exact codecs, size, rate and group', () => {
    const text = writeMasterPlaylist({ video, audio });
    const lines = text.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS']);
    expect(text).toContain(
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio (en)",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a0/index.m3u8"',
    );
    // Ascending bandwidth; BANDWIDTH = video peak + audio peak.
    expect(lines[4]).toBe(
      '#EXT-X-STREAM-INF:BANDWIDTH=1040000,AVERAGE-BANDWIDTH=830000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.970,AUDIO="audio"',
    );
    expect(lines[5]).toBe('v1/index.m3u8');
    expect(lines[6]).toContain('BANDWIDTH=5140000,AVERAGE-BANDWIDTH=4130000,CODECS="avc1.640028,mp4a.40.2",RESOLUTION=1920x1080');
  });

  it('lists an audio-only stream as variants, without an audio group', () => {
    const text = writeMasterPlaylist({ video: [], audio });
    expect(text).not.toContain('EXT-X-MEDIA');
    expect(text).toContain('#EXT-X-STREAM-INF:BANDWIDTH=140000,AVERAGE-BANDWIDTH=130000,CODECS="mp4a.40.2"\na0/index.m3u8');
  });

  it('omits the audio group for video without audio', () => {
    const text = writeMasterPlaylist({ video, audio: [] });
    expect(text).not.toContain('AUDIO=');
    expect(text).toContain('CODECS="avc1.640028"');
  });

  const subtitles = [
    { uri: 'subtitles/s0.m3u8', name: 'English', language: 'en' },
    { uri: 'subtitles/s1.m3u8', name: 'Track 2', language: 'und' },
  ];

  it('lists subtitle tracks as a SUBTITLES group, off by default, that every variant references', () => {
    const lines = writeMasterPlaylist({ video, audio, subtitles }).trim().split('\n');
    expect(lines.slice(4, 6)).toEqual([
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="subtitles/s0.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Track 2",LANGUAGE="und",DEFAULT=NO,AUTOSELECT=YES,URI="subtitles/s1.m3u8"',
    ]);
    expect(lines[6]).toBe(
      '#EXT-X-STREAM-INF:BANDWIDTH=1040000,AVERAGE-BANDWIDTH=830000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.970,AUDIO="audio",SUBTITLES="subs"',
    );
    const variants = lines.filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    expect(variants).toHaveLength(2);
    for (const variant of variants) expect(variant.endsWith(',SUBTITLES="subs"')).toBe(true);
  });

  it('references the subtitle group from audio-only variants too', () => {
    const text = writeMasterPlaylist({ video: [], audio, subtitles: subtitles.slice(0, 1) });
    expect(text).toContain('#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English"');
    expect(text).toContain('#EXT-X-STREAM-INF:BANDWIDTH=140000,AVERAGE-BANDWIDTH=130000,CODECS="mp4a.40.2",SUBTITLES="subs"\na0/index.m3u8');
  });

  it('has no SUBTITLES attribute without subtitle tracks', () => {
    expect(writeMasterPlaylist({ video, audio, subtitles: [] })).not.toContain('SUBTITLES');
  });
});

describe('HLS subtitle playlist', () => {
  it('is a finished VOD playlist whose one segment is the whole WebVTT file', () => {
    expect(writeSubtitlePlaylist({ uri: 's0.vtt', durationSec: 596.458 })).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:597',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXTINF:596.458000,',
        's0.vtt',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('keeps TARGETDURATION at least 1 for a sub-second video, and refuses a path for the URI', () => {
    expect(writeSubtitlePlaylist({ uri: 's0.vtt', durationSec: 0.3 })).toContain('#EXT-X-TARGETDURATION:1\n');
    expect(() => writeSubtitlePlaylist({ uri: '../s0.vtt', durationSec: 1 })).toThrow(/unexpected URI/);
  });
});

describe('DASH MPD', () => {
  const representation = {
    id: 'v0', kind: 'video' as const, codec: 'avc1.64001f', bandwidthBps: 2_000_000, timescale: 15360,
    initialization: 'v0/init_0.mp4', media: 'v0/seg_$Number%05d$.m4s', startNumber: 0,
    timeline: [{ t: 0, d: 61440 }, { t: 61440, d: 61440 }, { t: 122880, d: 61440 }, { t: 184320, d: 30720 }],
    width: 1280, height: 720, frameRate: '30',
  };

  it('writes a static MPD with a run-length SegmentTimeline over the same segment files', () => {
    const mpd = writeMpd({ type: 'static', durationSec: 14, segmentSeconds: 4, representations: [representation] });
    expect(mpd).toContain('type="static"');
    expect(mpd).toContain('mediaPresentationDuration="PT14.000S"');
    expect(mpd).toContain('<S t="0" d="61440" r="2"/><S t="184320" d="30720"/>');
    expect(mpd).toContain('media="v0/seg_$Number%05d$.m4s" startNumber="0"');
    expect(mpd).toContain('codecs="avc1.64001f" width="1280" height="720" frameRate="30"');
    expect(mpd).not.toContain('availabilityStartTime');
  });

  it('adds one text AdaptationSet per subtitle track, the WebVTT file as BaseURL', () => {
    const mpd = writeMpd({
      type: 'static',
      durationSec: 14,
      segmentSeconds: 4,
      representations: [representation],
      textTracks: [
        { id: 's0', url: 'subtitles/s0.vtt', language: 'en', label: 'English', bandwidthBps: 57.1 },
        { id: 's1', url: 'subtitles/s1.vtt', language: 'und', label: 'Q&A <live>', bandwidthBps: 0 },
      ],
    });
    expect(mpd).toContain(
      '    <AdaptationSet id="1" contentType="text" mimeType="text/vtt" lang="en">\n' +
        '      <Label>English</Label>\n' +
        '      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="subtitle"/>\n' +
        '      <Representation id="s0" bandwidth="58"><BaseURL>subtitles/s0.vtt</BaseURL></Representation>\n' +
        '    </AdaptationSet>',
    );
    // Ids stay unique after the audio sets; labels are escaped; bandwidth is mandatory, so never 0.
    expect(mpd).toContain('<AdaptationSet id="2" contentType="text" mimeType="text/vtt" lang="und">');
    expect(mpd).toContain('<Label>Q&amp;A &lt;live&gt;</Label>');
    expect(mpd).toContain('<Representation id="s1" bandwidth="1">');
    expect(mpd.indexOf('contentType="video"')).toBeLessThan(mpd.indexOf('contentType="text"'));
  });

  it('writes a dynamic MPD while processing, anchored at the processing start', () => {
    const ast = new Date('2026-01-01T00:00:00Z');
    const mpd = writeMpd({ type: 'dynamic', durationSec: 8, segmentSeconds: 4, representations: [representation], availabilityStartTime: ast });
    expect(mpd).toContain('type="dynamic"');
    expect(mpd).toContain('availabilityStartTime="2026-01-01T00:00:00.000Z"');
    expect(mpd).toContain('minimumUpdatePeriod=');
    expect(mpd).not.toContain('mediaPresentationDuration');
  });
});
