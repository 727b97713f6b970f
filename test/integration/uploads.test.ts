/**
 * Resumable uploads (tus 1.0) over a real server with tus-js-client, an independent client: chunked
 * upload interrupted and resumed (bytes identical, video ready), a retried completion that creates
 * no second video, the size cap, the status JSON, acceptance of an upload completed just before a
 * restart, and a kill -9 of the server mid-upload followed by a resume.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import { Upload as TusUpload } from '@tus/server';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, followEvents, startTestServer, storedKeys, type TestServer } from '../helpers/app-server.js';
import { freePort, startServerProcess } from '../helpers/server-process.js';
import { corpusFile } from '../helpers/media.js';

const SOURCE = corpusFile('ts_mpeg2_mp2_1080p24__androidx_bbb_2500ms.ts'); // 1.9 MB
const CHUNK = 64 * 1024;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** tus-js-client's UrlStorage, in memory: what a browser keeps in localStorage. */
function memoryUrlStorage() {
  const entries = new Map<string, { fingerprint: string; upload: any }>();
  let next = 0;
  return {
    async findAllUploads() {
      return [...entries.entries()].map(([key, e]) => ({ ...e.upload, urlStorageKey: key }));
    },
    async findUploadsByFingerprint(fingerprint: string) {
      return [...entries.entries()].filter(([, e]) => e.fingerprint === fingerprint).map(([key, e]) => ({ ...e.upload, urlStorageKey: key }));
    },
    async removeUpload(key: string) {
      entries.delete(key);
    },
    async addUpload(fingerprint: string, upload: any) {
      const key = `tus::${fingerprint}::${next++}`;
      entries.set(key, { fingerprint, upload });
      return key;
    },
  };
}

interface TusRun {
  upload: tus.Upload;
  /** Resolves with the video id header of the last response, rejects on error. */
  done: Promise<{ videoId: string | undefined }>;
}

function startTus(data: Buffer, options: tus.UploadOptions & { stopAt?: number }): TusRun {
  let upload!: tus.Upload;
  let videoId: string | undefined;
  const done = new Promise<{ videoId: string | undefined }>((resolve, reject) => {
    upload = new tus.Upload(data, {
      chunkSize: CHUNK,
      retryDelays: null,
      metadata: { filename: path.basename(SOURCE), title: 'Resumed upload' },
      headers: { ...authHeaders },
      ...options,
      onAfterResponse: (_req, res) => {
        videoId = res.getHeader('StreamForge-Video-Id') ?? videoId;
      },
      onSuccess: () => resolve({ videoId }),
      onError: reject,
    });
  });
  return { upload, done };
}

/** Resolves once the upload has sent at least `bytes` (via onChunkComplete: accepted by the server). */
function untilAccepted(options: tus.UploadOptions, bytes: number): { options: tus.UploadOptions; reached: Promise<number> } {
  let resolveReached!: (n: number) => void;
  const reached = new Promise<number>((r) => (resolveReached = r));
  return {
    reached,
    options: {
      ...options,
      onChunkComplete: (_chunk, accepted) => {
        if (accepted >= bytes) resolveReached(accepted);
      },
    },
  };
}

async function json(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: authHeaders });
  return { status: res.status, body: await res.json() };
}

