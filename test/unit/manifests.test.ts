import { describe, expect, it } from 'vitest';
import { writeMpd } from '../../src/pipeline/dash-manifest.js';
import { parseMediaPlaylist, toVodPlaylist, writeMasterPlaylist } from '../../src/pipeline/hls-playlist.js';

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

  it('writes a dynamic MPD while processing, anchored at the processing start', () => {
    const ast = new Date('2026-01-01T00:00:00Z');
    const mpd = writeMpd({ type: 'dynamic', durationSec: 8, segmentSeconds: 4, representations: [representation], availabilityStartTime: ast });
    expect(mpd).toContain('type="dynamic"');
    expect(mpd).toContain('availabilityStartTime="2026-01-01T00:00:00.000Z"');
    expect(mpd).toContain('minimumUpdatePeriod=');
    expect(mpd).not.toContain('mediaPresentationDuration');
  });
});
