/**
 * kill -9 of the server in the middle of a transcode: its ffmpeg dies with it (no orphan), and after
 * a restart the job's expired lease is taken again and the video becomes ready exactly once — one
 * published version, the job completed on its second attempt.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { followEvents, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { freePort, startServerProcess } from '../helpers/server-process.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'sf-crash-'));
let child: ChildProcess | null = null;

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function startServer(port: number): Promise<ChildProcess> {
  // No enrichment stages: this test is about the ladder job, and stage scratch would be in work/.
  return startServerProcess({ port, dataDir, env: { STREAMFORGE_JOB_LEASE_MS: '3000', STREAMFORGE_STAGE_CONCURRENCY: '0' } });
}

function ffmpegProcessesOf(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', `ffmpeg.*${dir}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('crash recovery', () => {
  it('a kill -9 mid-transcode leaves no ffmpeg behind and the video becomes ready exactly once', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const clip = generatedClip({ seconds: 40, width: 1280, height: 720, fps: 30 });
    child = await startServer(port);
    const upload = await uploadFile(baseUrl, clip, 'crash test');
    expect(upload.status).toBe(201);
    const id: string = upload.body.id;

    // Wait until ffmpeg is well into the ladder.
    const res = await fetch(`${baseUrl}/api/videos/${id}/events`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!/"stage":"transcoding","percent":(1\d|[2-9]\d)/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`event stream ended early: ${text.slice(-500)}`);
      text += decoder.decode(value, { stream: true });
    }
    expect(ffmpegProcessesOf(dataDir).length).toBe(1);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    await reader.cancel().catch(() => {});

    // The encoder dies with its parent (pdeathsig), within moments.
    for (let i = 0; i < 50 && ffmpegProcessesOf(dataDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(ffmpegProcessesOf(dataDir)).toEqual([]);

    child = await startServer(port);
    const events = await followEvents(baseUrl, id, 150_000);
    const finals = events.filter((e) => e.event === 'ready' || e.event === 'failed');
    expect(finals.map((e) => e.event)).toEqual(['ready']);

    const db = new Database(path.join(dataDir, 'streamforge.db'), { readonly: true });
    // The worker records completion just after the handler's `ready` event: poll briefly for it.
    const readJobs = () => db.prepare("select status, attempts from jobs where type = 'video.process'").all() as Array<{ status: string; attempts: number }>;
    let jobs = readJobs();
    for (let i = 0; i < 100 && jobs[0]?.status === 'active'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      jobs = readJobs();
    }
    const video = db.prepare('select status, output_prefix from videos where id = ?').get(id) as { status: string; output_prefix: string };
    db.close();
    expect(jobs).toEqual([{ status: 'completed', attempts: 2 }]);
    expect(video.status).toBe('ready');
    // Only the winning attempt's outputs remain, and no scratch.
    expect(readdirSync(path.join(dataDir, 'blobs', 'videos', id))).toEqual([video.output_prefix.split('/')[2]]);
    expect(readdirSync(path.join(dataDir, 'work'))).toEqual([]);
    expect(ffmpegProcessesOf(dataDir)).toEqual([]);
  }, 240_000);
});
