/**
 * Resumable uploads with two API processes behind one address (#5): two real StreamForge servers
 * sharing one PostgreSQL database, one blob store (`file:` on a shared directory), one uploads
 * directory (STREAMFORGE_UPLOADS_DIR, the shared volume) and one Redis (the upload locker).
 *
 * - tus-js-client uploads with checksums while its PATCHes alternate between the servers: the upload
 *   becomes exactly one video, byte-identical, whichever server is asked afterwards.
 * - A PATCH still streaming into A while the same chunk arrives at B (a client retrying after a
 *   dropped connection): B's lock request reaches A through Redis, A's stale request is cut
 *   (tus's lockDrainTimeout) and its partial chunk discarded (checksum: 460), and B's PATCH then
 *   writes the chunk — never both interleaved. Without a checksum the cut request's partial bytes
 *   count, and B's PATCH, now at a stale offset, is answered 409; the client resumes from HEAD.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, startTestServer, type TestServer } from '../helpers/app-server.js';
import { corpusFile } from '../helpers/media.js';
import { dropPostgresTestDatabase, postgresTestUrl } from '../helpers/postgres.js';
import { deleteRedisPrefix, redisTestUrl, uniqueRedisPrefix } from '../helpers/redis.js';

const SOURCE = corpusFile('ts_mpeg2_mp2_1080p24__androidx_bbb_2500ms.ts'); // 1.9 MB
const TUS = { 'Tus-Resumable': '1.0.0', ...authHeaders };

const redisUrl = await redisTestUrl();
// Only made when the suite can run: a skipped suite drops nothing.
const databaseUrl = redisUrl ? await postgresTestUrl() : null;

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function uploadChecksum(data: Uint8Array): string {
  return `sha256 ${createHash('sha256').update(data).digest('base64')}`;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
}

/** One request with node:http (fetch cannot hold a body half-sent and still read an early response). */
function request(url: string, options: { method: string; headers?: Record<string, string>; body?: Uint8Array }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method, headers: { ...TUS, ...options.headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function patchRequest(url: string, offset: number, body: Uint8Array, headers: Record<string, string> = {}): Promise<RawResponse> {
  return request(url, {
    method: 'PATCH',
    headers: { 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(body.length), ...headers },
    body,
  });
}

async function headOffset(url: string): Promise<number> {
  const res = await request(url, { method: 'HEAD' });
  expect(res.status).toBe(200);
  return Number(res.headers['upload-offset']);
}

/**
 * A PATCH whose body is sent in part and then held, like a client on a stalled connection. Settles
 * with the response, or with the error the connection ends in if the server cuts it first.
 */
function stalledPatch(url: string, options: { offset: number; chunk: Uint8Array; sendBytes: number; headers?: Record<string, string> }) {
  const { offset, chunk, sendBytes } = options;
  let req!: http.ClientRequest;
  const outcome = new Promise<{ status: number } | { error: string }>((resolve) => {
    req = http.request(url, {
      method: 'PATCH',
      headers: {
        ...TUS,
        'Upload-Offset': String(offset),
        'Content-Type': 'application/offset+octet-stream',
        'Content-Length': String(chunk.length),
        ...options.headers,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode! });
    });
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.write(chunk.subarray(0, sendBytes));
  });
  return { outcome, cancel: () => req.destroy() };
}

/** `promise`, or a failure naming `what` if it has not settled within `timeoutMs`. */
function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer!: NodeJS.Timeout;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Waits until `check()` holds, re-checking every 20 ms; the servers emit no event for it. */
async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!databaseUrl || !redisUrl)('resumable uploads across two API processes (shared volume + Redis locker)', () => {
  let shared: string;
  let uploadsDir: string;
  let a: TestServer;
  let b: TestServer;
  const redisPrefix = uniqueRedisPrefix();

  beforeAll(async () => {
    shared = mkdtempSync(path.join(tmpdir(), 'sf-scale-out-'));
    uploadsDir = path.join(shared, 'uploads');
    const common = {
      databaseUrl: databaseUrl!,
      redisUrl: redisUrl!,
      redisPrefix,
      storageUrl: `file:${path.join(shared, 'blobs')}`,
      uploadsDir,
      // Only the upload path is under test: the video's job is queued, no process transcodes it.
      embeddedWorker: false,
      maxUploadBytes: 3_000_000,
    };
    a = await startTestServer(common);
    b = await startTestServer(common);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    if (databaseUrl) await dropPostgresTestDatabase(databaseUrl);
    await deleteRedisPrefix(redisUrl!, redisPrefix);
    rmSync(shared, { recursive: true, force: true });
  });

  const uploadFile = (url: string) => path.join(uploadsDir, url.split('/').pop()!);

  async function createUpload(server: TestServer, size: number): Promise<string> {
    const res = await request(`${server.baseUrl}/api/uploads`, { method: 'POST', headers: { 'Upload-Length': String(size) } });
    expect(res.status).toBe(201);
    return new URL(res.headers.location!, server.baseUrl).toString();
  }

  it('tus-js-client with checksums, PATCHes alternating between A and B: one video, bytes identical', async () => {
    const data = readFileSync(SOURCE);
    // Which server each PATCH went to, and the offset it answered.
    const patches: Array<{ server: 'A' | 'B'; offset: number; status: number }> = [];
    let patchCount = 0;
    const base = new tus.DefaultHttpStack({});
    // A load balancer without sticky sessions: every other PATCH goes to B; each carries its checksum.
    const balancingStack: tus.HttpStack = {
      getName: () => 'balancing',
      createRequest(method, url) {
        let target: 'A' | 'B' = 'A';
        if (method === 'PATCH') target = patchCount++ % 2 === 0 ? 'A' : 'B';
        const routed = new URL(url);
        routed.host = new URL(target === 'A' ? a.baseUrl : b.baseUrl).host;
        const inner = base.createRequest(method, routed.toString());
        return {
          getMethod: () => inner.getMethod(),
          getURL: () => url,
          setHeader: (name, value) => inner.setHeader(name, value),
          getHeader: (name) => inner.getHeader(name),
          setProgressHandler: (handler) => inner.setProgressHandler(handler),
          abort: () => inner.abort(),
          getUnderlyingObject: () => inner.getUnderlyingObject(),
          async send(body) {
            if (method === 'PATCH') {
              if (!(body instanceof Uint8Array)) throw new Error('expected the chunk as bytes');
              inner.setHeader('Upload-Checksum', uploadChecksum(body));
            }
            const res = await inner.send(body);
            if (method === 'PATCH') patches.push({ server: target, offset: Number(res.getHeader('Upload-Offset')), status: res.getStatus() });
            return res;
          },
        };
      },
    };
    let videoId: string | undefined;
    const upload = await new Promise<tus.Upload>((resolve, reject) => {
      const u: tus.Upload = new tus.Upload(data, {
        endpoint: `${a.baseUrl}/api/uploads`,
        headers: { ...authHeaders },
        chunkSize: 256 * 1024,
        retryDelays: null,
        httpStack: balancingStack,
        metadata: { filename: path.basename(SOURCE), title: 'Across processes' },
        onAfterResponse: (_req, res) => {
          videoId = res.getHeader('StreamForge-Video-Id') ?? videoId;
        },
        onSuccess: () => resolve(u),
        onError: reject,
      });
      u.start();
    });

    expect(patches.length).toBe(Math.ceil(data.length / (256 * 1024)));
    expect(new Set(patches.map((p) => p.server))).toEqual(new Set(['A', 'B']));
    expect(patches.every((p) => p.status === 204)).toBe(true);
    // Each PATCH continued exactly where the previous one — on the other process — ended.
    expect(patches.map((p) => p.offset)).toEqual(patches.map((_, i) => Math.min((i + 1) * 256 * 1024, data.length)));

    const uploadId = upload.url!.split('/').pop()!;
    expect(videoId).toBe(uploadId);
    expect(sha256(readFileSync(path.join(shared, 'blobs', 'originals', videoId!)))).toBe(sha256(data));
    // Both processes see the same upload and the same single video.
    for (const server of [a, b]) {
      const status = await (await fetch(`${server.baseUrl}/api/uploads/${uploadId}`, { headers: authHeaders })).json();
      expect(status).toEqual({ uploadId, offset: data.length, size: data.length, complete: true, videoId });
      const { videos } = (await (await fetch(`${server.baseUrl}/api/videos?limit=100`)).json()) as { videos: Array<{ id: string; title: string }> };
      expect(videos.filter((v) => v.title === 'Across processes').map((v) => v.id)).toEqual([videoId]);
    }
  });

  it('a PATCH stalled on A and the same chunk sent to B: A is cut and its partial chunk discarded (460), B writes it, no interleaving', async () => {
    const data = readFileSync(SOURCE);
    const url = await createUpload(a, data.length);
    const chunk = data.subarray(0, 512 * 1024);

    const stale = stalledPatch(url, { offset: 0, chunk, sendBytes: 128 * 1024, headers: { 'Upload-Checksum': uploadChecksum(chunk) } });
    // A holds the upload's lock and is writing: part of the chunk is on the shared volume.
    await until(() => statSync(uploadFile(url)).size > 0, 'A has started writing');

    const sentToB = Date.now();
    const retried = await patchRequest(url.replace(new URL(a.baseUrl).host, new URL(b.baseUrl).host), 0, chunk, {
      'Upload-Checksum': uploadChecksum(chunk),
    });
    const answeredB = Date.now();
    // B only got the lock because A's request let go of it: that request is over (or about to be).
    const staleOutcome = await within(stale.outcome, 2_000, "A's stalled PATCH was not cut");
    stale.cancel();

    // B waited for A to let go (requestRelease over Redis, then tus's 3 s lockDrainTimeout) — not
    // for A's lease to run out (10 s) — and then wrote the whole chunk.
    expect(retried.status).toBe(204);
    expect(Number(retried.headers['upload-offset'])).toBe(chunk.length);
    expect(answeredB - sentToB).toBeLessThan(9_000);
    // A's request: answered 460 (its partial chunk failed its checksum and was cut back), or, if the
    // server closed the connection before the client read that answer, a connection error.
    if ('status' in staleOutcome) expect(staleOutcome.status).toBe(460);
    else expect(staleOutcome.error).toMatch(/^(ECONNRESET|EPIPE)$/);
    console.info(`stalled PATCH on A: ${JSON.stringify(staleOutcome)}; B's PATCH answered after ${answeredB - sentToB} ms`);

    // The rest, on A; offsets only ever grew: 0 → chunk → size.
    const offsets = [await headOffset(url)];
    const rest = await patchRequest(url, chunk.length, data.subarray(chunk.length), { 'Upload-Checksum': uploadChecksum(data.subarray(chunk.length)) });
    expect(rest.status).toBe(204);
    offsets.push(Number(rest.headers['upload-offset']));
    expect(offsets).toEqual([chunk.length, data.length]);
    expect(sha256(readFileSync(uploadFile(url)))).toBe(sha256(data));
    const videoId = rest.headers['streamforge-video-id'] as string;
    expect(videoId).toBe(url.split('/').pop());
    expect(sha256(readFileSync(path.join(shared, 'blobs', 'originals', videoId)))).toBe(sha256(data));
  });

  it('without a checksum: the cut PATCH keeps its partial bytes, B (stale offset) gets 409, HEAD-then-PATCH completes the file intact', async () => {
    const data = readFileSync(SOURCE);
    const url = await createUpload(a, data.length);
    const chunk = data.subarray(0, 512 * 1024);
    const urlOnB = url.replace(new URL(a.baseUrl).host, new URL(b.baseUrl).host);

    const stale = stalledPatch(url, { offset: 0, chunk, sendBytes: 128 * 1024 });
    await until(() => statSync(uploadFile(url)).size >= 128 * 1024, 'A has written what it received');

    const retried = await patchRequest(urlOnB, 0, chunk);
    const staleOutcome = await within(stale.outcome, 2_000, "A's stalled PATCH was not cut");
    stale.cancel();
    // The cut request itself succeeded with what it had received (or its answer was lost with the connection).
    if ('status' in staleOutcome) expect(staleOutcome.status).toBe(204);
    // tus: the offsets no longer match once the lock is B's — 409 Conflict, nothing written by B.
    expect(retried.status).toBe(409);
    console.info(`stalled PATCH on A (no checksum): ${JSON.stringify(staleOutcome)}; B: ${retried.status}`);

    const offsets: number[] = [];
    let offset = await headOffset(urlOnB);
    offsets.push(offset);
    expect(offset).toBe(128 * 1024); // exactly what A received, no more, no less
    // Resume as a client does: HEAD, then PATCH from there, alternating processes.
    for (const target of [urlOnB, url]) {
      const end = target === urlOnB ? 1024 * 1024 : data.length;
      const res = await patchRequest(target, offset, data.subarray(offset, end));
      expect(res.status).toBe(204);
      offset = Number(res.headers['upload-offset']);
      offsets.push(offset);
    }
    expect(offsets).toEqual([128 * 1024, 1024 * 1024, data.length]);
    expect(sha256(readFileSync(uploadFile(url)))).toBe(sha256(data));
  });
});
