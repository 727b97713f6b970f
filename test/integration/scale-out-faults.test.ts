/**
 * Faults of a scale-out deployment, with real processes: `streamforge serve --role api` and
 * `--role worker` (the compiled build) over PostgreSQL, Redis (BullMQ and pub/sub) and shared
 * storage. Redis stopped for 10 s while jobs run; the API process killed and restarted while clients
 * hold SSE streams. Each time: nothing lost (every accepted upload becomes ready), nothing stuck,
 * nothing done twice (every `video.process` job ran exactly one attempt).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/database.js';
import { PROCESS_VIDEO_JOB } from '../../src/pipeline/process-video.js';
import { openQueue } from '../../src/queue/open-queue.js';
import { authHeaders, sseEvents, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { dropPostgresTestDatabase, postgresTestUrl } from '../helpers/postgres.js';
import { redisTestUrl, uniqueRedisPrefix } from '../helpers/redis.js';
import { freePort, startServerProcess } from '../helpers/server-process.js';

const databaseUrl = await postgresTestUrl();
// Only to know Redis is meant to be here (CI fails without it); the tests run private servers.
const sharedRedis = await redisTestUrl();

/** A private redis-server with an append-only file, so a stop and a start lose nothing (like a real one). */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], {
    stdio: 'ignore',
  });
  const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => 100, maxRetriesPerRequest: null });
  probe.on('error', () => {}); // refused until the server listens; ping() waits through it
  try {
    await probe.connect().catch(() => {});
    await probe.ping();
  } finally {
    probe.disconnect();
  }
  return proc;
}

async function stop(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  await exited;
}

async function videoJson(baseUrl: string, id: string): Promise<any> {
  return (await fetch(`${baseUrl}/api/videos/${id}`)).json();
}

/**
 * Follows a video's SSE stream the way EventSource does: when the connection drops, it reconnects
 * (the server answers every new stream with the current `state`, then live events) until `ready`
 * or `failed` arrives.
 */
async function followWithReconnect(
  baseUrl: string,
  id: string,
  options: { onEvent?: (event: string, data: any) => void; timeoutMs?: number } = {},
): Promise<{ events: string[]; connections: number }> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const events: string[] = [];
  let connections = 0;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${baseUrl}/api/videos/${id}/events`, { signal: AbortSignal.timeout(deadline - Date.now()) });
      connections++;
      for await (const { event, data } of sseEvents(res.body!)) {
        events.push(event);
        options.onEvent?.(event, data);
        if (event === 'ready' || event === 'failed') return { events, connections };
      }
    } catch {
      // Connection refused or cut: EventSource's default retry is a few seconds; ours is shorter.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no final event for ${id} within the deadline; saw ${events.join(',')}`);
}

/** Attempts of a video's `video.process` job, read through the Queue interface (dedupe returns its id). */
async function processAttempts(env: Record<string, string>, videoIds: string[]): Promise<number[]> {
  const config = loadConfig({ env: { ...env, STREAMFORGE_DATA_DIR: tmpdir() } });
  const database = openDatabase(config.databaseUrl);
  const queue = await openQueue({ config, database });
  try {
    const attempts: number[] = [];
    for (const videoId of videoIds) {
      const jobId = await queue.enqueue({ type: PROCESS_VIDEO_JOB, payload: { videoId }, dedupeKey: `process:${videoId}` });
      const info = await queue.get(jobId);
      expect(info?.status).toBe('completed');
      attempts.push(info!.attempts);
    }
    return attempts;
  } finally {
    await queue.close?.();
    await database.close();
  }
}

