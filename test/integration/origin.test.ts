/**
 * The segment origin over real HTTP: a plain Node server on an ephemeral port whose handler asks the
 * origin first and falls back (as the app's serverFactory does), real files in a LocalBlobStore, raw
 * request paths through http.request (fetch would normalise the traversal attempts away).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrigin, type Origin, type OriginOptions } from '../../src/delivery/origin.js';
import type { BlobStat, BlobStore } from '../../src/storage/blob-store.js';
import { LocalBlobStore } from '../../src/storage/local-blob-store.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface TestServer {
  origin: Origin;
  port: number;
  /** Requests the origin has been handed so far. */
  handled: () => number;
  close: () => Promise<void>;
}

async function startServer(options: OriginOptions): Promise<TestServer> {
  const origin = createOrigin(options);
  let handled = 0;
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    handled++;
    if (origin.handle(req, res)) return;
    res.writeHead(418, { 'Content-Type': 'text/plain' });
    res.end('fallback');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin,
    port: (server.address() as AddressInfo).port,
    handled: () => handled,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function request(port: number, urlPath: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method: init.method ?? 'GET', headers: init.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SEGMENT = randomBytes(200_000);
const INIT = randomBytes(1_200);
const BIG = randomBytes(300_000);
const IN_PROGRESS_PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\nseg_00001.m4s\n';
const FINISHED_PLAYLIST = `${IN_PROGRESS_PLAYLIST}#EXTINF:4.0,\nseg_00002.m4s\n#EXT-X-ENDLIST\n`;
const MASTER_PLAYLIST = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\nv0/index.m3u8\n';
const DYNAMIC_MPD = '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" profiles="urn:mpeg:dash:profile:isoff-live:2011"></MPD>\n';
const STATIC_MPD = '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" profiles="urn:mpeg:dash:profile:isoff-live:2011"></MPD>\n';

describe('origin over HTTP', () => {
  let dir: string;
  let store: LocalBlobStore;
  let server: TestServer;
  const base = '/stream/vid1/v1';

  const baseOptions = (): OriginOptions => ({
    store,
    cacheBytes: 64 * 1024 * 1024,
    cacheMaxFileBytes: 16 * 1024 * 1024,
    corsOrigin: 'https://player.example',
  });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-origin-'));
    store = new LocalBlobStore({ root: path.join(dir, 'blobs') });
    const put = (key: string, data: Buffer | string) => store.putBytes(`videos/vid1/v1/${key}`, data);
    await Promise.all([
      put('v0/seg_00001.m4s', SEGMENT),
      put('v0/init.mp4', INIT),
      put('v0/index.m3u8', IN_PROGRESS_PLAYLIST),
      put('v1/index.m3u8', FINISHED_PLAYLIST),
      put('master.m3u8', MASTER_PLAYLIST),
      put('live.mpd', DYNAMIC_MPD),
      put('manifest.mpd', STATIC_MPD),
      put('audio.m4a', randomBytes(1000)),
      put('poster.jpg', randomBytes(100)),
      put('poster.jpeg', randomBytes(100)),
      put('thumb.png', randomBytes(100)),
      put('thumb.webp', randomBytes(100)),
      put('captions.vtt', 'WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n'),
      put('storyboard.json', '{"tiles":[]}'),
      put('secret.mkv', randomBytes(100)),
      put('big.mp4', BIG),
    ]);
    // Outside the key prefix, and outside the store: never reachable.
    await store.putBytes('uploads/original.mp4', randomBytes(100));
    writeFileSync(path.join(dir, 'secret.json'), '{"secret":true}');
    mkdirSync(path.join(dir, 'blobs/videos/vid1/v1/adir.m4s'), { recursive: true });
    server = await startServer(baseOptions());
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves every allowlisted type with its MIME type and the shared headers', async () => {
    const expected: Record<string, string> = {
      'master.m3u8': 'application/vnd.apple.mpegurl',
      'manifest.mpd': 'application/dash+xml',
      'v0/seg_00001.m4s': 'video/iso.segment',
      'v0/init.mp4': 'video/mp4',
      'audio.m4a': 'audio/mp4',
      'captions.vtt': 'text/vtt; charset=utf-8',
      'poster.jpg': 'image/jpeg',
      'poster.jpeg': 'image/jpeg',
      'thumb.png': 'image/png',
      'thumb.webp': 'image/webp',
      'storyboard.json': 'application/json',
    };
    for (const [file, type] of Object.entries(expected)) {
      const answer = await request(server.port, `${base}/${file}`);
      expect(answer.status, file).toBe(200);
      expect(answer.headers['content-type'], file).toBe(type);
      expect(answer.headers['x-content-type-options'], file).toBe('nosniff');
      expect(answer.headers['accept-ranges'], file).toBe('bytes');
      expect(answer.headers['access-control-allow-origin'], file).toBe('https://player.example');
      expect(answer.headers['access-control-expose-headers'], file).toBe('Content-Length, Content-Range, ETag');
      expect(Number(answer.headers['content-length']), file).toBe(answer.body.length);
    }
    const segment = await request(server.port, `${base}/v0/seg_00001.m4s`);
    expect(segment.body.equals(SEGMENT)).toBe(true);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const answer = await request(server.port, `${base}/v0/seg_00001.m4s`, { method: 'HEAD' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-length']).toBe(String(SEGMENT.length));
    expect(answer.headers['content-type']).toBe('video/iso.segment');
    expect(answer.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(answer.body.length).toBe(0);
  });

  it('answers a CORS preflight and refuses other methods with 405', async () => {
    const preflight = await request(server.port, `${base}/v0/seg_00001.m4s`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://player.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://player.example');
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
    expect(preflight.headers['access-control-allow-headers']).toBe('Range');
    expect(preflight.headers['access-control-expose-headers']).toBe('Content-Length, Content-Range, ETag');
    expect(preflight.headers['x-content-type-options']).toBe('nosniff');
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await request(server.port, `${base}/v0/seg_00001.m4s`, { method });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('leaves URLs outside its prefix to the fallback', async () => {
    for (const urlPath of ['/api/videos', '/stream', '/streamx/vid1/v1/master.m3u8', '/']) {
      const answer = await request(server.port, urlPath);
      expect(answer.status, urlPath).toBe(418);
      expect(answer.body.toString()).toBe('fallback');
    }
  });

  describe('ranges', () => {
    const url = `${base}/v0/seg_00001.m4s`;

    it('answers one range with 206 and Content-Range', async () => {
      const answer = await request(server.port, url, { headers: { Range: 'bytes=100-1099' } });
      expect(answer.status).toBe(206);
      expect(answer.headers['content-range']).toBe(`bytes 100-1099/${SEGMENT.length}`);
      expect(answer.headers['content-length']).toBe('1000');
      expect(answer.body.equals(SEGMENT.subarray(100, 1100))).toBe(true);

      const suffix = await request(server.port, url, { headers: { Range: 'bytes=-500' } });
      expect(suffix.status).toBe(206);
      expect(suffix.body.equals(SEGMENT.subarray(SEGMENT.length - 500))).toBe(true);

      const open = await request(server.port, url, { headers: { Range: 'bytes=199990-' } });
      expect(open.status).toBe(206);
      expect(open.headers['content-range']).toBe(`bytes 199990-199999/${SEGMENT.length}`);
      expect(open.body.equals(SEGMENT.subarray(199_990))).toBe(true);
    });

    it('answers several ranges with a plain 200 of the whole file', async () => {
      const answer = await request(server.port, url, { headers: { Range: 'bytes=0-9,100-199' } });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-range']).toBeUndefined();
      expect(answer.body.equals(SEGMENT)).toBe(true);
    });

    it('answers an unsatisfiable range with 416 and bytes */length', async () => {
      const answer = await request(server.port, url, { headers: { Range: `bytes=${SEGMENT.length}-` } });
      expect(answer.status).toBe(416);
      expect(answer.headers['content-range']).toBe(`bytes */${SEGMENT.length}`);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.body.length).toBe(0);
    });

    it('ignores a malformed Range or another unit', async () => {
      for (const range of ['bytes=abc', 'bytes=5', 'items=0-5', 'bytes=--1', 'garbage']) {
        const answer = await request(server.port, url, { headers: { Range: range } });
        expect(answer.status, range).toBe(200);
        expect(answer.body.equals(SEGMENT), range).toBe(true);
      }
    });

    it('honours If-Range: a matching ETag or date keeps the range, anything else sends the whole file', async () => {
      const { headers } = await request(server.port, url, { method: 'HEAD' });
      const etag = headers.etag!;
      const lastModified = headers['last-modified']!;
      const matching = await request(server.port, url, { headers: { Range: 'bytes=0-9', 'If-Range': etag } });
      expect(matching.status).toBe(206);
      const byDate = await request(server.port, url, { headers: { Range: 'bytes=0-9', 'If-Range': lastModified } });
      expect(byDate.status).toBe(206);
      for (const ifRange of ['"stale-tag"', `W/${etag}`, 'Thu, 01 Jan 1970 00:00:00 GMT']) {
        const answer = await request(server.port, url, { headers: { Range: 'bytes=0-9', 'If-Range': ifRange } });
        expect(answer.status, ifRange).toBe(200);
        expect(answer.body.equals(SEGMENT), ifRange).toBe(true);
      }
    });

    it('serves ranges of a file too large for the cache by streaming', async () => {
      const answer = await request(server.port, `${base}/big.mp4`, { headers: { Range: 'bytes=1000-1999' } });
      expect(answer.status).toBe(206);
      expect(answer.body.equals(BIG.subarray(1000, 2000))).toBe(true);
    });
  });

  describe('validators', () => {
    const url = `${base}/v0/init.mp4`;

    it('sends a strong ETag and Last-Modified, and 304 for If-None-Match / If-Modified-Since', async () => {
      const first = await request(server.port, url);
      const etag = first.headers.etag!;
      expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      expect(etag.endsWith(`-${INIT.length.toString(16)}"`)).toBe(true);
      const lastModified = first.headers['last-modified']!;
      expect(Number.isNaN(Date.parse(lastModified))).toBe(false);

      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const answer = await request(server.port, url, { headers: { 'If-None-Match': ifNoneMatch } });
        expect(answer.status, ifNoneMatch).toBe(304);
        expect(answer.headers.etag).toBe(etag);
        expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(answer.body.length).toBe(0);
      }
      const bySince = await request(server.port, url, { headers: { 'If-Modified-Since': lastModified } });
      expect(bySince.status).toBe(304);
      const older = await request(server.port, url, { headers: { 'If-Modified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' } });
      expect(older.status).toBe(200);
      // If-None-Match wins over If-Modified-Since.
      const mismatch = await request(server.port, url, { headers: { 'If-None-Match': '"other"', 'If-Modified-Since': lastModified } });
      expect(mismatch.status).toBe(200);
      expect(mismatch.body.equals(INIT)).toBe(true);
    });

    it('answers conditional requests for streamed files too', async () => {
      const { headers } = await request(server.port, `${base}/big.mp4`, { method: 'HEAD' });
      const answer = await request(server.port, `${base}/big.mp4`, { headers: { 'If-None-Match': headers.etag! } });
      expect(answer.status).toBe(304);
    });
  });

  describe('cache policy', () => {
    it('marks media and images immutable, documents 300 s, manifests by their content', async () => {
      const expected: Record<string, string> = {
        'v0/seg_00001.m4s': 'public, max-age=31536000, immutable',
        'v0/init.mp4': 'public, max-age=31536000, immutable',
        'audio.m4a': 'public, max-age=31536000, immutable',
        'poster.jpg': 'public, max-age=31536000, immutable',
        'big.mp4': 'public, max-age=31536000, immutable',
        'v0/index.m3u8': 'public, max-age=1',
        'master.m3u8': 'public, max-age=1',
        'live.mpd': 'public, max-age=1',
        'v1/index.m3u8': 'public, max-age=300',
        'manifest.mpd': 'public, max-age=300',
        'captions.vtt': 'public, max-age=300',
        'storyboard.json': 'public, max-age=300',
      };
      for (const [file, cacheControl] of Object.entries(expected)) {
        const answer = await request(server.port, `${base}/${file}`);
        expect(answer.headers['cache-control'], file).toBe(cacheControl);
      }
    });

    it('serves a manifest update within the revalidation window (default 500 ms)', async () => {
      const url = '/stream/vid1/v1/growing.m3u8';
      await store.putBytes('videos/vid1/v1/growing.m3u8', IN_PROGRESS_PLAYLIST);
      const before = await request(server.port, url);
      expect(before.body.toString()).toBe(IN_PROGRESS_PLAYLIST);
      await store.putBytes('videos/vid1/v1/growing.m3u8', FINISHED_PLAYLIST);
      await sleep(600);
      const after = await request(server.port, url);
      expect(after.body.toString()).toBe(FINISHED_PLAYLIST);
      expect(after.headers['cache-control']).toBe('public, max-age=300');
      expect(after.headers.etag).not.toBe(before.headers.etag);
    });

    it('serves a manifest update at once when revalidateAfterMs is 0', async () => {
      const eager = await startServer({ ...baseOptions(), revalidateAfterMs: 0 });
      try {
        const url = '/stream/vid1/v1/eager.m3u8';
        await store.putBytes('videos/vid1/v1/eager.m3u8', IN_PROGRESS_PLAYLIST);
        expect((await request(eager.port, url)).body.toString()).toBe(IN_PROGRESS_PLAYLIST);
        await store.putBytes('videos/vid1/v1/eager.m3u8', FINISHED_PLAYLIST);
        expect((await request(eager.port, url)).body.toString()).toBe(FINISHED_PLAYLIST);
        await store.delete('videos/vid1/v1/eager.m3u8');
        expect((await request(eager.port, url)).status).toBe(404);
      } finally {
        await eager.close();
      }
    });
  });

  describe('memory cache', () => {
    it('serves a segment the second time from memory, and from the store again after invalidatePrefix', async () => {
      const fresh = await startServer(baseOptions());
      try {
        const url = `${base}/v0/seg_00001.m4s`;
        expect((await request(fresh.port, url)).status).toBe(200);
        expect(fresh.origin.stats()).toEqual({ hits: 0, misses: 1, bytesCached: SEGMENT.length, entries: 1 });
        const second = await request(fresh.port, url);
        expect(second.body.equals(SEGMENT)).toBe(true);
        expect(fresh.origin.stats()).toMatchObject({ hits: 1, misses: 1 });

        fresh.origin.invalidatePrefix('videos/other/');
        expect(fresh.origin.stats().entries).toBe(1);
        fresh.origin.invalidatePrefix('videos/vid1/');
        expect(fresh.origin.stats()).toMatchObject({ bytesCached: 0, entries: 0 });
        expect((await request(fresh.port, url)).status).toBe(200);
        expect(fresh.origin.stats()).toMatchObject({ hits: 1, misses: 2, entries: 1 });
      } finally {
        await fresh.close();
      }
    });

    it('never caches a file above cacheMaxFileBytes, and streams it whole', async () => {
      const small = await startServer({ ...baseOptions(), cacheMaxFileBytes: 64 * 1024 });
      try {
        for (let i = 0; i < 2; i++) {
          const answer = await request(small.port, `${base}/big.mp4`);
          expect(answer.status).toBe(200);
          expect(answer.headers['content-length']).toBe(String(BIG.length));
          expect(answer.body.equals(BIG)).toBe(true);
        }
        const concurrent = await Promise.all(Array.from({ length: 5 }, () => request(small.port, `${base}/big.mp4`)));
        for (const answer of concurrent) expect(answer.body.equals(BIG)).toBe(true);
        const head = await request(small.port, `${base}/big.mp4`, { method: 'HEAD' });
        expect(head.headers['content-length']).toBe(String(BIG.length));
        expect(head.body.length).toBe(0);
        expect(small.origin.stats()).toEqual({ hits: 0, misses: 8, bytesCached: 0, entries: 0 });
      } finally {
        await small.close();
      }
    });

    it('evicts the least recently used files past its byte budget', async () => {
      const tight = await startServer({ ...baseOptions(), cacheBytes: SEGMENT.length + 2_000 });
      try {
        await request(tight.port, `${base}/v0/seg_00001.m4s`);
        await request(tight.port, `${base}/v0/init.mp4`);
        expect(tight.origin.stats()).toMatchObject({ entries: 2, bytesCached: SEGMENT.length + INIT.length });
        await request(tight.port, `${base}/audio.m4a`); // 1000 bytes more: the segment (oldest) goes
        expect(tight.origin.stats()).toMatchObject({ entries: 2, bytesCached: INIT.length + 1000 });
      } finally {
        await tight.close();
      }
    });

    it('shares one read between concurrent misses of the same file', async () => {
      let stats = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slowStore: BlobStore = {
        putFile: (key, file) => store.putFile(key, file),
        putBytes: (key, data) => store.putBytes(key, data),
        putStream: (key, stream) => store.putStream(key, stream),
        getBytes: (key) => store.getBytes(key),
        createReadStream: (key, range) => store.createReadStream(key, range),
        list: (prefix) => store.list(prefix),
        delete: (key) => store.delete(key),
        deletePrefix: (prefix) => store.deletePrefix(prefix),
        stat: async (key): Promise<BlobStat | null> => {
          stats++;
          await gate;
          return store.stat(key);
        },
      };
      const shared = await startServer({ ...baseOptions(), store: slowStore });
      try {
        const answers = Array.from({ length: 20 }, () => request(shared.port, `${base}/v0/seg_00001.m4s`));
        while (shared.handled() < 20) await sleep(5);
        release();
        for (const answer of await Promise.all(answers)) {
          expect(answer.status).toBe(200);
          expect(answer.body.equals(SEGMENT)).toBe(true);
        }
        expect(stats).toBe(1);
        expect(shared.origin.stats()).toMatchObject({ misses: 20, entries: 1 });
      } finally {
        await shared.close();
      }
    });
  });

  describe('invalidation during a read', () => {
    it('does not let a read that started before invalidatePrefix refill the cache', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slowStore = {
        stat: async (key: string) => {
          await gate;
          return store.stat(key);
        },
        getBytes: (key: string) => store.getBytes(key),
      } as unknown as BlobStore;
      const slow = await startServer({ ...baseOptions(), store: slowStore });
      try {
        const pending = request(slow.port, `${base}/v0/init.mp4`);
        while (slow.handled() < 1) await sleep(5);
        slow.origin.invalidatePrefix('videos/vid1/');
        release();
        expect((await pending).status).toBe(200);
        expect(slow.origin.stats().entries).toBe(0);
      } finally {
        await slow.close();
      }
    });
  });

  describe('not found and errors', () => {
    it('answers a missing file, a directory or a FIFO with a tiny 404', async () => {
      execFileSync('mkfifo', [path.join(dir, 'blobs/videos/vid1/v1/pipe.m4s')]);
      for (const file of ['v0/seg_09999.m4s', 'nope/index.m3u8', 'adir.m4s', 'pipe.m4s']) {
        const answer = await request(server.port, `${base}/${file}`);
        expect(answer.status, file).toBe(404);
        expect(answer.body.toString()).toBe('Not Found\n');
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
      }
    });

    it('never maps a URL outside the store, whatever the encoding', async () => {
      const attempts = [
        '/stream/../secret.json',
        '/stream/vid1/v1/../../../secret.json',
        '/stream/vid1/v1/..%2f..%2f..%2fsecret.json',
        '/stream/vid1/v1/%2e%2e/%2e%2e/%2e%2e/secret.json',
        '/stream/vid1/v1/%252e%252e/%252e%252e/secret.json',
        '/stream/vid1/v1/..%5c..%5c..%5csecret.json',
        '/stream/vid1/v1/..\\..\\..\\secret.json',
        '/stream/vid1/v1/.%2e/.%2e/.%2e/secret.json',
        '/stream/vid1/v1/%2fetc%2fpasswd.json',
        '/stream/vid1/v1//etc/passwd.json',
        '/stream/vid1/v1/./master.m3u8',
        '/stream/vid1/v1/v0/%69nit.mp4',
        '/stream/vid1/../uploads/original.mp4',
        '/stream/vid1/v1/secret.mkv',
        '/stream/vid1/v1/master.m3u8.bak',
        '/stream/vid1/v1/master',
        '/stream/vid1/v1/',
        '/stream/vid1/master.m3u8',
        '/stream/vid1/v1/master.m3u8%00.json',
        `/stream/vid1/v1/${'a/'.repeat(300)}x.m4s`,
      ];
      for (const attempt of attempts) {
        const answer = await request(server.port, attempt);
        expect(answer.status, attempt).toBe(404);
        expect(answer.body.toString(), attempt).toBe('Not Found\n');
      }
    });

    it('ignores the query string for mapping', async () => {
      const answer = await request(server.port, `${base}/v0/init.mp4?token=../../secret.json&x=%2e%2e`);
      expect(answer.status).toBe(200);
      expect(answer.body.equals(INIT)).toBe(true);
    });

    it('maps store errors to 500 and keeps serving', async () => {
      const logged: string[] = [];
      const brokenStore = {
        localPath: (key: string) => {
          if (key.endsWith('boom.m4s')) throw new Error('EIO: disk on fire');
          return store.localPath(key);
        },
      } as unknown as BlobStore;
      const broken = await startServer({
        ...baseOptions(),
        store: brokenStore,
        logger: { warn: () => undefined, error: (_obj, msg) => logged.push(msg ?? '') },
      });
      try {
        const answer = await request(broken.port, `${base}/boom.m4s`);
        expect(answer.status).toBe(500);
        expect(answer.body.toString()).toBe('Internal Server Error\n');
        expect(logged).toHaveLength(1);
        expect((await request(broken.port, `${base}/v0/init.mp4`)).status).toBe(200);
      } finally {
        await broken.close();
      }
    });

    it('maps a failing remote store to 500 and a missing remote blob to 404', async () => {
      const remote = {
        stat: async (key: string): Promise<BlobStat | null> => {
          if (key.endsWith('boom.m4s')) throw new Error('ECONNRESET');
          return null;
        },
      } as unknown as BlobStore;
      const remoteServer = await startServer({ ...baseOptions(), store: remote });
      try {
        expect((await request(remoteServer.port, `${base}/boom.m4s`)).status).toBe(500);
        expect((await request(remoteServer.port, `${base}/gone.m4s`)).status).toBe(404);
      } finally {
        await remoteServer.close();
      }
    });
  });
});
