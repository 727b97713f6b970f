/**
 * Scale-out events and cache invalidation across processes (#5), with real servers.
 *
 * Two StreamForge contexts share one PostgreSQL database, one Redis prefix and one storage
 * directory, as two processes on one machine would; one runs the worker, the other is API-only.
 * An upload to the API-only server is processed by the other one, and its SSE stream still shows
 * progress and `ready`; a video deleted through one server stops being served from the other's
 * memory cache. The queue is whatever the config picks (SQL queue in the shared database, or BullMQ
 * on Redis): both cross processes.
 *
 * Redis outages run against a private redis-server on a free port, so killing it disturbs no other
 * test: the buses resubscribe by themselves, deliver what is published afterwards, drop every
 * origin cache (invalidations may have been missed), and an SSE stream whose `ready` was lost still
 * ends with the final record.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newId } from '../../src/ids.js';
import { RedisCacheInvalidationBus } from '../../src/delivery/redis-cache-invalidation-bus.js';
import { RedisVideoEventBus } from '../../src/videos/redis-video-event-bus.js';
import type { VideoEvent } from '../../src/videos/video-events.js';
import { authHeaders, followEvents, sseEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { dropPostgresTestDatabase, postgresTestUrl } from '../helpers/postgres.js';
import { deleteRedisPrefix, redisTestUrl, uniqueRedisPrefix } from '../helpers/redis.js';

const databaseUrl = await postgresTestUrl();
const redisUrl = await redisTestUrl();

interface SseEvent {
  event: string;
  data: any;
}

describe.skipIf(databaseUrl === null || redisUrl === null)('a worker process and an API-only process', () => {
  let workerServer: TestServer;
  let apiServer: TestServer;
  let sharedBlobs: string;
  let videoId: string;
  const redisPrefix = uniqueRedisPrefix();

  beforeAll(async () => {
    sharedBlobs = mkdtempSync(path.join(tmpdir(), 'sf-shared-blobs-'));
    const shared = { databaseUrl, redisUrl, redisPrefix, storageUrl: `file:${sharedBlobs}` };
    // One after the other: both migrate the shared database at start-up.
    workerServer = await startTestServer(shared, { runWorker: true, stages: [] });
    apiServer = await startTestServer(shared, { runWorker: false, stages: [] });
  });
  afterAll(async () => {
    await apiServer?.close();
    await workerServer?.close();
    if (databaseUrl) await dropPostgresTestDatabase(databaseUrl);
    // Pub/sub leaves no keys; a BullMQ queue under the prefix does.
    if (redisUrl) await deleteRedisPrefix(redisUrl, redisPrefix);
    if (sharedBlobs) rmSync(sharedBlobs, { recursive: true, force: true });
  });

  it('streams progress and ready over SSE from the API-only process while the other one runs the job', async () => {
    expect(apiServer.ctx.worker).toBeNull();
    expect(workerServer.ctx.worker).not.toBeNull();
    const { status, body } = await uploadFile(apiServer.baseUrl, generatedClip({ seconds: 6, width: 640, height: 360, fps: 25 }), 'across');
    expect(status).toBe(201);
    videoId = body.id;

    const events = await followEvents(apiServer.baseUrl, videoId);
    expect(events[0]!.event).toBe('state');
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.some((p) => p.stage === 'transcoding')).toBe(true);
    const percents = progress.map((p) => p.percent as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    const last = events.at(-1)!;
    expect(last.event).toBe('ready');
    expect(last.data).toMatchObject({ id: videoId, status: 'ready' });
    expect(last.data.playback.hls).toMatch(/master\.m3u8$/);
  });

  it('stops serving a deleted video’s cached segment on every process, whichever one deleted it', async () => {
    expect(videoId).toBeDefined();
    const segmentKey = (await apiServer.ctx.store.list(`videos/${videoId}/`)).find((key) => key.endsWith('.m4s'));
    expect(segmentKey).toBeDefined();
    const segmentUrl = `${apiServer.baseUrl}/stream/${segmentKey!.slice('videos/'.length)}`;

    // Read twice: the second answer comes from the API process's memory cache.
    expect((await fetch(segmentUrl)).status).toBe(200);
    const hitsBefore = apiServer.ctx.origin.stats().hits;
    const cached = await fetch(segmentUrl);
    expect(cached.status).toBe(200);
    await cached.arrayBuffer();
    expect(apiServer.ctx.origin.stats().hits).toBe(hitsBefore + 1);

    // Deleted through the worker process: only the announcement can reach the API process's cache.
    expect((await fetch(`${workerServer.baseUrl}/api/videos/${videoId}`, { method: 'DELETE', headers: authHeaders })).status).toBe(204);
    expect(await apiServer.ctx.store.stat(segmentKey!)).toBeNull();
    await vi.waitFor(async () => expect((await fetch(segmentUrl)).status).toBe(404), { timeout: 10_000, interval: 50 });
    expect((await fetch(`${apiServer.baseUrl}/api/videos/${videoId}`)).status).toBe(404);
  });
});

describe('a Redis outage', () => {
  let redis: PrivateRedis;
  let url: string;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    url = redis.url;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('is survived by the buses: they resubscribe, deliver what is published afterwards and drop every cache', async () => {
    const prefix = uniqueRedisPrefix();
    const [bus, peer] = await Promise.all([RedisVideoEventBus.open({ url, prefix }), RedisVideoEventBus.open({ url, prefix })]);
    const [invalidations, peerInvalidations] = await Promise.all([
      RedisCacheInvalidationBus.open({ url, prefix }),
      RedisCacheInvalidationBus.open({ url, prefix }),
    ]);
    try {
      const received: VideoEvent[] = [];
      let resyncs = 0;
      bus.subscribe('v1', (e) => received.push(e), { onResync: () => resyncs++ });
      const invalidated: string[] = [];
      invalidations.subscribe((prefix) => invalidated.push(prefix));
      const event = (percent: number): VideoEvent => ({ videoId: 'v1', type: 'progress', stage: 'transcoding', percent, etaMs: null, at: percent });
      peer.publish(event(1));
      await vi.waitFor(() => expect(received).toEqual([event(1)]));

      await redis.kill();
      // Published while Redis is down: may be lost, must not throw or crash anything.
      peer.publish(event(2));
      peerInvalidations.publish('videos/during-outage/');
      await redis.restart();

      await vi.waitFor(() => expect(resyncs).toBe(1), { timeout: 20_000 });
      await vi.waitFor(() => expect(invalidated).toContain(''), { timeout: 20_000 });
      peer.publish(event(3));
      peerInvalidations.publish('videos/after/');
      await vi.waitFor(() => expect(received.at(-1)).toEqual(event(3)), { timeout: 20_000 });
      await vi.waitFor(() => expect(invalidated.at(-1)).toBe('videos/after/'), { timeout: 20_000 });
      expect(received.filter((e) => e.percent !== 2)).toEqual([event(1), event(3)]);
    } finally {
      await Promise.all([bus, peer, invalidations, peerInvalidations].map((b) => b.close()));
    }
  });

  it('does not make an SSE stream miss the final state: it re-reads the record when the bus is back', async () => {
    const server = await startTestServer({ redisUrl: url, redisPrefix: uniqueRedisPrefix() }, { runWorker: false, stages: [] });
    const streams: EventStream[] = [];
    try {
      const [lost, live] = [newId(), newId()];
      for (const id of [lost, live]) await createProcessingVideo(server, id);
      const lostStream = openEventStream(server.baseUrl, lost);
      const liveStream = openEventStream(server.baseUrl, live);
      streams.push(lostStream, liveStream);
      await vi.waitFor(() => expect(lostStream.events.map((e) => e.event)).toEqual(['state']));
      await vi.waitFor(() => expect(liveStream.events.map((e) => e.event)).toEqual(['state']));

      await redis.kill();
      // A worker finishes while Redis is down: the record says ready, the event never arrives.
      expect(await server.ctx.videos.markReady(lost, { output_prefix: `videos/${lost}/v1/`, progress_json: '{"stage":"ready","percent":100,"etaMs":0}' })).toBe(true);
      await redis.restart();

      await lostStream.ended;
      expect(lostStream.events.at(-1)).toMatchObject({ event: 'ready', data: { id: lost, status: 'ready' } });
      // The stream still processing gets the state again when the bus is back …
      await vi.waitFor(() => expect(liveStream.events.map((e) => e.event)).toEqual(['state', 'state']), { timeout: 20_000 });
      // … and live events after that, from another process's bus.
      const otherProcess = await RedisVideoEventBus.open({ url, prefix: server.ctx.config.redisPrefix });
      try {
        otherProcess.publish({ videoId: live, type: 'progress', stage: 'transcoding', percent: 50, etaMs: 1000, at: Date.now() });
        await vi.waitFor(() => expect(liveStream.events.at(-1)).toEqual({ event: 'progress', data: { stage: 'transcoding', percent: 50, etaMs: 1000 } }));
        await server.ctx.videos.markFailed(live, 'gave up');
        otherProcess.publish({ videoId: live, type: 'failed', stage: 'failed', percent: 100, etaMs: null, error: 'gave up', at: Date.now() });
        await liveStream.ended;
        expect(liveStream.events.at(-1)).toMatchObject({ event: 'failed', data: { id: live, status: 'failed', error: 'gave up' } });
      } finally {
        await otherProcess.close();
      }
    } finally {
      for (const stream of streams) stream.close();
      await server.close();
    }
  });
});

/** A video record in `processing`, as an upload leaves it, without queueing a job. */
async function createProcessingVideo(server: TestServer, id: string): Promise<void> {
  const now = Date.now();
  await server.ctx.videos.create({
    id, title: id, status: 'processing', error: null, source_key: `originals/${id}`, source_name: null, source_bytes: 1,
    media_json: null, ladder_json: null, output_prefix: null, duration_ms: null,
    progress_json: JSON.stringify({ stage: 'queued', percent: 0, etaMs: null }),
    time_to_playable_ms: null, created_at: now, updated_at: now, ready_at: null,
  });
}

interface EventStream {
  /** Every event so far, in order (grows while the stream is open). */
  events: SseEvent[];
  /** Settles when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Follows an SSE stream in the background, so a test can act while it is open. */
function openEventStream(baseUrl: string, id: string): EventStream {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  const ended = (async () => {
    const res = await fetch(`${baseUrl}/api/videos/${id}/events`, { signal: controller.signal });
    if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
    for await (const event of sseEvents(res.body)) events.push(event);
  })();
  ended.catch(() => {}); // an aborted stream is the test closing it
  return { events, ended, close: () => controller.abort() };
}

/** A redis-server of our own on a free port, which a test may kill and restart on the same port. */
class PrivateRedis {
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server and resolves once it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)));
    });
  }

  /** SIGKILL, as a crash would: clients see their connections drop. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    this.process = null;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}
