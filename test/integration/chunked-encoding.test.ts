/**
 * Chunked encoding end to end (docs/chunked-encoding.md): a 45 s 29.97 fps clip with a burnt-in frame
 * counter and A/V sync markers goes through a server that chunks it (12 s chunks of 2 s segments: four
 * video chunks, the last a short one, plus the audio job; two jobs at a time) and through one that does
 * not. The stitched renditions must be the whole-file run's frames exactly — same count, each frame the
 * right source frame (so every chunk boundary is seamless), one constant frame duration from the
 * first frame to the last with no gap or duplicate at any boundary — with segments aligned across
 * rungs, sound and picture together at the start and the end, and HLS and DASH playable end to end.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/database.js';
import { readInitSegment, readSegmentDecodeTime, readSegmentSamples } from '../../src/media/mp4-boxes.js';
import { ASSEMBLE_JOB, assembleDedupeKey, CHUNK_JOB, chunkDedupeKey } from '../../src/pipeline/chunked-jobs.js';
import { PROCESS_VIDEO_JOB } from '../../src/pipeline/process-video.js';
import { openQueue } from '../../src/queue/open-queue.js';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { beepTimes, fetchRendition, presentationTimes } from '../helpers/av-sync.js';
import { COUNTER_FPS, frameCounterClip, frameCounters } from '../helpers/frame-counter.js';
import { dropPostgresTestDatabase, postgresTestUrl } from '../helpers/postgres.js';
import { deleteRedisPrefix, redisTestUrl, uniqueRedisPrefix } from '../helpers/redis.js';
import { freePort, startServerProcess } from '../helpers/server-process.js';

const run = promisify(execFile);

const SECONDS = 45;
// Sync markers: early in chunk 0, and late in the last chunk.
const MARKER_FRAMES = [42, 1300];
const FRAME_SEC = COUNTER_FPS.den / COUNTER_FPS.num;
/** 2 s segments at 29.97 fps: 60 frames; 12 s chunks: 6 segments = 360 frames. */
const GOP = 60;
const CHUNK_FRAMES = 360;

let chunked: TestServer;
let onePass: TestServer;
let dir: string;
let chunkedVideo: any;
let onePassVideo: any;

async function processed(server: TestServer, clip: string): Promise<any> {
  const upload = await uploadFile(server.baseUrl, clip);
  expect(upload.status).toBe(201);
  const events = await followEvents(server.baseUrl, upload.body.id, 200_000);
  const video = events.at(-1)!.data;
  expect(video.status, video.error).toBe('ready');
  return video;
}

const renditionUrl = (server: TestServer, video: any, dir: string) => server.baseUrl + video.playback.hls.replace(/master\.m3u8$/, `${dir}/index.m3u8`);