describe('resumable uploads (in-process server)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ maxUploadBytes: 3_000_000, segmentSeconds: 2 });
  });
  afterAll(async () => {
    await server?.close();
  });

  const endpoint = () => `${server.baseUrl}/api/uploads`;
  const storedOriginals = () => storedKeys(server, 'originals/');

  it('uploads in chunks, is aborted, resumes from the previous upload, and the video becomes ready', async () => {
    const data = readFileSync(SOURCE);
    const urlStorage = memoryUrlStorage();
    const first = untilAccepted({ endpoint: endpoint(), urlStorage }, data.length / 3);
    const run1 = startTus(data, first.options);
    run1.done.catch(() => {}); // abort() settles nothing; a late error is irrelevant
    run1.upload.start();
    const accepted = await first.reached;
    await run1.upload.abort();
    expect(accepted).toBeLessThan(data.length);

    const uploadId = run1.upload.url!.split('/').pop()!;
    const partial = await json(`${server.baseUrl}/api/uploads/${uploadId}`);
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ uploadId, size: data.length, complete: false, videoId: null });
    expect(partial.body.offset).toBeGreaterThanOrEqual(accepted);
    expect(partial.body.offset).toBeLessThan(data.length);

    // A new client session finds the stored URL and continues from the server's offset.
    let firstPatchOffset = -1;
    const run2 = startTus(data, {
      endpoint: endpoint(),
      urlStorage,
      onBeforeRequest: (req) => {
        if (req.getMethod() === 'PATCH' && firstPatchOffset < 0) firstPatchOffset = Number(req.getHeader('Upload-Offset'));
      },
    });
    const previous = await run2.upload.findPreviousUploads();
    expect(previous).toHaveLength(1);
    run2.upload.resumeFromPreviousUpload(previous[0]!);
    run2.upload.start();
    const { videoId } = await run2.done;
    expect(run2.upload.url).toBe(run1.upload.url);
    // Resumed, not restarted. (The aborted PATCH may still land after our status read: ≥, not =.)
    expect(firstPatchOffset).toBeGreaterThanOrEqual(partial.body.offset);
    expect(firstPatchOffset).toBeLessThan(data.length);
    expect(videoId).toMatch(/^[0-9A-Za-z]{12}$/);

    const stored = await server.ctx.store.getBytes(`originals/${videoId!}`);
    expect(sha256(stored)).toBe(sha256(data));

    const status = await json(`${server.baseUrl}/api/uploads/${uploadId}`);
    expect(status.body).toEqual({ uploadId, offset: data.length, size: data.length, complete: true, videoId });

    const events = await followEvents(server.baseUrl, videoId!);
    expect(events.at(-1)!.event).toBe('ready');
    const video = (await json(`${server.baseUrl}/api/videos/${videoId}`)).body;
    expect(video).toMatchObject({ id: videoId, status: 'ready', title: 'Resumed upload' });
  }, 180_000);

  it('a retried completion (HEAD, empty PATCH at the end, status) creates no second video', async () => {
    const data = readFileSync(corpusFile('h264_aac_1080x720_1s__androidx_sample.mp4'));
    const run = startTus(data, { endpoint: endpoint(), metadata: { filename: 'retry.mp4' } });
    run.upload.start();
    const { videoId } = await run.done;
    expect(videoId).toBeTruthy();
    const url = run.upload.url!;
    const headers = { 'Tus-Resumable': '1.0.0', ...authHeaders };

    const head = await fetch(url, { method: 'HEAD', headers });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(data.length));
    expect(head.headers.get('x-content-type-options')).toBe('nosniff');

    // What a client does when the final PATCH's response was lost: send it again at the end.
    for (let i = 0; i < 3; i++) {
      const patch = await fetch(url, {
        method: 'PATCH',
        headers: { ...headers, 'Upload-Offset': String(data.length), 'Content-Type': 'application/offset+octet-stream' },
        body: Buffer.alloc(0),
      });
      expect(patch.status).toBe(204);
      expect(patch.headers.get('streamforge-video-id')).toBe(videoId);
    }
    const status = await json(`${server.baseUrl}/api/uploads/${url.split('/').pop()}`);
    expect(status.body.videoId).toBe(videoId);

    const videos = (await json(`${server.baseUrl}/api/videos?limit=100`)).body.videos as Array<{ id: string; title: string }>;
    expect(videos.filter((v) => v.id === videoId)).toHaveLength(1);
    expect(videos.filter((v) => v.title === 'retry')).toHaveLength(1);
    expect((await storedOriginals()).filter((k) => k === videoId)).toHaveLength(1);
  }, 60_000);

  it('refuses an upload over the size cap with 413 and stores nothing', async () => {
    const beforeOriginals = await storedOriginals();
    const beforeUploads = readdirSync(path.join(server.dataDir, 'uploads'));
    const big = readFileSync(corpusFile('short_0.34s_hevc_8k__androidx_8k24fps_300ms.mp4')); // 3.5 MB > 3 MB
    const run = startTus(big, { endpoint: endpoint() });
    run.upload.start();
    const error = (await run.done.then(() => null, (err: unknown) => err)) as tus.DetailedError;
    expect(error).toBeInstanceOf(Error);
    expect(error.originalResponse?.getStatus()).toBe(413);
    expect(error.originalResponse?.getBody()).toMatch(/3000000 byte limit \(STREAMFORGE_MAX_UPLOAD_BYTES\)/);
    expect(readdirSync(path.join(server.dataDir, 'uploads'))).toEqual(beforeUploads);
    expect(await storedOriginals()).toEqual(beforeOriginals);

    // Lying about the length at creation does not help: the body is cut at the declared size, and
    // a deferred length above the cap is refused too.
    const deferred = await fetch(endpoint(), { method: 'POST', headers: { ...authHeaders, 'Tus-Resumable': '1.0.0', 'Upload-Defer-Length': '1' } });
    expect(deferred.status).toBe(201);
    const patch = await fetch(new URL(deferred.headers.get('location')!, server.baseUrl), {
      method: 'PATCH',
      headers: { ...authHeaders, 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Upload-Length': '3000001', 'Content-Type': 'application/offset+octet-stream' },
      body: Buffer.alloc(0),
    });
    expect(patch.status).toBe(413);
  }, 60_000);

  it('GET /api/uploads/:id answers JSON for a known upload and 404 otherwise', async () => {
    const created = await fetch(endpoint(), {
      method: 'POST',
      headers: { ...authHeaders, 'Tus-Resumable': '1.0.0', 'Upload-Length': '1000', 'Upload-Metadata': `filename ${Buffer.from('a.mp4').toString('base64')}` },
    });
    expect(created.status).toBe(201);
    const uploadId = created.headers.get('location')!.split('/').pop()!;
    expect(await json(`${server.baseUrl}/api/uploads/${uploadId}`)).toEqual({
      status: 200,
      body: { uploadId, offset: 0, size: 1000, complete: false, videoId: null },
    });
    expect((await json(`${server.baseUrl}/api/uploads/AAAAAAAAAAAA`)).status).toBe(404);
    expect((await json(`${server.baseUrl}/api/uploads/not-an-id`)).status).toBe(404);

    // Termination: the upload is gone afterwards.
    const deleted = await fetch(`${server.baseUrl}/api/uploads/${uploadId}`, { method: 'DELETE', headers: { ...authHeaders, 'Tus-Resumable': '1.0.0' } });
    expect(deleted.status).toBe(204);
    expect((await json(`${server.baseUrl}/api/uploads/${uploadId}`)).status).toBe(404);
  });

  it('locks an upload: a second PATCH stops the first, then sees its offset (409), bytes never interleave', async () => {
    const size = 200_000;
    const created = await fetch(endpoint(), { method: 'POST', headers: { ...authHeaders, 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size) } });
    const url = new URL(created.headers.get('location')!, server.baseUrl);
    const uploadId = url.pathname.split('/').pop()!;
    const patchHeaders = (offset: number) => ({
      ...authHeaders,
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': String(offset),
      'Content-Type': 'application/offset+octet-stream',
    });

    // PATCH A sends half its body, then stalls while holding the lock.
    let stallA!: ReadableStreamDefaultController<Uint8Array>;
    const bodyA = new ReadableStream<Uint8Array>({
      start(controller) {
        stallA = controller;
        controller.enqueue(new Uint8Array(size / 2).fill(0x61));
      },
    });
    const patchA = fetch(url, { method: 'PATCH', headers: patchHeaders(0), body: bodyA, duplex: 'half' } as RequestInit).then(
      (res) => res.status,
      () => 'reset',
    );
    let offset = 0;
    for (let i = 0; i < 200 && offset < size / 2; i++) {
      offset = (await json(`${server.baseUrl}/api/uploads/${uploadId}`)).body.offset;
      if (offset < size / 2) await new Promise((r) => setTimeout(r, 25));
    }
    expect(offset).toBe(size / 2);

    const patchB = await fetch(url, { method: 'PATCH', headers: patchHeaders(0), body: new Uint8Array(size).fill(0x62) });
    expect(patchB.status).toBe(409);
    stallA.close();
    await patchA;
    const bytes = readFileSync(path.join(server.dataDir, 'uploads', uploadId));
    expect(bytes.length).toBe(size / 2);
    expect(bytes.every((b) => b === 0x61)).toBe(true);
  });

  it('refuses a title that is not display text and a client-set video id', async () => {
    const meta = (pairs: Record<string, string>) =>
      Object.entries(pairs).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
    const badTitle = await fetch(endpoint(), {
      method: 'POST',
      headers: { ...authHeaders, 'Tus-Resumable': '1.0.0', 'Upload-Length': '10', 'Upload-Metadata': meta({ title: ' '.repeat(3) }) },
    });
    expect(badTitle.status).toBe(400);
    const spoof = await fetch(endpoint(), {
      method: 'POST',
      headers: { ...authHeaders, 'Tus-Resumable': '1.0.0', 'Upload-Length': '10', 'Upload-Metadata': meta({ streamforgeVideoId: 'AAAAAAAAAAAA' }) },
    });
    expect(spoof.status).toBe(201);
    const head = await fetch(new URL(spoof.headers.get('location')!, server.baseUrl), { method: 'HEAD', headers: { ...authHeaders, 'Tus-Resumable': '1.0.0' } });
    expect(head.headers.get('upload-metadata') ?? '').not.toMatch(/streamforgeVideoId/);
  });
});

