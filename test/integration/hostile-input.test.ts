/**
 * Hostile uploads through the real server (issue #6, docs/hostile-input.md). Every file of the
 * hostile corpus (test/helpers/hostile-corpus.ts) is refused, failed with a precise reason, or
 * processed safely; the loopback canary its playlists point at sees no connection; no stored blob
 * holds the bait files' marker, nor a rendition the polyglot's HTML; hostile file names stay display
 * text under generated keys; and afterwards the server is healthy, takes a normal upload, and has no
 * ffmpeg left running. Reads storage only through the BlobStore, so it runs in the scale-out project.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { MediaLimitError } from '../../src/errors.js';
import { runProcess } from '../../src/media/ffmpeg-process.js';
import { probeMedia } from '../../src/media/ffprobe.js';
import { ffprobeLimitsOf, mediaLimitsOf } from '../../src/pipeline/input-limits.js';
import { authHeaders, followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { buildHostileCorpus, type HostileCase, type HostileCorpus } from '../helpers/hostile-corpus.js';
import { corpusFile } from '../helpers/media.js';

const EVENTS_TIMEOUT_MS = 100_000;
const ID = /^[0-9A-Za-z]{12}$/;
/** What a title or stored file name may never contain: controls, bidi overrides, path separators. */
const UNDISPLAYABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let server: TestServer;
let canary: Server;
let canaryConnections = 0;
const canaryRequests: string[] = [];
let dir: string;
let corpus: HostileCorpus;

beforeAll(async () => {
  canary = createServer((req, res) => {
    canaryRequests.push(`${req.method} ${req.url}`);
    res.end('canary');
  });
  canary.on('connection', () => canaryConnections++);
  await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
  const { port } = canary.address() as AddressInfo;
  dir = mkdtempSync(path.join(tmpdir(), 'sf-hostile-'));
  corpus = buildHostileCorpus({ dir, canaryUrl: `http://127.0.0.1:${port}` });
  // No enrichment stages: what is under test is the intake path; stages read our own renditions.
  server = await startTestServer({ workerConcurrency: 2 }, { stages: [] });
});

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => canary?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  name: string;
  httpStatus: number;
  /** The video record at its last event, when the upload was accepted. */
  video?: { id: string; status: string; error: string | null };
  /** The upload's error message, when it was refused. */
  refusal?: string;
}

async function uploadAndFollow(c: HostileCase): Promise<Outcome> {
  const upload = await uploadFile(server.baseUrl, c.filePath);
  if (upload.status !== 201) return { name: c.name, httpStatus: upload.status, refusal: upload.body?.error?.message };
  const events = await followEvents(server.baseUrl, upload.body.id, EVENTS_TIMEOUT_MS);
  return { name: c.name, httpStatus: upload.status, video: events.at(-1)!.data };
}

