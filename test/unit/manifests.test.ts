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

  const tracks = [
    { uri: 'a0/index.m3u8', peakBps: 140_000, averageBps: 130_000, codec: 'mp4a.40.2', channels: 2, language: 'en', name: 'English', default: true },
    { uri: 'a1/index.m3u8', peakBps: 150_000, averageBps: 120_000, codec: 'mp4a.40.2', channels: 2, language: 'fr', name: 'French', default: false },
    { uri: 'a2/index.m3u8', peakBps: 100_000, averageBps: 90_000, codec: 'mp4a.40.2', channels: 2, language: 'und', name: 'Audio 3', default: false },
  ];

  it('lists every audio track in one group: the default DEFAULT=YES, the others DEFAULT=NO,AUTOSELECT=YES', () => {
    const text = writeMasterPlaylist({ video, audio: tracks });
    expect(text.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:'))).toEqual([
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a0/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="French",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="a1/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio 3",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="a2/index.m3u8"',
    ]);
    // Budget for the largest audio rendition of the group.
    expect(text).toContain('#EXT-X-STREAM-INF:BANDWIDTH=1050000,AVERAGE-BANDWIDTH=830000,');
  });

  it('makes the default track the variant of a multi-track audio-only stream, the others alternatives', () => {
    const text = writeMasterPlaylist({ video: [], audio: tracks });
    expect(text).toContain('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2"\n');
    expect(text).toContain('NAME="French",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="a1/index.m3u8"');
    const variants = text.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    expect(variants).toEqual(['#EXT-X-STREAM-INF:BANDWIDTH=150000,AVERAGE-BANDWIDTH=130000,CODECS="mp4a.40.2",AUDIO="audio"']);
    expect(text).toContain(`${variants[0]}\na0/index.m3u8`);
  });

  it('adds the extra-codec ladders as further variants, H.264 first, each codec by ascending bandwidth', () => {
    const extra = [
      { uri: 'av1/v0/index.m3u8', peakBps: 3_000_000, averageBps: 2_000_000, codec: 'av01.0.08M.08', width: 1920, height: 1080, frameRate: 30 },
      { uri: 'av1/v1/index.m3u8', peakBps: 500_000, averageBps: 400_000, codec: 'av01.0.04M.08', width: 640, height: 360, frameRate: 30 },
      { uri: 'vp9/v1/index.m3u8', peakBps: 600_000, averageBps: 450_000, codec: 'vp09.00.21.08.01.01.01.01.00', width: 640, height: 360, frameRate: 30 },
    ];
    const text = writeMasterPlaylist({
      video: [...video.map((v) => ({ ...v, score: 2 })), ...extra.map((v) => ({ ...v, score: v.codec.startsWith('av01') ? 3 : 1 }))],
      audio,
    });
    const uris = text.trim().split('\n').filter((l) => !l.startsWith('#'));
    expect(uris).toEqual(['v1/index.m3u8', 'v0/index.m3u8', 'av1/v1/index.m3u8', 'av1/v0/index.m3u8', 'vp9/v1/index.m3u8']);
    expect(text).toContain('CODECS="av01.0.04M.08,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000,SCORE=3,AUDIO="audio"\nav1/v1/index.m3u8');
    expect(text).toContain('CODECS="vp09.00.21.08.01.01.01.01.00,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000,SCORE=1,');
    expect(text).toContain('CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.970,SCORE=2,');
    // One codec: nothing to prefer, no SCORE.
    expect(writeMasterPlaylist({ video: video.map((v) => ({ ...v, score: 2 })), audio })).not.toContain('SCORE');
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

  it('gives each video codec its own AdaptationSet, ranked AV1 > VP9 > H.264, and each audio track a labelled set', () => {
    const av1 = { ...representation, id: 'av1/v0', codec: 'av01.0.05M.08', group: 'av1', initialization: 'av1/v0/init_4.mp4', media: 'av1/v0/seg_$Number%05d$.m4s' };
    const vp9 = { ...representation, id: 'vp9/v0', codec: 'vp09.00.31.08.01.01.01.01.00', group: 'vp9', initialization: 'vp9/v0/init_5.mp4', media: 'vp9/v0/seg_$Number%05d$.m4s' };
    const audioBase = { kind: 'audio' as const, codec: 'mp4a.40.2', bandwidthBps: 130_000, timescale: 48000, startNumber: 0, timeline: [{ t: 0, d: 96000 }], sampleRate: 48000, channels: 2 };
    const mpd = writeMpd({
      type: 'static', durationSec: 14, segmentSeconds: 4,
      representations: [
        { ...representation, group: 'h264' }, av1, vp9,
        { ...audioBase, id: 'a0', initialization: 'a0/init.mp4', media: 'a0/seg_$Number%05d$.m4s', language: 'en', label: 'English', default: true },
        { ...audioBase, id: 'a1', initialization: 'a1/init.mp4', media: 'a1/seg_$Number%05d$.m4s', language: 'und', label: 'Audio 2', default: false },
      ],
      videoGroupPriority: ['av1', 'vp9', 'h264'],
    });
    const sets = [...mpd.matchAll(/<AdaptationSet ([^>]*)>/g)].map((m) => m[1]!);
    expect(sets).toEqual([
      'id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" selectionPriority="1"',
      'id="1" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" selectionPriority="3"',
      'id="2" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" selectionPriority="2"',
      'id="3" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1" lang="en"',
      'id="4" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1"',
    ]);
    expect(mpd).toContain('lang="en">\n      <Label>English</Label>\n      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"/>\n');
    expect(mpd).toContain('<Label>Audio 2</Label>\n      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="alternate"/>');
    expect(mpd).toContain('codecs="av01.0.05M.08"');
    expect(mpd).toContain('media="vp9/v0/seg_$Number%05d$.m4s"');
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
