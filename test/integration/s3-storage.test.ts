/**
 * StreamForge with its blobs in S3 (a real s3rver, test/helpers/s3-server.ts): an upload is processed
 * from and into the bucket, and /stream/ serves it in both delivery modes — `proxy` (bytes through the
 * origin, 200 and Range 206, small files from its memory cache) and `redirect` (manifests from the
 * origin, media as a 302 to a presigned URL that the S3 server answers).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { S3RVER_CREDENTIALS, S3RVER_REGION, startS3Server, type S3TestServer } from '../helpers/s3-server.js';

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

async function startOnS3(bucket: string, overrides: Record<string, unknown>): Promise<TestServer> {
  return startTestServer(
    {
      storageUrl: `s3://${bucket}/streamforge`,
      s3Endpoint: s3.endpoint,
      s3Region: S3RVER_REGION,
      s3AccessKeyId: S3RVER_CREDENTIALS.accessKeyId,
      s3SecretAccessKey: S3RVER_CREDENTIALS.secretAccessKey,
      ...overrides,
    },
    // Enrichment stages are not what this test is about; the ladder, the MP4 and the poster are.
    { stages: [] },
  );
}

/** Uploads a short clip and waits until it is ready; returns the video's master playlist URL path. */
async function uploadAndWait(server: TestServer): Promise<{ id: string; master: string; mp4: string }> {
  const { status, body } = await uploadFile(server.baseUrl, generatedClip({ seconds: 4, width: 640, height: 360, fps: 25 }));
  expect(status).toBe(201);
  const events = await followEvents(server.baseUrl, body.id);
  expect(events.at(-1)).toMatchObject({ event: 'ready' });
  const video = await (await fetch(`${server.baseUrl}/api/videos/${body.id}`)).json();
  return { id: body.id, master: video.playback.hls, mp4: video.playback.mp4 };
}

/** The first segment of the first rendition the master playlist names, as a URL path. */
async function firstSegment(server: TestServer, master: string): Promise<{ playlist: string; segment: string }> {
  const masterText = await (await fetch(`${server.baseUrl}${master}`)).text();
  const rendition = masterText.split('\n').find((line) => line.endsWith('.m3u8'))!;
  const playlist = new URL(rendition, `${server.baseUrl}${master}`).pathname;
  const playlistText = await (await fetch(`${server.baseUrl}${playlist}`)).text();
  const segment = playlistText.split('\n').find((line) => line.endsWith('.m4s'))!;
  return { playlist, segment: new URL(segment, `${server.baseUrl}${playlist}`).pathname };
}

async function bucketKeys(bucket: string): Promise<string[]> {
  const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((object) => object.Key!);
}

