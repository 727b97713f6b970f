/**
 * `streamforge serve --role api|worker` as separate OS processes (the compiled build, as an operator
 * runs it) that find each other only through DATABASE_URL, REDIS_URL and the storage settings: an
 * upload accepted by the API process is transcoded by the worker process, and the client that holds
 * its SSE stream on the API process sees the worker's progress and `ready`.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followEvents, uploadFile } from '../helpers/app-server.js';
import { generatedClip, repoRoot } from '../helpers/media.js';
import { sampleValue, scrapeMetrics } from '../helpers/prometheus.js';
import { dropPostgresTestDatabase, postgresTestUrl } from '../helpers/postgres.js';
import { redisTestUrl, uniqueRedisPrefix } from '../helpers/redis.js';
import { freePort, startServerProcess } from '../helpers/server-process.js';

const exec = promisify(execFile);
const databaseUrl = await postgresTestUrl();
const redisUrl = await redisTestUrl();

describe('streamforge serve --role', () => {
  it('refuses an unknown role, naming the setting', async () => {
    const failed = await exec(process.execPath, [path.join(repoRoot, 'bin', 'streamforge.js'), 'serve', '--role', 'boss'], {
      env: { ...process.env, PORT: '0' },
    }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/STREAMFORGE_ROLE \(role\)/);
  });
});

describe.skipIf(databaseUrl === null || redisUrl === null)('an api process and a worker process', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'sf-roles-'));
  const procs: ChildProcess[] = [];
  let api = '';
  let worker = '';

  beforeAll(async () => {
    const shared = {
      DATABASE_URL: databaseUrl!,
      REDIS_URL: redisUrl!,
      STREAMFORGE_REDIS_PREFIX: uniqueRedisPrefix(),
      // One machine here, so a shared directory stands in for the bucket every node would see.
      STORAGE_URL: `file:${path.join(root, 'blobs')}`,
      STREAMFORGE_STAGE_CONCURRENCY: '0',
    };
    const apiPort = await freePort();
    const workerPort = await freePort();
    // The API process runs no jobs, so it must start without ffmpeg.
    procs.push(await startServerProcess({ port: apiPort, dataDir: path.join(root, 'api'), env: { ...shared, STREAMFORGE_ROLE: 'api', FFMPEG_PATH: '/nonexistent/ffmpeg' } }));
    procs.push(await startServerProcess({ port: workerPort, dataDir: path.join(root, 'worker'), env: { ...shared, STREAMFORGE_ROLE: 'worker' } }));
    api = `http://127.0.0.1:${apiPort}`;
    worker = `http://127.0.0.1:${workerPort}`;
  });

  afterAll(async () => {
    for (const proc of procs) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    }
    if (databaseUrl) await dropPostgresTestDatabase(databaseUrl);
    rmSync(root, { recursive: true, force: true });
  });

  it('each says its role; the worker serves only /health, /ready and /metrics', async () => {
    expect(await (await fetch(`${api}/health`)).json()).toEqual({ status: 'ok', role: 'api' });
    expect(await (await fetch(`${worker}/health`)).json()).toEqual({ status: 'ok', role: 'worker' });
    expect((await fetch(`${worker}/ready`)).status).toBe(200);
    expect((await fetch(`${worker}/api/videos`)).status).toBe(404);
  });

  it('an upload to the api is transcoded by the worker; the api streams its progress and serves it', async () => {
    const { status, body } = await uploadFile(api, generatedClip({ seconds: 4, width: 640, height: 360, fps: 25 }), 'roles');
    expect(status).toBe(201);
    const events = await followEvents(api, body.id);
    expect(events.map((e) => e.event)).toContain('progress');
    expect(events.at(-1)).toMatchObject({ event: 'ready' });
    const video = await (await fetch(`${api}/api/videos/${body.id}`)).json();
    expect(video.status).toBe('ready');
    const master = await fetch(`${api}${video.playback.hls}`);
    expect(master.status).toBe(200);
    expect(await master.text()).toMatch(/#EXT-X-STREAM-INF/);
  });

  it('each exposes its own metrics: the api counts the upload, the worker the transcoding', async () => {
    const apiSamples = await scrapeMetrics(api);
    const workerSamples = await scrapeMetrics(worker);
    expect(sampleValue(apiSamples, 'streaming_service_videos_uploaded_total')).toBe(1);
    expect(sampleValue(apiSamples, 'streaming_service_transcoding_duration_seconds_count')).toBe(0);
    expect(sampleValue(workerSamples, 'streaming_service_transcoding_duration_seconds_count', { job_type: 'video.process' })).toBe(1);
    expect(sampleValue(workerSamples, 'streaming_service_http_requests_total', { route: '/ready', status: '200' })).toBeGreaterThanOrEqual(1);
    // The queue is shared: both see its depth.
    for (const samples of [apiSamples, workerSamples]) {
      expect(samples.some((s) => s.name === 'streaming_service_queue_jobs' && s.labels.job_type === 'video.process')).toBe(true);
    }
  });
});
