/**
 * The HTTP API over a real server: upload validation and limits (nothing kept on refusal), the video
 * record, progress over SSE, deletion of every artifact, and the stream headers a player relies on.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, followEvents, startTestServer, storedKeys, type TestServer, uploadFile } from '../helpers/app-server.js';
import { corpusFile, generatedClip } from '../helpers/media.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ maxUploadBytes: 3_000_000, segmentSeconds: 2 });
});
afterAll(async () => {
  await server?.close();
});

const storedOriginals = () => storedKeys(server, 'originals/');

describe('upload', () => {
  it('rejects a request without multipart content', async () => {
    const res = await fetch(`${server.baseUrl}/api/videos`, { method: 'POST', body: '{}', headers: { ...authHeaders, 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/multipart/);
  });

  it('rejects a multipart request without a file field', async () => {
    const form = new FormData();
    form.append('title', 'no file');
    const res = await fetch(`${server.baseUrl}/api/videos`, { method: 'POST', body: form, headers: authHeaders });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/"file"/);
  });

  it('refuses an upload over the size cap with 413 and keeps nothing', async () => {
    const before = await storedOriginals();
    const big = corpusFile('short_0.34s_hevc_8k__androidx_8k24fps_300ms.mp4'); // 3.5 MB > 3 MB cap
    const { status, body } = await uploadFile(server.baseUrl, big);
    expect(status).toBe(413);
    expect(body.error.code).toBe('upload_too_large');
    expect(await storedOriginals()).toEqual(before);
    expect((await (await fetch(`${server.baseUrl}/api/videos`)).json()).videos).toEqual([]);
  });

  it('accepts a video, returns its id at once, streams progress, and ends ready with playback URLs', async () => {
    const { status, body } = await uploadFile(server.baseUrl, generatedClip({ seconds: 6, width: 640, height: 360, fps: 25 }), 'My clip');
    expect(status).toBe(201);
    expect(body).toMatchObject({ title: 'My clip', status: 'processing' });
    expect(body.id).toMatch(/^[0-9A-Za-z]{12}$/);

    const events = await followEvents(server.baseUrl, body.id);
    expect(events[0]!.event).toBe('state');
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data);
    expect(progress.some((p) => p.stage === 'transcoding')).toBe(true);
    expect(progress.every((p) => p.percent >= 0 && p.percent <= 100)).toBe(true);
    expect(progress.some((p) => typeof p.etaMs === 'number')).toBe(true);
    expect(events.some((e) => e.event === 'playable')).toBe(true);
    expect(events.at(-1)!.event).toBe('ready');

    const video = await (await fetch(`${server.baseUrl}/api/videos/${body.id}`)).json();
    expect(video.status).toBe('ready');
    expect(video.playback.hls).toMatch(new RegExp(`^/stream/${body.id}/[0-9a-z]+/master\\.m3u8$`));
    expect(video.playback.dash).toMatch(/manifest\.mpd$/);
    expect(video.timeToPlayableMs).toBeGreaterThan(0);
    expect(video.renditions.map((r: { height: number }) => r.height)).toEqual([360, 240]);

    // Rungs are switchable at every boundary: the HLS muxer cuts only at keyframes, so identical
    // segment durations across rungs mean keyframes (closed GOPs) are aligned.
    const durations = await Promise.all(
      video.renditions.map(async (_: unknown, i: number) => {
        const text = await (await fetch(server.baseUrl + video.playback.hls.replace('master.m3u8', `v${i}/index.m3u8`))).text();
        return [...text.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => m[1]);
      }),
    );
    expect(durations[0]!.length).toBe(3); // 6 s in 2 s segments
    for (const d of durations) expect(d).toEqual(durations[0]);

    const master = await fetch(server.baseUrl + video.playback.hls);
    expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(master.headers.get('access-control-allow-origin')).toBe('*');
    const segment = await fetch(server.baseUrl + video.playback.hls.replace('master.m3u8', 'v0/seg_00000.m4s'), {
      headers: { range: 'bytes=0-99' },
    });
    expect(segment.status).toBe(206);
    expect(segment.headers.get('cache-control')).toContain('immutable');
    expect((await segment.arrayBuffer()).byteLength).toBe(100);
    const poster = await fetch(server.baseUrl + video.playback.poster);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');

    // Delete removes the record, the original and every rendition.
    expect((await fetch(`${server.baseUrl}/api/videos/${body.id}`, { method: 'DELETE', headers: authHeaders })).status).toBe(204);
    expect((await fetch(`${server.baseUrl}/api/videos/${body.id}`)).status).toBe(404);
    expect((await fetch(server.baseUrl + video.playback.hls)).status).toBe(404);
    expect(await storedKeys(server, `videos/${body.id}/`)).toEqual([]);
    expect(await storedOriginals()).not.toContain(body.id);
  });

  it('fails a non-media upload with a precise reason and serves nothing', async () => {
    const file = path.join(server.dataDir, 'notes.mp4');
    writeFileSync(file, 'this is a text file, not a video\n'.repeat(100));
    const { status, body } = await uploadFile(server.baseUrl, file);
    expect(status).toBe(201);
    const events = await followEvents(server.baseUrl, body.id);
    const last = events.at(-1)!;
    expect(last.event).toBe('failed');
    expect(last.data.status).toBe('failed');
    expect(last.data.error).toMatch(/not a (recognised|recognized)|format|media/i);
    expect(last.data.playback).toBeNull();
  });
});

describe('reads', () => {
  it('answers 404 for an unknown video and 400 for a malformed id', async () => {
    expect((await fetch(`${server.baseUrl}/api/videos/AAAAAAAAAAAA`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/api/videos/..%2F..%2Fetc`)).status).toBe(400);
  });

  it('answers /health and /ready', async () => {
    expect(await (await fetch(`${server.baseUrl}/health`)).json()).toEqual({ status: 'ok', role: 'all' });
    const ready = await fetch(`${server.baseUrl}/ready`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks.database).toBe('ok');
  });

  it('never serves an original from the app origin', async () => {
    const file = path.join(server.dataDir, 'original.mp4');
    writeFileSync(file, 'original bytes '.repeat(10));
    const { body } = await uploadFile(server.baseUrl, file);
    expect(await storedOriginals()).toContain(body.id);
    for (const url of [
      `/stream/${body.id}`,
      `/stream/../originals/${body.id}`,
      `/stream/%2e%2e/originals/${body.id}`,
      `/stream/${body.id}/..%2f..%2foriginals%2f${body.id}`,
      `/originals/${body.id}`,
      `/blobs/originals/${body.id}`,
    ]) {
      const res = await fetch(server.baseUrl + url);
      expect([400, 404], url).toContain(res.status);
      expect(await res.text()).not.toContain('original bytes');
    }
  });
});