describe('a chunked encode', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sf-chunked-'));
    const clip = frameCounterClip({ seconds: SECONDS, markerFrames: MARKER_FRAMES });
    // Loudness normalisation off: over 45 s of quiet background with two short bursts, loudnorm falls
    // back to its dynamic mode and lifts the background over the burst detector's threshold. The
    // audio job runs the same chains either way; timing is what this file tests.
    const common = { segmentSeconds: 2, stageConcurrency: 0, loudnessNormalise: false };
    chunked = await startTestServer({ ...common, chunkedMinDurationSec: 20, chunkSeconds: 12, workerConcurrency: 2 });
    onePass = await startTestServer({ ...common, chunkedMinDurationSec: 0 });
    [chunkedVideo, onePassVideo] = await Promise.all([processed(chunked, clip), processed(onePass, clip)]);
  }, 300_000);

  afterAll(async () => {
    await chunked?.close();
    await onePass?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ran as several chunk jobs plus the audio job, each once', async () => {
    const rows = await chunked.ctx.database.db.selectFrom('video_chunks').selectAll().where('video_id', '=', chunkedVideo.id).orderBy('idx').execute();
    const video = rows.filter((r) => r.kind === 'video');
    expect(video.map((r) => [r.idx, r.start_frame, r.end_frame])).toEqual([[0, 0, 360], [1, 360, 720], [2, 720, 1080], [3, 1080, null]]);
    expect(rows.filter((r) => r.kind === 'audio')).toHaveLength(1);
    expect(rows.every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
    // Through the Queue interface (a dedupe key returns its job's id): SQL queue or BullMQ alike.
    const version = chunkedVideo.playback.hls.split('/')[3];
    const { queue } = chunked.ctx;
    for (const row of rows) {
      const jobId = await queue.enqueue({ type: CHUNK_JOB, payload: null, dedupeKey: chunkDedupeKey({ videoId: chunkedVideo.id, version, kind: row.kind, idx: row.idx }) });
      expect(await queue.get(jobId)).toMatchObject({ status: 'completed', attempts: 1 });
    }
    const assembleId = await queue.enqueue({ type: ASSEMBLE_JOB, payload: null, dedupeKey: assembleDedupeKey({ videoId: chunkedVideo.id, version }) });
    // The worker records completion just after the handler's last write.
    await expect.poll(async () => (await queue.get(assembleId))?.status).toBe('completed');
    // The one-pass server took its usual path.
    expect((await onePass.ctx.database.db.selectFrom('video_chunks').selectAll().execute())).toEqual([]);
  });

  it('has the same rungs and frame count as the whole-file run, every frame the right one', async () => {
    expect(chunkedVideo.renditions.map((r: any) => r.name)).toEqual(onePassVideo.renditions.map((r: any) => r.name));
    expect(chunkedVideo.renditions.length).toBeGreaterThanOrEqual(3);
    const expected = Array.from({ length: Math.round(SECONDS / FRAME_SEC) }, (_, n) => n);
    for (const [i] of chunkedVideo.renditions.entries()) {
      const stitched = await fetchRendition(renditionUrl(chunked, chunkedVideo, `v${i}`));
      const whole = await fetchRendition(renditionUrl(onePass, onePassVideo, `v${i}`));
      const frames = await frameCounters(stitched, path.join(dir, `chunked-v${i}.mp4`));
      const reference = await frameCounters(whole, path.join(dir, `whole-v${i}.mp4`));
      expect(reference, `whole-file v${i}`).toEqual(expected);
      // Frame by frame, including both sides of every chunk boundary (359|360, 719|720, 1079|1080).
      expect(frames, `chunked v${i}`).toEqual(expected);
      console.log(`v${i}: ${frames.length} frames chunked, ${reference.length} whole-file`);
    }
  });

  it('is one continuous stream: constant frame duration across every chunk boundary, no gap, no duplicate', async () => {
    for (const [i] of chunkedVideo.renditions.entries()) {
      const rendition = await fetchRendition(renditionUrl(chunked, chunkedVideo, `v${i}`));
      const { timescale } = readInitSegment(rendition.init);
      const frameTicks = (timescale * COUNTER_FPS.den) / COUNTER_FPS.num;
      const samples = rendition.segments.flatMap((segment) => readSegmentSamples(segment, rendition.init));
      // Decode times: each sample where the previous one ended, all of one duration.
      samples.forEach((s, k) => {
        expect(s.duration).toBe(frameTicks);
        if (k > 0) expect(s.decodeTime).toBe(samples[k - 1]!.decodeTime + frameTicks);
      });
      // Presentation times (composition offsets applied): exactly one frame apart throughout.
      const pts = presentationTimes(rendition);
      const deltas = new Set(pts.slice(1).map((t, k) => Math.round((t - pts[k]!) * timescale)));
      expect([...deltas]).toEqual([frameTicks]);
      expect(pts[0]).toBe(0);
      // Every segment one GOP (the last one the rest), so chunk boundaries fall on segment boundaries.
      const perSegment = rendition.segments.map((segment) => readSegmentSamples(segment, rendition.init).length);
      expect(perSegment.slice(0, -1).every((n) => n === GOP)).toBe(true);
      console.log(`v${i}: PTS deltas ${[...deltas].join(',')} ticks of 1/${timescale} s over ${pts.length} frames, ${perSegment.length} segments`);
    }
  });

  it('cuts segments at the same instants in every rung, and at the chunk boundaries', async () => {
    const starts: number[][] = [];
    for (const [i] of chunkedVideo.renditions.entries()) {
      const rendition = await fetchRendition(renditionUrl(chunked, chunkedVideo, `v${i}`));
      const { timescale } = readInitSegment(rendition.init);
      starts.push(rendition.segments.map((segment) => readSegmentDecodeTime(segment) / timescale));
    }
    for (const other of starts.slice(1)) {
      expect(other.length).toBe(starts[0]!.length);
      other.forEach((t, j) => expect(Math.abs(t - starts[0]![j]!)).toBeLessThan(1e-9));
    }
    const boundaries = [1, 2, 3].map((k) => (k * CHUNK_FRAMES * FRAME_SEC));
    for (const t of boundaries) expect(starts[0]!.some((s) => Math.abs(s - t) < 1e-9)).toBe(true);
  });

  it('keeps sound and picture together at the start and at the end (within one frame)', async () => {
    const base = chunked.baseUrl + chunkedVideo.playback.hls.replace(/master\.m3u8$/, '');
    const beeps = await beepTimes(await fetchRendition(`${base}a0/index.m3u8`), path.join(dir, 'a0.mp4'));
    expect(beeps).toHaveLength(MARKER_FRAMES.length);
    const offsets: string[] = [];
    for (const [i, rung] of (chunkedVideo.renditions as Array<{ name: string }>).entries()) {
      const rendition = await fetchRendition(`${base}v${i}/index.m3u8`);
      const counters = await frameCounters(rendition, path.join(dir, `sync-v${i}.mp4`));
      const pts = presentationTimes(rendition);
      MARKER_FRAMES.forEach((frame, m) => {
        const shown = pts[counters.indexOf(frame)]!;
        expect(Math.abs(shown - beeps[m]!), `${rung.name} marker ${m}`).toBeLessThanOrEqual(FRAME_SEC);
        offsets.push(`${rung.name}@frame ${frame}: ${((beeps[m]! - shown) * 1000).toFixed(1)} ms`);
      });
    }
    console.log(`A/V (audio − video), chunked: ${offsets.join(', ')}`);
  });

  it('plays end to end through HLS and DASH (ffmpeg reads every frame)', async () => {
    const expectedFrames = Math.round(SECONDS / FRAME_SEC);
    for (const manifest of [chunkedVideo.playback.hls, chunkedVideo.playback.dash]) {
      const { stdout } = await run('ffprobe', [
        '-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0',
        chunked.baseUrl + manifest,
      ], { maxBuffer: 16 * 1024 * 1024 });
      expect(Number(stdout.trim().split('\n')[0]), manifest).toBe(expectedFrames);
    }
  }, 120_000);
});