describe('S3 storage, proxy delivery', () => {
  let bucket: string;
  let server: TestServer;
  beforeAll(async () => {
    bucket = await s3.createBucket();
    // Files above 64 KiB (the segments) are streamed from S3 with ranged GETs; smaller ones are cached.
    server = await startOnS3(bucket, { s3Delivery: 'proxy', segmentCacheMaxFileBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('processes an upload from and into the bucket and serves it through /stream/ with ranges', async () => {
    const { id, master, mp4 } = await uploadAndWait(server);
    const keys = await bucketKeys(bucket);
    expect(keys).toContain(`streamforge/originals/${id}`);
    expect(keys.some((key) => key.startsWith(`streamforge/videos/${id}/`) && key.endsWith('/master.m3u8'))).toBe(true);
    expect(existsSync(path.join(server.dataDir, 'blobs'))).toBe(false);

    const masterResponse = await fetch(`${server.baseUrl}${master}`);
    expect(masterResponse.status).toBe(200);
    expect(masterResponse.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(await masterResponse.text()).toMatch(/^#EXTM3U/);

    const { segment } = await firstSegment(server, master);
    const stored = await server.ctx.store.getBytes(segment.replace(/^\/stream\//, 'videos/'));
    expect(stored.length).toBeGreaterThan(64 * 1024);
    const whole = await fetch(`${server.baseUrl}${segment}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // The ETag comes from the SHA-256 kept with the object (S3's modification times have whole seconds).
    const sha256 = (await server.ctx.store.stat(segment.replace(/^\/stream\//, 'videos/')))!.sha256!;
    expect(whole.headers.get('etag')).toBe(`"${sha256.slice(0, 32)}"`);
    expect(Buffer.from(await whole.arrayBuffer()).equals(stored)).toBe(true);

    const part = await fetch(`${server.baseUrl}${segment}`, { headers: { Range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${stored.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(stored.subarray(1000, 2000))).toBe(true);
    const first = await fetch(`${server.baseUrl}${segment}`, { headers: { Range: 'bytes=0-0' } });
    expect(first.status).toBe(206);
    expect(Buffer.from(await first.arrayBuffer()).equals(stored.subarray(0, 1))).toBe(true);
    expect((await fetch(`${server.baseUrl}${segment}`, { headers: { 'If-None-Match': whole.headers.get('etag')! } })).status).toBe(304);

    const download = await fetch(`${server.baseUrl}${mp4}`, { headers: { Range: 'bytes=4-7' } });
    expect(download.status).toBe(206);
    expect(Buffer.from(await download.arrayBuffer()).toString('latin1')).toBe('ftyp');

    expect((await fetch(`${server.baseUrl}/stream/${id}/nope/master.m3u8`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);

    // Deleting the video empties the bucket.
    expect((await fetch(`${server.baseUrl}/api/videos/${id}`, { method: 'DELETE', headers: authHeaders })).status).toBe(204);
    expect(await bucketKeys(bucket)).toEqual([]);
  });
});

describe('S3 storage, redirect delivery', () => {
  let bucket: string;
  let server: TestServer;
  beforeAll(async () => {
    bucket = await s3.createBucket();
    server = await startOnS3(bucket, { s3Delivery: 'redirect', s3PresignExpiresSeconds: 600 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves manifests itself and redirects media to presigned URLs the S3 server answers', async () => {
    const { master } = await uploadAndWait(server);
    const masterResponse = await fetch(`${server.baseUrl}${master}`, { redirect: 'manual' });
    expect(masterResponse.status).toBe(200);
    expect(await masterResponse.text()).toMatch(/^#EXTM3U/);

    const { playlist, segment } = await firstSegment(server, master);
    expect((await fetch(`${server.baseUrl}${playlist}`, { redirect: 'manual' })).status).toBe(200);

    const redirect = await fetch(`${server.baseUrl}${segment}`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(location.startsWith(`${s3.endpoint}/${bucket}/streamforge${segment.replace(/^\/stream\//, '/videos/')}?`)).toBe(true);
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('600');
    expect(redirect.headers.get('access-control-allow-origin')).toBe('*');
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(redirect.headers.get('cache-control')!)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(300);
    // Every request in one signing window gets the same URL, so caches can share the object.
    expect((await fetch(`${server.baseUrl}${segment}`, { redirect: 'manual' })).headers.get('location')).toBe(location);

    const stored = await server.ctx.store.getBytes(segment.replace(/^\/stream\//, 'videos/'));
    const fromS3 = await fetch(location);
    expect(fromS3.status).toBe(200);
    expect(fromS3.headers.get('content-type')).toBe('video/iso.segment');
    expect(fromS3.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await fromS3.arrayBuffer()).equals(stored)).toBe(true);
    const rangeFromS3 = await fetch(location, { headers: { Range: 'bytes=100-199' } });
    expect(rangeFromS3.status).toBe(206);
    expect(Buffer.from(await rangeFromS3.arrayBuffer()).equals(stored.subarray(100, 200))).toBe(true);

    // A client that follows redirects just gets the segment.
    const followed = await fetch(`${server.baseUrl}${segment}`);
    expect(followed.status).toBe(200);
    expect(Buffer.from(await followed.arrayBuffer()).equals(stored)).toBe(true);
  });
});