describe.skipIf(databaseUrl === null || sharedRedis === null)('scale-out faults', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'sf-faults-'));
  const procs: ChildProcess[] = [];
  // Long enough that the second upload is still waiting while the first is transcoded.
  const clip = () => generatedClip({ seconds: 20, width: 1280, height: 720, fps: 30 });

  beforeAll(() => {
    clip();
  });
  afterEach(async () => {
    for (const proc of procs.splice(0)) await stop(proc, 'SIGKILL');
  });
  afterAll(async () => {
    if (databaseUrl) await dropPostgresTestDatabase(databaseUrl);
    rmSync(root, { recursive: true, force: true });
  });

  async function cluster(name: string, redisUrl: string) {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    const env = {
      DATABASE_URL: databaseUrl!,
      REDIS_URL: redisUrl,
      STREAMFORGE_REDIS_PREFIX: uniqueRedisPrefix(),
      STORAGE_URL: `file:${path.join(dir, 'blobs')}`,
      STREAMFORGE_STAGE_CONCURRENCY: '0',
    };
    const apiPort = await freePort();
    const startApi = async () => {
      const proc = await startServerProcess({ port: apiPort, dataDir: path.join(dir, 'api'), env: { ...env, STREAMFORGE_ROLE: 'api' } });
      procs.push(proc);
      return proc;
    };
    const api = await startApi();
    const worker = await startServerProcess({ port: await freePort(), dataDir: path.join(dir, 'worker'), env: { ...env, STREAMFORGE_ROLE: 'worker' } });
    procs.push(worker);
    return { env, api, worker, startApi, baseUrl: `http://127.0.0.1:${apiPort}` };
  }

  it('Redis stopped for 10 s while jobs run: every upload ready, each job run once', async () => {
    const redisPort = await freePort();
    const redisDir = path.join(root, 'redis');
    mkdirSync(redisDir, { recursive: true });
    let redis = await startRedis(redisPort, redisDir);
    procs.push(redis);
    const c = await cluster('redis-outage', `redis://127.0.0.1:${redisPort}`);

    const first = (await uploadFile(c.baseUrl, clip(), 'before 1')).body.id as string;
    let transcoding!: () => void;
    const firstTranscoding = new Promise<void>((resolve) => (transcoding = resolve));
    const followers = [followWithReconnect(c.baseUrl, first, { onEvent: (e, data) => e === 'progress' && data.stage === 'transcoding' && transcoding() })];
    const second = (await uploadFile(c.baseUrl, clip(), 'before 2')).body.id as string;
    followers.push(followWithReconnect(c.baseUrl, second));
    const before = [first, second];
    // Stop Redis once the worker is in the middle of the first job's ladder.
    await firstTranscoding;
    await stop(redis);
    const stoppedAt = Date.now();
    // While Redis is down the API keeps answering from PostgreSQL, and accepts an upload.
    expect((await videoJson(c.baseUrl, second)).status).toBe('processing');
    // It asks for a VP9 ladder too: the job is enqueued when Redis is back, and must still know that.
    const form = new FormData();
    form.append('title', 'during the outage');
    form.append('extraCodecs', 'vp9');
    form.append('file', await openAsBlob(clip()), 'during.mp4');
    const during = fetch(`${c.baseUrl}/api/videos`, { method: 'POST', body: form, headers: authHeaders }).then(async (res) => ({ status: res.status, body: await res.json() }));
    // The outage itself is what is under test: it lasts 10 s.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (Date.now() - stoppedAt))));
    redis = await startRedis(redisPort, redisDir);
    procs.push(redis);

    const accepted = await during;
    expect(accepted.status).toBe(201);
    const ids = [...before, accepted.body.id as string];
    const outcomes = await Promise.all([...followers, followWithReconnect(c.baseUrl, accepted.body.id)]);
    expect(outcomes.map((o) => o.events.at(-1))).toEqual(['ready', 'ready', 'ready']);
    for (const id of ids) expect((await videoJson(c.baseUrl, id)).status).toBe('ready');
    expect((await videoJson(c.baseUrl, accepted.body.id)).videoCodecs).toEqual(['h264', 'vp9']);
    expect(await processAttempts(c.env, ids)).toEqual([1, 1, 1]);
  });

  it('API killed and restarted while clients hold SSE streams: they reconnect and see ready', async () => {
    const c = await cluster('api-restart', sharedRedis!);
    const { body } = await uploadFile(c.baseUrl, clip(), 'api restart');
    const id = body.id as string;
    // Every client holds a live stream (it has had a progress event) when the API dies.
    const seen: Array<Promise<void>> = [];
    const clients = [1, 2, 3].map(() => {
      let sawProgress!: () => void;
      seen.push(new Promise<void>((resolve) => (sawProgress = resolve)));
      return followWithReconnect(c.baseUrl, id, { onEvent: (e) => e === 'progress' && sawProgress() });
    });
    await Promise.all(seen);
    await stop(c.api, 'SIGKILL');
    await c.startApi();
    const outcomes = await Promise.all(clients);
    for (const outcome of outcomes) {
      expect(outcome.events.at(-1)).toBe('ready');
      expect(outcome.connections).toBeGreaterThanOrEqual(2);
    }
    expect((await videoJson(c.baseUrl, id)).status).toBe('ready');
    expect(await processAttempts(c.env, [id])).toEqual([1]);
  });
});
