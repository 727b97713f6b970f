/**
 * Private videos behind the shipped nginx (deploy/nginx/streamforge-edge.conf) with X-Accel-Redirect
 * delivery (STREAMFORGE_ACCEL_REDIRECT_PREFIX, src/delivery/accel-redirect.ts): a real nginx runs
 * that very file in front of a real StreamForge on local storage, its internal location pointed at
 * the StreamForge's own blob directory. StreamForge decides who may read a file, nginx sends it:
 * every answer the origin writes is recorded on its HTTP server (status, X-Accel-Redirect, body
 * bytes), so "served by nginx" means the origin saw the request and sent no byte of the file while
 * the client got all of them. Also: refusals stay the origin's 404s, the internal location cannot be
 * reached from outside by any spelling of its path, private answers never enter the cache (nor do
 * answers fetched with credentials), and public videos are cached as before.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPlaybackToken } from '../../src/auth/playback-token.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { authHeaders, followEvents, startTestServer, TEST_ADMIN, type TestServer, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { isManifest, playAsViewer, startEdge, type Edge, type Fetched } from '../helpers/nginx.js';

const PREFIX = '/_streamforge_blobs/';

/** One answer as the origin wrote it. */
interface OriginAnswer {
  method: string;
  url: string;
  /** What the origin was asked: nginx strips Range and the conditionals when it caches. */
  range: string | undefined;
  ifNoneMatch: string | undefined;
  status: number;
  accel: string | undefined;
  bodyBytes: number;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let server: TestServer;
let edge: Edge;
const answers: OriginAnswer[] = [];
/** A private video, another private video, a public one; each as its `ready` event describes it. */
let secret: any;
let other: any;
let open: any;
let token: string;
let otherToken: string;
let tokenHls: string;

beforeAll(async () => {
  server = await startTestServer(
    {
      // nginx reads the blob directory: local storage even where the suite runs on S3.
      storageUrl: 'file:',
      accelRedirectPrefix: PREFIX,
      // Every request comes from nginx's address; the point here is not the playback limit.
      rateLimitPlayback: 0,
      trustProxy: 'loopback',
    },
    { stages: [] },
  );
  recordOriginAnswers(server.server);
  const clip = generatedClip({ seconds: 4, width: 320, height: 240, fps: 25 });
  [secret, other, open] = await Promise.all([
    uploadReady(clip, 'private'),
    uploadReady(clip, 'private'),
    uploadReady(clip, 'public'),
  ]);
  const mint = async (id: string) => {
    const res = await fetch(`${server.baseUrl}/api/videos/${id}/playback-token`, {
      method: 'POST',
      headers: { ...authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ expiresInSec: 600 }),
    });
    expect(res.status).toBe(200);
    return res.json() as Promise<{ token: string; playback: { hls: string } }>;
  };
  const minted = await mint(secret.id);
  token = minted.token;
  tokenHls = minted.playback.hls;
  otherToken = (await mint(other.id)).token;
  edge = await startEdge({ upstreamPort: new URL(server.baseUrl).port, blobsDir: `${server.dataDir}/blobs` });
});

afterAll(async () => {
  await edge?.stop();
  await server?.close();
});

