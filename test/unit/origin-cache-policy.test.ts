import { describe, expect, it } from 'vitest';
import { assetKindOf, cacheControlFor, isFinishedManifest } from '../../src/delivery/cache-policy.js';

describe('cache policy', () => {
  it('classifies files by extension', () => {
    expect(assetKindOf('.m4s')).toBe('media');
    expect(assetKindOf('.jpg')).toBe('media');
    expect(assetKindOf('.m3u8')).toBe('manifest');
    expect(assetKindOf('.mpd')).toBe('manifest');
    expect(assetKindOf('.vtt')).toBe('document');
    expect(assetKindOf('.json')).toBe('document');
  });

  it('decides whether an HLS playlist is finished by #EXT-X-ENDLIST', () => {
    expect(isFinishedManifest('.m3u8', Buffer.from('#EXTM3U\n#EXTINF:4,\na.m4s\n#EXT-X-ENDLIST\n'))).toBe(true);
    expect(isFinishedManifest('.m3u8', Buffer.from('#EXTM3U\n#EXTINF:4,\na.m4s\n'))).toBe(false);
    expect(isFinishedManifest('.m3u8', Buffer.from('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv0.m3u8\n'))).toBe(false);
  });

  it('decides whether an MPD is finished by the type of its root element', () => {
    const mpd = (attrs: string, body = '') => Buffer.from(`<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" ${attrs}>${body}</MPD>`);
    expect(isFinishedManifest('.mpd', mpd('type="static"'))).toBe(true);
    expect(isFinishedManifest('.mpd', mpd(''))).toBe(true);
    expect(isFinishedManifest('.mpd', mpd("type='dynamic'"))).toBe(false);
    expect(isFinishedManifest('.mpd', mpd('type = "dynamic"'))).toBe(false);
    // A `type` attribute of another element says nothing.
    expect(isFinishedManifest('.mpd', mpd('type="static"', '<Foo type="dynamic"/>'))).toBe(true);
    expect(isFinishedManifest('.mpd', Buffer.from('<?xml version="1.0"?>\n<MP'))).toBe(false);
  });

  it('gives each kind its Cache-Control', () => {
    expect(cacheControlFor('media', '.m4s', undefined)).toBe('public, max-age=31536000, immutable');
    expect(cacheControlFor('document', '.vtt', Buffer.from('WEBVTT'))).toBe('public, max-age=300');
    expect(cacheControlFor('manifest', '.m3u8', Buffer.from('#EXTM3U\n#EXT-X-ENDLIST\n'))).toBe('public, max-age=300');
    expect(cacheControlFor('manifest', '.m3u8', Buffer.from('#EXTM3U\n'))).toBe('public, max-age=1');
    expect(cacheControlFor('manifest', '.m3u8', undefined)).toBe('public, max-age=1');
  });
});