describe('an upload completed just before a restart', () => {
  it('becomes exactly one video when the server starts again', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sf-upload-restart-'));
    const data = readFileSync(corpusFile('h264_aac_1080x720_1s__androidx_sample.mp4'));
    // The state a kill -9 leaves between the last byte being written and the video being created.
    mkdirSync(path.join(dataDir, 'uploads'), { recursive: true });
    const store = new FileStore({ directory: path.join(dataDir, 'uploads') });
    const uploadId = 'Restart00001';
    await store.create(new TusUpload({ id: uploadId, size: data.length, offset: 0, metadata: { filename: 'restart.mp4' }, creation_date: new Date().toISOString() }));
    await store.write(Readable.from([data]), uploadId, 0);

    const server = await startTestServer({ dataDir });
    try {
      const status = await json(`${server.baseUrl}/api/uploads/${uploadId}`);
      expect(status.body).toMatchObject({ uploadId, complete: true, videoId: uploadId });
      const videos = (await json(`${server.baseUrl}/api/videos`)).body.videos as Array<{ id: string }>;
      expect(videos.map((v) => v.id)).toEqual([uploadId]);
      expect(sha256(await server.ctx.store.getBytes(`originals/${uploadId}`))).toBe(sha256(data));
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true }); // ours, not the helper's temp dir
    }
  }, 60_000);
});