describe('private videos through nginx with X-Accel-Redirect', () => {
  it("sends a private video's playlists, init segments and segments from disk, the origin only authorising them", async () => {
    expect(tokenHls).toBe(`/stream/t/${token}/${secret.playback.hls.slice('/stream/'.length)}`);
    const bytesBefore = originBodyBytes();
    const before = answers.length;
    const viewer = await playAsViewer(edge.url, tokenHls);
    const atOrigin = answers.slice(before);

    expect(viewer.filter((f) => f.path.endsWith('.m3u8')).length).toBeGreaterThanOrEqual(3); // master + ≥ 2 media playlists
    expect(viewer.some((f) => /\/init_\d+\.mp4$/.test(f.path))).toBe(true);
    expect(viewer.filter((f) => f.path.endsWith('.m4s')).length).toBeGreaterThanOrEqual(4);
    let bytesToViewer = 0;
    for (const f of viewer) {
      expectPrivateFile(f);
      bytesToViewer += f.body.length;
      // The origin answered this very request, with a redirect to the file and no body.
      const answer = atOrigin.filter((a) => a.url === f.path);
      expect(answer, f.path).toHaveLength(1);
      expect(answer[0]).toMatchObject({ status: 200, accel: PREFIX + keyOf(f.path), bodyBytes: 0 });
    }
    // Not one byte of those files left StreamForge, by its own counters either.
    expect(originBodyBytes()).toBe(bytesBefore);
    expect(bytesToViewer).toBeGreaterThan(50_000);

    // nginx's log: each of them sent by nginx, every byte, with the origin as upstream.
    const logged = readFileSync(edge.accessLog, 'utf8').split('\n').filter((l) => l.includes(`/stream/t/${token}/`));
    for (const f of viewer) {
      const line = logged.find((l) => l.includes(`"GET ${f.path} HTTP/1.1" 200 ${f.body.length} `));
      expect(line, f.path).toBeDefined();
      expect(line).toContain('upstream=127.0.0.1:');
    }

    // A second viewer, four at once: never a HIT, the origin asked every time, no one held up by
    // the cache lock (a redirect must release it at once, not after proxy_cache_lock_timeout).
    const started = Date.now();
    const again = await Promise.all(Array.from({ length: 4 }, () => playAsViewer(edge.url, tokenHls)));
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const f of again.flat()) expectPrivateFile(f);
    for (const f of viewer) expect(answers.filter((a) => a.url === f.path && a.accel !== undefined), f.path).toHaveLength(5);

    // The DASH manifest and the single files the token authorises, ?token= included.
    for (const p of [secret.playback.dash.replace('/stream/', `/stream/t/${token}/`), `${secret.playback.poster}?token=${token}`, `${secret.playback.mp4}?token=${token}`]) {
      const res = await get(edge.url, p);
      expect(res.status, p).toBe(200);
      expect(res.body.equals(onDisk(p)), p).toBe(true);
      expect(res.headers['cache-control']).toBe('private, no-store');
      expect(res.headers['x-cache-status']).not.toBe('HIT');
    }
  });

  it('leaves Range, HEAD and conditional requests to nginx, which answers them on the file', async () => {
    const segment = (await playAsViewer(edge.url, tokenHls)).find((f) => f.path.endsWith('.m4s'))!;
    const bytes = onDisk(segment.path);
    const before = answers.length;

    const ranged = await get(edge.url, segment.path, { headers: { range: 'bytes=100-1099' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-range']).toBe(`bytes 100-1099/${bytes.length}`);
    expect(ranged.body.equals(bytes.subarray(100, 1100))).toBe(true);
    expect(ranged.headers['cache-control']).toBe('private, no-store');
    const suffix = await get(edge.url, segment.path, { headers: { range: 'bytes=-500' } });
    expect(suffix.status).toBe(206);
    expect(suffix.body.equals(bytes.subarray(bytes.length - 500))).toBe(true);
    const unsatisfiable = await get(edge.url, segment.path, { headers: { range: `bytes=${bytes.length + 10}-` } });
    expect(unsatisfiable.status).toBe(416);

    const head = await get(edge.url, segment.path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(bytes.length));
    expect(head.headers['content-type']).toBe('video/iso.segment');
    expect(head.headers['cache-control']).toBe('private, no-store');
    expect(head.body.length).toBe(0);

    // Validators are nginx's own, for the file it sends; a revalidation gets a 304 from it.
    const etag = segment.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const revalidated = await get(edge.url, segment.path, { headers: { 'if-none-match': etag } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
    expect(revalidated.headers['cache-control']).toBe('private, no-store');
    const ifRange = await get(edge.url, segment.path, { headers: { range: 'bytes=0-9', 'if-range': '"stale"' } });
    expect(ifRange.status).toBe(200);
    expect(ifRange.body.equals(bytes)).toBe(true);

    // Every one of those reached the origin as a plain GET (nginx converts HEAD and strips Range and
    // the conditionals when it caches) and was answered with a redirect, no body.
    const atOrigin = answers.slice(before);
    expect(atOrigin).toHaveLength(6);
    for (const a of atOrigin) expect(a).toMatchObject({ method: 'GET', range: undefined, ifNoneMatch: undefined, status: 200, accel: PREFIX + keyOf(segment.path), bodyBytes: 0 });

    // download.mp4 goes through the sliced location: a seek, and the whole file.
    const mp4Path = `${secret.playback.mp4}?token=${token}`;
    const mp4 = onDisk(mp4Path);
    const tail = await get(edge.url, mp4Path, { headers: { range: `bytes=${mp4.length - 1000}-` } });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(mp4.subarray(mp4.length - 1000))).toBe(true);
    const whole = await get(edge.url, mp4Path);
    expect(whole.status).toBe(200);
    expect(whole.body.equals(mp4)).toBe(true);
    expect(answers.slice(before).filter((a) => a.url === mp4Path).every((a) => a.accel === PREFIX + keyOf(mp4Path) && a.bodyBytes === 0)).toBe(true);
  });

  it('keeps refusals the origin\'s 404s: no token, a token for another video, an expired or forged token', async () => {
    const key = server.ctx.auth.keys.playback;
    const expired = (await signPlaybackToken({ key, videoId: secret.id, expiresInSec: -5 })).token;
    const forged = (await signPlaybackToken({ key: new Uint8Array(randomBytes(32)), videoId: secret.id, expiresInSec: 600 })).token;
    const files = (await playAsViewer(edge.url, tokenHls)).map((f) => f.path.replace(`/stream/t/${token}/`, '/stream/'));
    const before = answers.length;
    const refused: string[] = [];
    for (const file of files) {
      refused.push(file, file.replace('/stream/', `/stream/t/${otherToken}/`), `${file}?token=${otherToken}`);
    }
    const rest = secret.playback.hls.slice('/stream/'.length);
    refused.push(`/stream/t/${expired}/${rest}`, `/stream/${rest}?token=${expired}`, `/stream/t/${forged}/${rest}`);
    // Authorised, but no such file: the origin's own 404, not nginx's.
    refused.push(`/stream/t/${token}/${secret.id}/${rest.split('/')[1]}/v0/seg_99999.m4s`);

    for (const p of refused) {
      const res = await get(edge.url, p);
      expect(res.status, p).toBe(404);
      expect(res.body.toString(), p).toBe('Not Found\n');
      expect(res.headers['x-cache-status'], p).not.toBe('HIT');
    }
    const atOrigin = answers.slice(before);
    expect(atOrigin).toHaveLength(refused.length);
    for (const a of atOrigin) expect(a, a.url).toMatchObject({ status: 404, accel: undefined });
  });

  it('serves a private segment to the admin key (STREAMFORGE_API_KEY) without a token, and never stores what credentials fetched', async () => {
    const files = await playAsViewer(edge.url, secret.playback.hls, authHeaders);
    expect(files.filter((f) => f.path.endsWith('.m4s')).length).toBeGreaterThanOrEqual(4);
    for (const f of files) expectPrivateFile(f);
    const segment = files.find((f) => f.path.endsWith('.m4s'))!.path;
    const before = answers.length;
    const second = await get(edge.url, segment, { headers: authHeaders });
    expect(second.status).toBe(200);
    expect(second.headers['x-cache-status']).not.toBe('HIT');
    expect(second.body.equals(onDisk(segment))).toBe(true);
    // The same URL without credentials: the origin's 404, not the admin's copy.
    const anonymous = await get(edge.url, segment);
    expect(anonymous.status).toBe(404);
    expect(anonymous.headers['x-cache-status']).not.toBe('HIT');
    expect(answers.slice(before).map((a) => [a.status, a.accel])).toEqual([[200, PREFIX + keyOf(segment)], [404, undefined]]);

    // The session cookie, the one cookie forwarded on /stream/, opens it as in the web app (with the
    // site's other cookies left at the edge), is never stored from, and stops working at sign-out.
    const login = await fetch(`${server.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(TEST_ADMIN),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const withSession = await get(edge.url, segment, { headers: { cookie: `theme=dark; ${cookie}; tracking=1` } });
    expect(withSession.status).toBe(200);
    expect(withSession.body.equals(onDisk(segment))).toBe(true);
    expect(withSession.headers['x-cache-status']).not.toBe('HIT');
    expect((await get(edge.url, segment)).status).toBe(404);
    await fetch(`${server.baseUrl}/api/auth/logout`, { method: 'POST', headers: { cookie, origin: server.baseUrl } });
    expect((await get(edge.url, segment, { headers: { cookie } })).status).toBe(404);

    // A public file first fetched with credentials is not stored from that answer either
    // (proxy_no_cache $http_authorization); the first anonymous fetch is.
    const publicInit = (await playAsViewer(server.baseUrl, open.playback.hls)).find((f) => /\/init_\d+\.mp4$/.test(f.path))!.path;
    expect((await get(edge.url, publicInit, { headers: authHeaders })).headers['x-cache-status']).toBe('MISS');
    expect((await get(edge.url, publicInit)).headers['x-cache-status']).toBe('MISS');
    expect((await get(edge.url, publicInit)).headers['x-cache-status']).toBe('HIT');
  });

  it('cannot be reached through the internal location, by any spelling of its path', async () => {
    const s = secret.id;
    const v = secret.playback.hls.split('/')[3];
    const pv = open.playback.hls.split('/')[3];
    const blobs = PREFIX.slice(1, -1); // _streamforge_blobs
    const tricks = [
      `${PREFIX}videos/${s}/${v}/master.m3u8`,
      `${PREFIX}videos/${s}/${v}/v0/init_0.mp4`,
      `${PREFIX}videos/${open.id}/${pv}/master.m3u8`,
      `${PREFIX}originals/${s}`,
      `${PREFIX}videos/${s}/${v}/../../../originals/${s}`,
      `${PREFIX}videos/%2e%2e/originals/${s}`,
      `/${blobs}%2fvideos%2f${s}%2f${v}%2fmaster.m3u8`,
      `/%5f${blobs.slice(1)}/videos/${s}/${v}/master.m3u8`,
      `//${blobs}/videos/${s}/${v}/master.m3u8`,
      `/./${blobs}/videos/${s}/${v}/master.m3u8`,
      `/stream/../${blobs}/videos/${s}/${v}/master.m3u8`,
      `/stream/%2e%2e/${blobs}/videos/${s}/${v}/master.m3u8`,
      `/stream/%2E%2E/${blobs}/videos/${s}/${v}/master.m3u8`,
      `/stream/${open.id}/${pv}/..%2f..%2f..%2f${blobs}%2fvideos%2f${s}%2f${v}%2fmaster.m3u8`,
      `/stream/${open.id}/${pv}/%252e%252e/%252e%252e/${s}/${v}/master.m3u8`,
      `/stream/${open.id}/${pv}/..%252f..%252f${s}%252f${v}%252fmaster.m3u8`,
      `/stream/t/${token}/../../../${blobs}/videos/${s}/${v}/master.m3u8`,
      `/stream/t/${token}/%2e%2e/%2e%2e/%2e%2e/${blobs}/videos/${s}/${v}/master.m3u8`,
      `/stream/t/${token}/${s}/${v}/%2e%2e/%2e%2e/%2e%2e/originals/${s}`,
      `/stream/t/${token}/${s}/${v}/..%2f..%2f..%2foriginals%2f${s}`,
      `/stream/t/${token}/${s}/${v}/..%252f..%252f..%252foriginals%252f${s}`,
      `/stream/t/${otherToken}/${other.id}/../${s}/${v}/master.m3u8`,
      `/stream/t/${otherToken}/${other.id}/%2e%2e/${s}/${v}/master.m3u8`,
      `/stream/${s}/${v}/master.m3u8%00`,
    ];
    const before = answers.length;
    for (const p of tricks) {
      for (const headers of [{}, authHeaders]) {
        const res = await get(edge.url, p, { headers });
        // Not even the admin key, who may see the private video by its own URL.
        expect(res.status, p).toBeGreaterThanOrEqual(400);
        expect(res.status, p).toBeLessThan(500);
        expect(res.body.toString('latin1'), p).not.toMatch(/#EXTM3U|ftyp|moof/);
        expect(res.headers['x-accel-redirect'], p).toBeUndefined();
      }
    }
    // Whatever reached the origin, it handed nginx nothing.
    for (const a of answers.slice(before)) expect(a.accel, a.url).toBeUndefined();
  });

  it('still caches public videos, and their bytes still come from the origin', async () => {
    const first = await playAsViewer(edge.url, open.playback.hls);
    const second = await playAsViewer(edge.url, open.playback.hls);
    const media = second.filter((f) => !isManifest(f.path));
    expect(media.length).toBeGreaterThanOrEqual(4);
    for (const f of [...first, ...second]) {
      expect(f.status, f.path).toBe(200);
      expect(f.body.equals(onDisk(f.path)), f.path).toBe(true);
    }
    for (const f of media) {
      expect(f.cacheStatus, f.path).toBe('HIT');
      expect(f.cacheControl).toBe('public, max-age=31536000, immutable');
    }
    for (const f of media) {
      const fromOrigin = answers.filter((a) => a.url === f.path);
      expect(fromOrigin.length, f.path).toBeGreaterThanOrEqual(1);
      for (const a of fromOrigin) expect(a.accel, f.path).toBeUndefined();
      expect(fromOrigin.some((a) => a.bodyBytes === f.body.length), f.path).toBe(true);
    }
    // And not one private answer was ever a HIT (every X-Cache-Status of a private file checked above).
  });
});

describe('X-Accel-Redirect delivery without nginx in front, and its setting', () => {
  it('answers an authorised private request with an empty body naming the file, and a public one with its bytes', async () => {
    const master = await get(server.baseUrl, tokenHls);
    expect(master.status).toBe(200);
    expect(master.body.length).toBe(0);
    expect(master.headers['x-accel-redirect']).toBe(`${PREFIX}videos/${secret.playback.hls.slice('/stream/'.length)}`);
    expect(master.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(master.headers['cache-control']).toBe('private, no-store');
    expect(master.headers['access-control-allow-origin']).toBe('*');
    expect(master.headers['accept-ranges']).toBeUndefined();
    expect((await get(server.baseUrl, tokenHls, { method: 'HEAD' })).headers['x-accel-redirect']).toBe(master.headers['x-accel-redirect']);
    expect((await get(server.baseUrl, secret.playback.hls)).status).toBe(404);
    const publicMaster = await get(server.baseUrl, open.playback.hls);
    expect(publicMaster.headers['x-accel-redirect']).toBeUndefined();
    expect(publicMaster.body.toString()).toContain('#EXTM3U');
  });

  it('is a path outside StreamForge\'s own, and refuses to start with S3 storage', () => {
    expect(loadConfig({ env: { STREAMFORGE_ACCEL_REDIRECT_PREFIX: '/_streamforge_blobs/' } }).accelRedirectPrefix).toBe('/_streamforge_blobs/');
    for (const bad of ['_streamforge_blobs/', '/_streamforge_blobs', '/stream/blobs/', '/api/x/', '/a/../b/', '/a b/', '/%2e/']) {
      expect(() => loadConfig({ env: { STREAMFORGE_ACCEL_REDIRECT_PREFIX: bad } }), bad).toThrow(/STREAMFORGE_ACCEL_REDIRECT_PREFIX \(accelRedirectPrefix\)/);
    }
    const s3 = () => loadConfig({ env: { STORAGE_URL: 's3://videos/sf', STREAMFORGE_ACCEL_REDIRECT_PREFIX: '/_streamforge_blobs/' } });
    expect(s3).toThrow(ConfigError);
    expect(s3).toThrow(/STREAMFORGE_ACCEL_REDIRECT_PREFIX .*needs local storage .*STREAMFORGE_S3_DELIVERY=redirect/);
  });
});

function expectPrivateFile(f: Fetched): void {
  expect(f.status, f.path).toBe(200);
  expect(f.body.equals(onDisk(f.path)), f.path).toBe(true);
  expect(f.headers.get('content-type'), f.path).toBe(
    f.path.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : f.path.endsWith('.m4s') ? 'video/iso.segment' : 'video/mp4',
  );
  expect(f.cacheControl, f.path).toBe('private, no-store');
  expect(f.cacheStatus, f.path).not.toBe('HIT');
  expect(f.headers.get('set-cookie'), f.path).toBeNull();
  expect(f.headers.get('x-accel-redirect'), f.path).toBeNull();
  expect(f.headers.get('access-control-allow-origin'), f.path).toBe('*');
  expect(f.headers.get('x-content-type-options'), f.path).toBe('nosniff');
}

/** The blob key a /stream/ URL names (token prefix and query left out). */
function keyOf(urlPath: string): string {
  const p = urlPath.split('?')[0]!.replace(/^\/stream\/t\/[^/]+\//, '/stream/');
  return `videos/${p.slice('/stream/'.length)}`;
}

function onDisk(urlPath: string): Buffer {
  return readFileSync(server.ctx.store.localPath!(keyOf(urlPath)));
}

/** Body bytes the origin has handed to Node for /stream/ answers, by its own counters (media, manifests, documents). */
function originBodyBytes(): number {
  const sent = server.ctx.origin.traffic.bytesSent;
  return sent.media + sent.manifest + sent.document;
}

/** Records every /stream/ answer the origin writes: first listener, so nothing is written before it wraps the response. */
function recordOriginAnswers(httpServer: http.Server): void {
  httpServer.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!req.url?.startsWith('/stream/')) return;
    const answer: OriginAnswer = {
      method: req.method ?? '',
      url: req.url,
      range: req.headers.range,
      ifNoneMatch: req.headers['if-none-match'],
      status: 0,
      accel: undefined,
      bodyBytes: 0,
    };
    answers.push(answer);
    const response = res as any;
    const { writeHead, write, end } = response;
    response.writeHead = function (status: number, ...rest: unknown[]) {
      answer.status = status;
      const headers = rest.find((r) => typeof r === 'object' && r !== null);
      const pairs: Array<[string, unknown]> = Array.isArray(headers)
        ? Array.from({ length: headers.length / 2 }, (_, i) => [String(headers[2 * i]), headers[2 * i + 1]])
        : Object.entries((headers ?? {}) as Record<string, unknown>);
      for (const [name, value] of pairs) if (name.toLowerCase() === 'x-accel-redirect') answer.accel = String(value);
      return writeHead.call(this, status, ...rest);
    };
    const count = (chunk: unknown) => {
      if (typeof chunk === 'string' || Buffer.isBuffer(chunk) || chunk instanceof Uint8Array) answer.bodyBytes += Buffer.byteLength(chunk as string | Uint8Array);
    };
    response.write = function (chunk: unknown, ...rest: unknown[]) {
      count(chunk);
      return write.call(this, chunk, ...rest);
    };
    response.end = function (chunk: unknown, ...rest: unknown[]) {
      count(chunk);
      return end.call(this, chunk, ...rest);
    };
  });
}

/** A request with its path sent byte for byte (fetch and URL would normalise `..` and `%2e`). */
function get(baseUrl: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function uploadReady(file: string, visibility: 'public' | 'private'): Promise<any> {
  const up = await uploadFile(server.baseUrl, file, `nginx ${visibility}`, { visibility });
  expect(up.status).toBe(201);
  const events = await followEvents(server.baseUrl, up.body.id);
  expect(events.at(-1)!.event).toBe('ready');
  return events.at(-1)!.data;
}
