/**
 * The shipped nginx edge cache (deploy/nginx/streamforge-edge.conf) in front of a real StreamForge,
 * measured the way players load it: a real nginx runs that very file (only its upstream address,
 * listen port and paths are rewritten, and each rewrite must match exactly once), 20 simulated
 * viewers fetch the master playlist, every media playlist and every segment of every rung through
 * it, 12 of them at once on a cold cache. Requests reaching the origin are counted on the
 * StreamForge HTTP server itself ('request' events), the cache's verdicts from `X-Cache-Status`
 * and nginx's own access log. Also: the API is never cached, Server-Sent Events pass through
 * unbuffered, a processing video's playlists stay fresh through the edge, and Range requests on
 * segments and download.mp4 (sliced) return the origin's bytes.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followEvents, sseEvents, startTestServer, uploadFile, type TestServer } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { isManifest, playAsViewer, resolveUri, startEdge, type Edge, type Fetched } from '../helpers/nginx.js';

const COLD_VIEWERS = 12;
const WARM_VIEWERS = 8;
const VIEWERS = COLD_VIEWERS + WARM_VIEWERS;

interface OriginRequest {
  method: string;
  path: string;
  range: string | undefined;
}

let server: TestServer;
let edge: Edge;
let hlsPath: string;
let mp4Path: string;
let videoId: string;
const originRequests: OriginRequest[] = [];

beforeAll(async () => {
  // No enrichment stages: they would only compete for the two cores with what is measured here.
  server = await startTestServer({}, { stages: [] });
  server.server.on('request', (req: IncomingMessage) => {
    originRequests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, range: req.headers.range });
  });
  const clip = generatedClip({ seconds: 12, width: 640, height: 360, fps: 30 });
  const upload = await uploadFile(server.baseUrl, clip, 'edge cache');
  expect(upload.status).toBe(201);
  videoId = upload.body.id;
  const events = await followEvents(server.baseUrl, videoId);
  const final = events.at(-1)!;
  expect(final.event).toBe('ready');
  hlsPath = final.data.playback.hls;
  mp4Path = final.data.playback.mp4;
  edge = await startEdge({ upstreamPort: new URL(server.baseUrl).port });
});

afterAll(async () => {
  await edge?.stop();
  await server?.close();
});

describe('nginx edge cache (deploy/nginx/streamforge-edge.conf)', () => {
  it('sends every segment to the origin exactly once for 20 viewers, 12 of them a cold burst', async () => {
    const before = originRequests.length;
    const started = Date.now();
    // Wave 1: 12 viewers start together on a cold cache, so they ask for each segment at the same time.
    const cold = await Promise.all(Array.from({ length: COLD_VIEWERS }, () => playAsViewer(edge.url, hlsPath)));
    // Wave 2: 8 late viewers, in pairs.
    const warm: Fetched[][] = [];
    for (let i = 0; i < WARM_VIEWERS; i += 2) warm.push(...(await Promise.all([playAsViewer(edge.url, hlsPath), playAsViewer(edge.url, hlsPath)])));
    const elapsedSec = (Date.now() - started) / 1000;
    const atOrigin = originRequests.slice(before);
    const viewers = [...cold, ...warm];

    // Every viewer got the same complete stream: every answer 200 with identical bytes.
    const reference = new Map(viewers[0]!.map((f) => [f.path, f.body]));
    for (const fetched of viewers) {
      expect(fetched.map((f) => f.path)).toEqual([...reference.keys()]);
      for (const f of fetched) {
        expect(f.status, f.path).toBe(200);
        if (!isManifest(f.path)) expect(f.body.equals(reference.get(f.path)!), f.path).toBe(true);
      }
    }

    const media = [...reference.keys()].filter((p) => !isManifest(p));
    const mediaPlaylists = [...reference.keys()].filter((p) => isManifest(p) && p !== hlsPath);
    expect(media.length).toBeGreaterThanOrEqual(3 * 6); // ≥ 2 video rungs + audio, 6 segments of 2 s each
    expect(mediaPlaylists.length).toBeGreaterThanOrEqual(3);

    // The origin saw each segment and init segment exactly once: proxy_cache_lock held the burst.
    const originCount = (p: string) => atOrigin.filter((r) => r.path === p).length;
    for (const p of media) expect(originCount(p), p).toBe(1);
    // Finished media playlists carry max-age=300: once each. The master says max-age=1 (it never
    // ends, see cache-policy.ts): at most one fetch per second of the run, plus the first.
    for (const p of mediaPlaylists) expect(originCount(p), p).toBe(1);
    expect(originCount(hlsPath)).toBeLessThanOrEqual(Math.ceil(elapsedSec) + 1);
    // Nothing else under /stream/ reached the origin.
    expect(atOrigin.filter((r) => r.path.startsWith('/stream/') && !reference.has(r.path))).toEqual([]);

    // The edge passes the origin's Cache-Control on to players.
    const first = viewers[0]!;
    for (const f of first) {
      if (!isManifest(f.path)) expect(f.cacheControl, f.path).toBe('public, max-age=31536000, immutable');
      else expect(f.cacheControl, f.path).toBe(f.path === hlsPath ? 'public, max-age=1' : 'public, max-age=300');
    }

    // Hit rate of segments, from X-Cache-Status.
    const segmentAnswers = viewers.flat().filter((f) => !isManifest(f.path));
    const hits = segmentAnswers.filter((f) => f.cacheStatus === 'HIT').length;
    const misses = segmentAnswers.filter((f) => f.cacheStatus === 'MISS').length;
    const hitRate = hits / segmentAnswers.length;
    const streamAtOrigin = atOrigin.filter((r) => r.path.startsWith('/stream/')).length;
    const streamAtEdge = viewers.flat().length;
    console.log(
      `edge cache: ${VIEWERS} viewers (${COLD_VIEWERS} cold at once, ${WARM_VIEWERS} later) × ${media.length} segments: ` +
        `segment hit rate ${(hitRate * 100).toFixed(2)} % (${hits} HIT, ${misses} MISS of ${segmentAnswers.length}); ` +
        `/stream/ requests ${streamAtEdge} at the edge → ${streamAtOrigin} at the origin ` +
        `(${media.length} segments once each, ${mediaPlaylists.length} media playlists once each, master ${originCount(hlsPath)}× in ${elapsedSec.toFixed(1)} s)`,
    );
    expect(misses).toBe(media.length);
    expect(hitRate).toBeGreaterThanOrEqual((VIEWERS - 1) / VIEWERS);

    // nginx's own log agrees with the headers.
    const logged = readFileSync(edge.accessLog, 'utf8').split('\n').filter((l) => l.includes(`/stream/${videoId}/`) && !/\.(m3u8|mpd)\s/.test(l));
    expect(logged.filter((l) => l.includes('cache=HIT')).length).toBe(hits);
    expect(logged.filter((l) => l.includes('cache=MISS')).length).toBe(misses);
  });

  it('never caches the API, the health checks or the web app', async () => {
    const before = originRequests.length;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${edge.url}/api/videos/${videoId}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache-status')).toBeNull();
      expect((await res.json()).id).toBe(videoId);
      const health = await fetch(`${edge.url}/health`);
      expect(health.status).toBe(200);
      expect(health.headers.get('x-cache-status')).toBeNull();
      await health.arrayBuffer();
    }
    const atOrigin = originRequests.slice(before);
    expect(atOrigin.filter((r) => r.path === `/api/videos/${videoId}`)).toHaveLength(5);
    expect(atOrigin.filter((r) => r.path === '/health')).toHaveLength(5);
  });

  it('answers Range requests with the origin\'s bytes: segments from the cached file, download.mp4 in slices', async () => {
    const master = await text(`${edge.url}${hlsPath}`);
    const playlistPath = resolveUri(hlsPath, master.split('\n').find((l) => l !== '' && !l.startsWith('#'))!);
    const segmentPath = resolveUri(playlistPath, (await text(`${edge.url}${playlistPath}`)).split('\n').find((l) => l.endsWith('.m4s'))!);
    const before = originRequests.length;

    const segment = Buffer.from(await (await fetch(`${server.baseUrl}${segmentPath}`)).arrayBuffer());
    const ranged = await fetch(`${edge.url}${segmentPath}`, { headers: { Range: 'bytes=100-1099' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-1099/${segment.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(segment.subarray(100, 1100))).toBe(true);
    expect(ranged.headers.get('x-cache-status')).toBe('HIT');

    const mp4 = Buffer.from(await (await fetch(`${server.baseUrl}${mp4Path}`)).arrayBuffer());
    const tail = await fetch(`${edge.url}${mp4Path}`, { headers: { Range: `bytes=${mp4.length - 1000}-` } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(mp4.subarray(mp4.length - 1000))).toBe(true);
    const whole = await fetch(`${edge.url}${mp4Path}`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(mp4)).toBe(true);
    // The slice module asked the origin for 4 MiB slices, never for the client's ranges or the whole.
    const mp4AtOrigin = originRequests.slice(before).filter((r) => r.path === mp4Path);
    const viaEdge = mp4AtOrigin.filter((r) => r.range !== undefined);
    expect(viaEdge.length).toBeGreaterThanOrEqual(1);
    expect(viaEdge.length).toBeLessThanOrEqual(Math.ceil(mp4.length / (4 << 20)));
    for (const r of viaEdge) expect(r.range).toMatch(/^bytes=\d+-\d+$/);
  });

  it('passes Server-Sent Events through unbuffered and keeps a processing video\'s playlists fresh', async () => {
    // Uploaded through the edge (multipart POST, streamed: proxy_request_buffering off).
    const clip = generatedClip({ seconds: 24, width: 640, height: 360, fps: 30 });
    const upload = await uploadFile(edge.url, clip, 'edge live');
    expect(upload.status).toBe(201);
    const id = upload.body.id as string;

    const res = await fetch(`${edge.url}/api/videos/${id}/events`, { signal: AbortSignal.timeout(120_000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cache-status')).toBeNull();
    const received: Array<{ event: string; data: any; atMs: number }> = [];
    let polling: Promise<{ bodies: Set<string>; edgeRequests: number; startedAt: number; path: string }> | null = null;
    for await (const { event, data } of sseEvents(res.body!)) {
      received.push({ event, data, atMs: Date.now() });
      // Once playable, a player polls the live playlist; so do we, through the edge, until ready.
      if (event === 'playable' && polling === null) polling = pollPlaylistUntilReady(id);
    }
    const names = received.map((e) => e.event);
    expect(names[0]).toBe('state');
    expect(received[0]!.data.status).toBe('processing');
    expect(names.at(-1)).toBe('ready');
    // Events arrived one by one while the stream stayed open, not all at its end: the first came
    // well before the last, and progress events came in between.
    const progressBeforeEnd = received.filter((e) => e.event === 'progress' && received.at(-1)!.atMs - e.atMs >= 500);
    expect(progressBeforeEnd.length).toBeGreaterThanOrEqual(2);
    expect(received.at(-1)!.atMs - received[0]!.atMs).toBeGreaterThanOrEqual(1000);

    // The live playlist changed under the players (max-age=1 at the edge), yet the origin saw it at
    // most about once a second, however often it was polled.
    expect(polling).not.toBeNull();
    const live = await polling!;
    const elapsedSec = (Date.now() - live.startedAt) / 1000;
    const atOrigin = originRequests.filter((r) => r.path === live.path).length;
    console.log(`edge cache, live playlist: ${live.edgeRequests} polls at the edge → ${atOrigin} at the origin in ${elapsedSec.toFixed(1)} s, ${live.bodies.size} versions seen`);
    expect(live.bodies.size).toBeGreaterThanOrEqual(2);
    expect(atOrigin).toBeLessThanOrEqual(Math.ceil(elapsedSec) + 2);
    expect(live.edgeRequests).toBeGreaterThan(atOrigin);
  });
});

/** Polls the top rung's playlist through the edge every 100 ms until the video is ready. */
async function pollPlaylistUntilReady(id: string): Promise<{ bodies: Set<string>; edgeRequests: number; startedAt: number; path: string }> {
  const startedAt = Date.now();
  const video = await (await fetch(`${server.baseUrl}/api/videos/${id}`)).json();
  const master = await text(`${edge.url}${video.playback.hls}`);
  const path = resolveUri(video.playback.hls, master.split('\n').find((l) => l !== '' && !l.startsWith('#'))!);
  const bodies = new Set<string>();
  let edgeRequests = 0;
  for (;;) {
    const res = await fetch(`${edge.url}${path}`);
    edgeRequests++;
    if (res.status === 200) bodies.add(await res.text());
    else await res.arrayBuffer();
    const status = (await (await fetch(`${server.baseUrl}/api/videos/${id}`)).json()).status;
    if (status !== 'processing') return { bodies, edgeRequests, startedAt, path };
    await new Promise((r) => setTimeout(r, 100)); // a player's polling interval, not synchronisation
  }
}

async function text(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.text();
}