/**
 * A worker killed with SIGKILL in the middle of a chunk: only that chunk's job runs again (on the
 * other worker, once its lease expires), every other job ran once, and the video is whole. Three OS
 * processes from dist/ (run `npm run build` first) share one PostgreSQL database and one store: an
 * API process taking the upload and two single-job workers — once with the SQL queue in that
 * database, once with BullMQ on Redis. Job attempts are read through the Queue interface (a dedupe
 * key returns its job's id), so both drivers are held to the same account.
 */
const redisUrl = await redisTestUrl();
describe.each([
  { queue: 'SQL queue', redis: false },
  { queue: 'BullMQ', redis: true },
])('a worker dying mid-chunk ($queue)', ({ redis }) => {
  const processes = new Map<string, ChildProcess>();
  let root: string;
  let databaseUrl: string | null;
  let env: Record<string, string>;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'sf-chunk-kill-'));
    databaseUrl = await postgresTestUrl();
    env = {
      DATABASE_URL: databaseUrl!,
      ...(redis && redisUrl ? { REDIS_URL: redisUrl, STREAMFORGE_REDIS_PREFIX: uniqueRedisPrefix() } : {}),
      STORAGE_URL: `file:${path.join(root, 'store')}`,
    };
  });

  afterAll(async () => {
    for (const child of processes.values()) child.kill('SIGKILL');
    if (databaseUrl) await dropPostgresTestDatabase(databaseUrl).catch(() => {});
    if (redis && redisUrl && env.STREAMFORGE_REDIS_PREFIX) await deleteRedisPrefix(redisUrl, env.STREAMFORGE_REDIS_PREFIX);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function start(name: string, role: 'api' | 'worker'): Promise<{ port: number; child: ChildProcess }> {
    const port = await freePort();
    const child = await startServerProcess({
      port,
      dataDir: path.join(root, name),
      env: {
        ...env,
        STREAMFORGE_ROLE: role,
        STREAMFORGE_CHUNKED_MIN_DURATION_SEC: '20',
        STREAMFORGE_CHUNK_SECONDS: '12',
        // Long enough that a live worker on a loaded CI machine never misses a heartbeat (a 3 s lease was
        // once lost there and the chunk ran a third time); short enough that the killed one is noticed soon.
        STREAMFORGE_JOB_LEASE_MS: '8000',
        STREAMFORGE_WORKER_CONCURRENCY: '1',
        STREAMFORGE_STAGE_CONCURRENCY: '0',
        STREAMFORGE_LOUDNESS_NORMALISE: 'false',
      },
    });
    processes.set(name, child);
    return { port, child };
  }

  it('redoes only the interrupted chunk, elsewhere', async (ctx) => {
    if (!databaseUrl || (redis && !redisUrl)) return ctx.skip();
    const api = await start('api', 'api');
    const workers = [await start('worker-1', 'worker'), await start('worker-2', 'worker')];
    const baseUrl = `http://127.0.0.1:${api.port}`;
    const database = openDatabase(databaseUrl);
    const db = database.db;
    const queue = await openQueue({ config: loadConfig({ env: { ...env, STREAMFORGE_DATA_DIR: root } }), database });
    try {
      const upload = await uploadFile(baseUrl, frameCounterClip({ seconds: SECONDS, markerFrames: MARKER_FRAMES }));
      const id: string = upload.body.id;

      // Wait for a video chunk past the first to be running, its ffmpeg started, on one of the workers.
      const poll = async <T>(what: string, read: () => Promise<T | null | undefined>, timeoutMs = 120_000): Promise<T> => {
        const until = Date.now() + timeoutMs;
        for (;;) {
          const value = await read();
          if (value) return value;
          if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const victim = await poll('a running chunk', async () => {
        const row = await db.selectFrom('video_chunks').selectAll().where('video_id', '=', id).where('kind', '=', 'video')
          .where('status', '=', 'running').where('idx', '>=', 1).orderBy('idx').executeTakeFirst();
        const pid = row?.attempt_owner ? Number(row.attempt_owner.split(':')[1]) : NaN;
        const worker = workers.find((w) => w.child.pid === pid);
        return row && worker && ffmpegChildren(pid).length > 0 ? { idx: row.idx, worker } : null;
      });
      victim.worker.child.kill('SIGKILL');
      await new Promise((r) => victim.worker.child.once('exit', r));

      const video = await poll('the video to be ready', async () => {
        const row = await db.selectFrom('videos').selectAll().where('id', '=', id).executeTakeFirst();
        if (row?.status === 'failed') throw new Error(`video failed: ${row.error}`);
        return row?.status === 'ready' ? row : null;
      }, 180_000);
      const version = video.output_prefix!.split('/')[2]!;
      const chunkRows = await db.selectFrom('video_chunks').select(['kind', 'idx', 'attempts', 'status']).where('video_id', '=', id).execute();
      const keys: Record<string, string> = {
        'video.process': `process:${id}`,
        'video.assemble': assembleDedupeKey({ videoId: id, version }),
        ...Object.fromEntries(chunkRows.map((c) => [`${c.kind}${c.idx}`, chunkDedupeKey({ videoId: id, version, kind: c.kind, idx: c.idx })])),
      };
      const types: Record<string, string> = { 'video.process': PROCESS_VIDEO_JOB, 'video.assemble': ASSEMBLE_JOB };
      // The worker records completion just after the handler's last write.
      const attempts = await poll('every job to complete', async () => {
        const found: Record<string, number> = {};
        for (const [name, dedupeKey] of Object.entries(keys)) {
          const jobId = await queue.enqueue({ type: types[name] ?? CHUNK_JOB, payload: null, dedupeKey });
          const info = await queue.get(jobId);
          if (info?.status !== 'completed') return null;
          found[name] = info.attempts;
        }
        return found;
      }, 30_000);
      expect(attempts).toEqual({
        'video.process': 1, 'video.assemble': 1, audio0: 1,
        video0: 1, video1: 1, video2: 1, video3: 1, [`video${victim.idx}`]: 2,
      });
      expect(chunkRows.every((r) => r.status === 'done' && r.attempts === (r.kind === 'video' && r.idx === victim.idx ? 2 : 1))).toBe(true);

      const playback = ((await (await fetch(`${baseUrl}/api/videos/${id}`)).json()) as { playback: { hls: string } }).playback;
      expect(playback.hls).toContain(version);
      const { stdout } = await run('ffprobe', [
        '-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0',
        baseUrl + playback.hls,
      ]);
      expect(Number(stdout.trim().split('\n')[0]), stdout).toBe(Math.round(SECONDS / FRAME_SEC));
      console.log(`killed the worker in the middle of chunk ${victim.idx}; it ran twice, every other job once`);
    } finally {
      await queue.close?.();
      await database.close();
    }
  }, 240_000);
});

/** ffmpeg processes (direct or under setpriv) whose parent is `pid`. */
function ffmpegChildren(pid: number): string[] {
  try {
    return execFileSync('pgrep', ['-a', '-P', String(pid)], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('ffmpeg'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