/** A multipart upload whose file name goes out byte for byte (fetch's FormData would escape it). */
async function uploadNamed(fileName: string, content: Buffer): Promise<{ status: number; contentType: string | null; text: string }> {
  const boundary = `----sf${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: video/mp4\r\n\r\n`, 'utf8'),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await fetch(`${server.baseUrl}/api/videos`, {
    method: 'POST',
    headers: { ...authHeaders, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
  });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

describe('hostile uploads', () => {
  it('every corpus file is refused, failed with a precise reason, or processed safely', async () => {
    const outcomes = await Promise.all(corpus.cases.map(uploadAndFollow));
    // The table in the report: file → what happened.
    console.log(outcomes.map((o) => `${o.name.padEnd(26)} ${o.video ? `${o.video.status}: ${o.video.error ?? ''}` : `HTTP ${o.httpStatus}: ${o.refusal}`}`).join('\n'));

    for (const [i, c] of corpus.cases.entries()) {
      const outcome = outcomes[i]!;
      const label = `${c.name} (${c.what}): ${JSON.stringify(outcome)}`;
      const expected = c.expect;
      if (expected.kind === 'refused') {
        expect(outcome.httpStatus, label).toBe(expected.status);
        expect(outcome.refusal, label).toMatch(expected.reason);
        continue;
      }
      expect(outcome.httpStatus, label).toBe(201);
      const video = outcome.video!;
      if (expected.kind === 'ready') expect(video.status, label).toBe('ready');
      if (expected.kind === 'failed') {
        expect(video.status, label).toBe('failed');
        expect(video.error, label).toMatch(expected.reason);
      }
      if (video.status === 'failed') {
        // A reason for the uploader: no internal error, none of our paths.
        expect(video.error, label).toMatch(/\w{4,}/);
        expect(video.error, label).not.toMatch(/internal error|exited with|SIGKILL/i);
        expect(video.error, label).not.toContain(server.dataDir);
        expect(video.error, label).not.toContain(dir);
      } else {
        expect(video.status, label).toBe('ready');
      }
    }
  });

  it('hostile file names are display text: generated keys, clean titles, JSON', async () => {
    const text = readFileSync(corpus.cases.find((c) => c.name === 'notes.mp4')!.filePath);
    const names = [
      '../../etc/passwd.mp4',
      '..\\..\\windows\\win.ini.mp4',
      '<script>alert(1)</script>.mp4',
      `${'a'.repeat(1000)}.mp4`,
      'evil\u202Egpj.mp4',
      'nul\u0000ctl\u0001\u001b[31m\u007f\u0085x.mp4',
      '%2e%2e%2f%2e%2e%2fetc%2fshadow.mp4',
      'file:///etc/shadow',
      '名前 🎬.mp4',
    ];
    const uploads: Array<{ name: string; body: { id: string; title: string } }> = [];
    for (const [i, name] of names.entries()) {
      // One of them is a real video, so its renditions' keys are checked too.
      const upload = await uploadNamed(name, i === 0 ? readFileSync(corpus.validClip) : text);
      expect(upload.status, name).toBe(201);
      expect(upload.contentType, name).toMatch(/^application\/json/);
      const body = JSON.parse(upload.text);
      uploads.push({ name, body });
    }
    for (const { name, body } of uploads) {
      expect(body.id, name).toMatch(ID);
      expect(body.title, name).not.toMatch(UNDISPLAYABLE);
      expect(body.title, name).not.toMatch(/[\\/]/);
      expect(Array.from(body.title as string).length, name).toBeLessThanOrEqual(200);
      const row = await server.ctx.videos.get(body.id);
      expect(row!.source_key, name).toBe(`originals/${body.id}`);
      expect(row!.source_name ?? '', name).not.toMatch(UNDISPLAYABLE);
      expect(Array.from(row!.source_name ?? '').length, name).toBeLessThanOrEqual(255);
    }
    expect(uploads.find((u) => u.name.startsWith('evil'))!.body.title).toBe('evilgpj');
    expect(uploads.find((u) => u.name.startsWith('a'))!.body.title).toBe('a'.repeat(200));
    expect(uploads.find((u) => u.name.startsWith('名前'))!.body.title).toBe('名前 🎬');

    const finals = await Promise.all(uploads.map(async ({ body }) => (await followEvents(server.baseUrl, body.id, EVENTS_TIMEOUT_MS)).at(-1)!.data));
    expect(finals[0].status).toBe('ready');
    // Every key of every video is generated: the id, then our own names.
    const keys = await server.ctx.store.list('');
    for (const key of keys) expect(key).toMatch(/^(originals\/[0-9A-Za-z]{12}|videos\/[0-9A-Za-z]{12}\/[0-9a-z]+\/[A-Za-z0-9_./-]+)$/);
    expect(keys.filter((k) => /\.\.|passwd|shadow|win\.ini|script/.test(k))).toEqual([]);
    expect(keys.some((k) => k.startsWith(`videos/${uploads[0]!.body.id}/`))).toBe(true);
  });

  it('nothing was fetched: the canary saw no connection, no stored blob holds the bait or, outside originals, the HTML', async () => {
    expect(canaryRequests).toEqual([]);
    expect(canaryConnections).toBe(0);
    // The markers are detectable where they are: in the bait files and in the polyglot's original.
    expect(readFileSync(path.join(dir, 'secret.mp4')).includes(corpus.secretMarker)).toBe(true);
    const keys = await server.ctx.store.list('');
    expect(keys.filter((k) => k.startsWith('videos/')).length).toBeGreaterThan(0);
    const holding: string[] = [];
    let originalsWithHtml = 0;
    for (const key of keys) {
      const bytes = await server.ctx.store.getBytes(key);
      if (bytes.includes(corpus.secretMarker)) holding.push(`${key}: secret`);
      if (bytes.includes(corpus.htmlMarker)) {
        if (key.startsWith('originals/')) originalsWithHtml++;
        else holding.push(`${key}: html`);
      }
    }
    expect(holding).toEqual([]);
    expect(originalsWithHtml).toBeGreaterThan(0);
  });

  it('the worker stays healthy: /health answers, a normal upload plays, no ffmpeg is left', async () => {
    const health = await fetch(`${server.baseUrl}/health`);
    expect(health.status).toBe(200);
    const upload = await uploadFile(server.baseUrl, corpus.validClip);
    expect(upload.status).toBe(201);
    const last = (await followEvents(server.baseUrl, upload.body.id, EVENTS_TIMEOUT_MS)).at(-1)!;
    expect(last.data.status).toBe('ready');
    const master = await fetch(`${server.baseUrl}${last.data.playback.hls}`, { headers: authHeaders });
    expect(master.status).toBe(200);
    expect(await master.text()).toMatch(/^#EXTM3U/);
    expect(ffmpegChildren()).toEqual([]);
  });
});

/** ffmpeg/ffprobe (or their wrappers) whose parent is this process: the server runs in it. */
function ffmpegChildren(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces, so split after its closing parenthesis.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /^(ffmpeg|ffprobe|setpriv|prlimit)$/.test(comm)) found.push(`${pid} ${comm}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('kernel limits of ffmpeg processes (prlimit)', () => {
  it('a run over its memory limit fails with a MediaLimitError naming the limit', async () => {
    const run = runProcess({
      command: 'ffmpeg',
      args: ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=3840x2160', '-frames:v', '5', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'null', '-'],
      timeoutMs: 60_000,
      limits: { memoryBytes: 64 * 1024 ** 2 },
    });
    await expect(run).rejects.toThrow(MediaLimitError);
    await expect(run).rejects.toThrow(/needs more memory than the limit of 64 MiB per ffmpeg process/);
  });

  it('a run over its CPU-time limit is stopped with a MediaLimitError, ffmpeg and ffprobe alike', async () => {
    const endless = ['-f', 'lavfi', '-i', 'testsrc2=size=1280x720,boxblur=10'];
    const ffmpeg = runProcess({ command: 'ffmpeg', args: ['-v', 'error', ...endless, '-c:v', 'libx264', '-f', 'null', '-'], timeoutMs: 60_000, limits: { cpuSeconds: 1 } });
    await expect(ffmpeg).rejects.toThrow(/ffmpeg used up its CPU-time limit of 1 s/);
    const ffprobe = runProcess({ command: 'ffprobe', args: ['-v', 'error', ...endless, '-show_entries', 'frame=pts', '-of', 'csv'], timeoutMs: 60_000, limits: { cpuSeconds: 1 } });
    await expect(ffprobe).rejects.toThrow(/ffprobe used up its CPU-time limit of 1 s/);
  });

  it('the default limits hold no legitimate run back: the 8K HEVC corpus file probes under them', async () => {
    const config = loadConfig({ env: {} });
    const media = await probeMedia({
      ffprobePath: 'ffprobe',
      filePath: corpusFile('short_0.34s_hevc_8k__androidx_8k24fps_300ms.mp4'),
      timeoutMs: 60_000,
      limits: mediaLimitsOf(config),
      processLimits: ffprobeLimitsOf(config),
    });
    expect(media.video?.codedWidth).toBe(7680);
  });
});
