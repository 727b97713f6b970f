import { describe, expect, it } from 'vitest';
import { pathOf, resolveStreamPath } from '../../src/delivery/stream-path.js';

const options = { urlPrefix: '/stream/', keyPrefix: 'videos/' };

describe('resolveStreamPath', () => {
  it('maps a stream URL to its blob key, extension and type', () => {
    expect(resolveStreamPath('/stream/abc_D-1/3/v0/seg_00001.m4s', options)).toEqual({
      key: 'videos/abc_D-1/3/v0/seg_00001.m4s',
      extension: '.m4s',
      contentType: 'video/iso.segment',
    });
    expect(resolveStreamPath('/stream/a/1/master.M3U8', options)?.contentType).toBe('application/vnd.apple.mpegurl');
    expect(resolveStreamPath('/stream/a/1/thumbs/0001.jpg', options)?.key).toBe('videos/a/1/thumbs/0001.jpg');
  });

  it('refuses traversal, encodings, odd separators and unlisted types', () => {
    const refused = [
      '/stream/a/1/../../x.json',
      '/stream/a/1/..',
      '/stream/../a/1/x.json',
      '/stream/a/../1/x.json',
      '/stream/a/1/%2e%2e/x.json',
      '/stream/a/1/..%2fx.json',
      '/stream/a/1/%252e%252e/x.json',
      '/stream/a/1/..%5cx.json',
      '/stream/a/1/..\\x.json',
      '/stream/a/1//x.json',
      '/stream/a/1/./x.json',
      '/stream/a/1/.hidden.json',
      '/stream/a/1/x.json/',
      '/stream/a/1/x.ts',
      '/stream/a/1/x.mkv',
      '/stream/a/1/x',
      '/stream/a/1/',
      '/stream/a/x.json',
      '/stream//1/x.json',
      '/stream/a.b/1/x.json',
      '/stream/a/1/x y.json',
      '/stream/a/1/x\u00e9.json',
      '/other/a/1/x.json',
      `/stream/a/1/${'b'.repeat(600)}.json`,
    ];
    for (const urlPath of refused) expect(resolveStreamPath(urlPath, options), urlPath).toBeNull();
  });

  it('honours other prefixes', () => {
    expect(resolveStreamPath('/media/a/1/x.mp4', { urlPrefix: '/media/', keyPrefix: 'tenant1/videos/' })?.key).toBe(
      'tenant1/videos/a/1/x.mp4',
    );
  });
});

describe('pathOf', () => {
  it('drops the query and the fragment', () => {
    expect(pathOf('/stream/a/1/x.m4s?t=1')).toBe('/stream/a/1/x.m4s');
    expect(pathOf('/stream/a/1/x.m4s#f?x')).toBe('/stream/a/1/x.m4s');
    expect(pathOf('/stream/a/1/x.m4s')).toBe('/stream/a/1/x.m4s');
  });
});
