/**
 * Prometheus metrics (src/observability/, docs/operations.md): a real upload moves the counters by
 * the right amounts — the upload, its transcoding, the origin's requests and bytes — and a failing
 * upload counts one job failure under a bounded reason.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authHeaders, followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { type Sample, sampleValue, scrapeMetrics } from '../helpers/prometheus.js';

const P = 'streaming_service_';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const delta = (before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}) =>
  sampleValue(after, `${P}${name}`, labels) - sampleValue(before, `${P}${name}`, labels);

describe('/metrics', () => {
  it('counts an upload, its transcoding, the requests and the bytes the origin sends', async () => {
    const before = await scrapeMetrics(server.baseUrl);
    const { status, body } = await uploadFile(server.baseUrl, generatedClip({ seconds: 4, width: 320, height: 180, fps: 25 }), 'metrics');
    expect(status).toBe(201);
    expect((await followEvents(server.baseUrl, body.id)).at(-1)?.event).toBe('ready');
    const video = await (await fetch(`${server.baseUrl}/api/videos/${body.id}`, { headers: authHeaders })).json();

    // Play it: the master, rung 0's playlist, its init segment and every media segment.
    const base = server.baseUrl + video.playback.hls.replace('master.m3u8', '');
    const fetchStream = async (file: string) => {
      const res = await fetch(base + file);
      expect(res.status).toBe(200);
      return Buffer.from(await res.arrayBuffer());
    };
    await fetchStream('master.m3u8');
    const playlist = (await fetchStream('v0/index.m3u8')).toString();
    const mediaFiles = ['v0/init_0.mp4', ...playlist.split('\n').filter((line) => line.endsWith('.m4s')).map((name) => `v0/${name}`)];
    let mediaBytes = 0;
    for (const file of mediaFiles) mediaBytes += (await fetchStream(file)).length;
    expect((await fetch(`${base}v0/missing.m4s`)).status).toBe(404);

    // The job completes (and is timed) just after the ready event.
    await vi.waitFor(async () => {
      expect(delta(before, await scrapeMetrics(server.baseUrl), 'transcoding_duration_seconds_count', { job_type: 'video.process' })).toBe(1);
    }, { timeout: 10_000 });
    const after = await scrapeMetrics(server.baseUrl);

    expect(delta(before, after, 'videos_uploaded_total')).toBe(1);
    expect(sampleValue(after, `${P}transcoding_duration_seconds_sum`, { job_type: 'video.process' })).toBeGreaterThan(0);
    expect(delta(before, after, 'bandwidth_bytes_total', { kind: 'media' })).toBe(mediaBytes);
    expect(delta(before, after, 'bandwidth_bytes_total', { kind: 'manifest' })).toBeGreaterThan(0);
    const stream = { route: '/stream/*', method: 'GET' };
    expect(delta(before, after, 'http_requests_total', { ...stream, status: '200' })).toBe(mediaFiles.length + 2);
    expect(delta(before, after, 'http_requests_total', { ...stream, status: '404' })).toBe(1);
    expect(delta(before, after, 'http_requests_total', { method: 'POST', route: '/api/videos', status: '201' })).toBe(1);
    expect(delta(before, after, 'http_requests_total', { method: 'GET', route: '/api/videos/:id', status: '200' })).toBe(1);
    // Route patterns, never raw URLs.
    expect(after.some((s) => s.labels.route?.includes(body.id))).toBe(false);
    expect(delta(before, after, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/videos', status: '201' })).toBe(1);
    // Queue depth by type and state; finished jobs may be removed (BullMQ), so only the series are sure.
    expect(after.filter((s) => s.name === `${P}queue_jobs` && s.labels.job_type === 'video.process').map((s) => s.labels.state).sort())
      .toEqual(['active', 'completed', 'failed', 'queued']);
    expect(sampleValue(after, `${P}active_transcoding_jobs`)).toBe(0);
    // prom-client's process metrics, under their standard names.
    expect(after.some((s) => s.name === 'process_cpu_seconds_total')).toBe(true);
  });

  it('counts a failed job under a bounded reason, not its message', async () => {
    const before = await scrapeMetrics(server.baseUrl);
    const file = path.join(server.dataDir, 'notes.mp4');
    writeFileSync(file, 'this is a text file, not a video\n'.repeat(100));
    const { status, body } = await uploadFile(server.baseUrl, file);
    expect(status).toBe(201);
    expect((await followEvents(server.baseUrl, body.id)).at(-1)?.event).toBe('failed');
    const failure = { job_type: 'video.process', outcome: 'failed' };
    await vi.waitFor(async () => {
      expect(delta(before, await scrapeMetrics(server.baseUrl), 'job_failures_total', failure)).toBe(1);
    }, { timeout: 10_000 });
    const after = await scrapeMetrics(server.baseUrl);
    const grown = after.filter((s) => s.name === `${P}job_failures_total` && s.value > sampleValue(before, s.name, s.labels));
    expect(grown.map((s) => s.labels)).toEqual([{ ...failure, reason: 'unsupported_media' }]);
    expect(delta(before, after, 'videos_uploaded_total')).toBe(1);
    expect(delta(before, after, 'transcoding_duration_seconds_count')).toBe(0);
  });

  it('asks for the bearer token when one is set', async () => {
    const token = 'metrics-token-0123456789';
    const guarded = await startTestServer({ metricsToken: token }, { runWorker: false });
    try {
      const refused = await fetch(`${guarded.baseUrl}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await refused.json()).error.code).toBe('unauthorized');
      expect((await fetch(`${guarded.baseUrl}/metrics`, { headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      const samples = await scrapeMetrics(guarded.baseUrl, { headers: { Authorization: `Bearer ${token}` } });
      expect(samples.some((s) => s.name === `${P}videos_uploaded_total`)).toBe(true);
    } finally {
      await guarded.close();
    }
  });
});