describe('kill -9 of the server mid-upload', () => {
  let dataDir = '';
  let child: ChildProcess | null = null;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sf-upload-crash-'));
  });
  afterAll(() => {
    child?.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const startServer = (port: number) => startServerProcess({ port, dataDir });

  it('resumes after the restart; the bytes are identical and there is one video', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const data = readFileSync(SOURCE);
    child = await startServer(port);

    const first = untilAccepted({ endpoint: `${baseUrl}/api/uploads` }, data.length / 2);
    const run1 = startTus(data, first.options);
    const failed = run1.done.then(() => null, (err: unknown) => err);
    run1.upload.start();
    await first.reached;
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    // The client notices the dead server on its next request (no retries configured).
    expect(await failed).toBeInstanceOf(Error);
    const url = run1.upload.url!;

    child = await startServer(port);
    const uploadId = url.split('/').pop()!;
    const afterCrash = await json(`${baseUrl}/api/uploads/${uploadId}`);
    expect(afterCrash.body.complete).toBe(false);
    expect(afterCrash.body.offset).toBeGreaterThanOrEqual(data.length / 2);

    const run2 = startTus(data, { endpoint: `${baseUrl}/api/uploads`, uploadUrl: url });
    run2.upload.start();
    const { videoId } = await run2.done;
    expect(videoId).toBe(uploadId);
    expect(sha256(readFileSync(path.join(dataDir, 'blobs', 'originals', videoId!)))).toBe(sha256(data));

    const events = await followEvents(baseUrl, videoId!);
    expect(events.at(-1)!.event).toBe('ready');
    const videos = (await json(`${baseUrl}/api/videos`)).body.videos as Array<{ id: string; status: string }>;
    expect(videos).toHaveLength(1);
    expect(videos[0]).toMatchObject({ id: videoId, status: 'ready' });
  }, 240_000);
});
