/**
 * SIGTERM to a serving process while a transcode runs, a tus upload is in flight and an SSE client
 * follows the video: the event stream ends cleanly (a `retry` hint, then the end of the body — not a
 * cut socket), new connections are refused, the upload is cut after the grace and resumes on the
 * next process from its offset, the running job is handed back untried (attempts 0, the video still
 * processing) and the next process finishes it on attempt 1; the process exits 0 in bounded time
 * and leaves no ffmpeg behind.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { authHeaders, followEvents, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { createTusUpload, startPartialRequest, TUS_HEADERS, tusOffset, tusPatch } from '../helpers/partial-upload.js';
import { RESTART_TEST_ENV, restartableServer } from '../helpers/server-process.js';

const GRACE_MS = 3000;
const server = restartableServer({ dataDirPrefix: 'sf-shutdown-', env: { ...RESTART_TEST_ENV, STREAMFORGE_SHUTDOWN_GRACE_MS: String(GRACE_MS) } });

afterAll(() => server.dispose());

describe('graceful shutdown', () => {
  it('ends SSE cleanly, refuses new connections, hands the job back untried and exits 0', async () => {
    await server.start();
    const baseUrl = server.baseUrl;

    // A transcode long enough to outlast the grace, followed over SSE until ffmpeg is under way.
    const upload = await uploadFile(baseUrl, generatedClip({ seconds: 30, width: 854, height: 480, fps: 24 }), 'shutdown');
    expect(upload.status).toBe(201);
    const id: string = upload.body.id;
    const events = await fetch(`${baseUrl}/api/videos/${id}/events`, { headers: authHeaders });
    const reader = events.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!/"stage":"transcoding"/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`event stream ended early: ${text.slice(-500)}`);
      text += decoder.decode(value, { stream: true });
    }

    // A tus upload with half its bytes sent, the rest held back.
    const file = readFileSync(generatedClip({ seconds: 2, width: 426, height: 240, fps: 24 }));
    const tus = await createTusUpload(baseUrl, { size: file.length, fileName: 'inflight.mp4' });
    const sent = Math.floor(file.length / 2);
    const patch = startPartialRequest({
      url: tus.url,
      method: 'PATCH',
      headers: { ...TUS_HEADERS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: file,
      sendBytes: sent,
    });

    const sigtermAt = Date.now();
    const exited = server.stop();

    // The event stream ends at once, cleanly, telling EventSource when to reconnect.
    for (;;) {
      const { value, done } = await reader.read(); // a cut connection would reject here
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(Date.now() - sigtermAt).toBeLessThan(GRACE_MS);
    expect(text).toMatch(/retry: \d+\n\n$/);

    // New connections are refused while the old ones drain.
    const late = await fetch(`${baseUrl}/health`).then((res) => res.status, (err: Error) => err);
    expect(late).not.toBe(200);

    // Bounded: the grace, the job's abort and settle, the closing of the rest.
    const { code, exitedAtMs } = await exited;
    expect(code).toBe(0);
    expect(exitedAtMs - sigtermAt).toBeLessThan(GRACE_MS + 10_000);
    // The upload was answered or cut (its client resumes); ffmpeg went with the job.
    await patch.done;
    expect(server.mediaProcesses()).toEqual([]);

    const db = new Database(server.databasePath, { readonly: true });
    const job = () =>
      db.prepare("select status, attempts, last_error from jobs where type = 'video.process' and payload_json like ?").get(`%"${id}"%`) as { status: string; attempts: number; last_error: string | null };
    // Handed back untried: the next process takes it at once, with every attempt still to come.
    expect(job()).toEqual({ status: 'queued', attempts: 0, last_error: null });
    expect((db.prepare('select status from videos where id = ?').get(id) as { status: string }).status).toBe('processing');

    await server.start();
    // The tus client resumes where the server says it is.
    const offset = await tusOffset(tus.url);
    expect(offset).toBeLessThanOrEqual(sent);
    const rest = await tusPatch(tus.url, offset, file.subarray(offset));
    expect(rest.status).toBe(204);
    expect(rest.videoId).toBe(tus.id);

    const finals = (await followEvents(baseUrl, id, 240_000)).filter((e) => e.event === 'ready' || e.event === 'failed');
    expect(finals.map((e) => e.event)).toEqual(['ready']);
    for (let i = 0; i < 100 && job().status === 'active'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(job()).toMatchObject({ status: 'completed', attempts: 1 });
    db.close();

    expect((await server.stop()).code).toBe(0);
  }, 400_000);
});
