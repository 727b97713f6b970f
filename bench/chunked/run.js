#!/usr/bin/env node
/**
 * bench/chunked — one video across many workers (docs/chunked-encoding.md): the same noisy 1080p30
 * source (bench/bench-source.js; 600 s by default, BENCH_SOURCE_SECONDS to shorten it) through
 * StreamForge with 1, 2 and 4 `serve --role worker` processes from dist/ sharing one fresh
 * PostgreSQL database and one `file:` store, chunked, and through the one-pass ladder on one worker
 * as the reference — all in the same run. Prints wall times (accepted → ready), speed-ups against
 * one worker and against one-pass, the serial part (probe + analysis, audio, assembly + packaging)
 * against the parallel part (the video chunks), and Amdahl's projection for N machines.
 *
 *   npm run bench:chunked
 *   BENCH_SOURCE_SECONDS=60 BENCH_CHUNK_SECONDS=12 npm run bench:chunked
 *
 * Env: BENCH_DATABASE_URL (admin URL, default postgres://postgres@127.0.0.1:5432/test),
 * BENCH_WORKERS (default 1,2,4), BENCH_CHUNK_SECONDS (default 120, the product default),
 * BENCH_SOURCE_NOISE (the source's noise strength, default 30: bench/bench-source.js),
 * REDIS_URL (passed to the workers: BullMQ when its driver is in, else the SQL queue).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSource } from '../bench-source.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { createAppContext, closeAppContext } = await import(path.join(root, 'dist/app.js'));
const { loadConfig } = await import(path.join(root, 'dist/config/config.js'));
const { acceptVideo } = await import(path.join(root, 'dist/videos/video-intake.js'));
const { newId } = await import(path.join(root, 'dist/ids.js'));
const { pino } = await import('pino');
const pg = (await import('pg')).default;

const seconds = Number(process.env.BENCH_SOURCE_SECONDS ?? 600);
const chunkSeconds = Number(process.env.BENCH_CHUNK_SECONDS ?? 120);
const workerCounts = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const noise = Number(process.env.BENCH_SOURCE_NOISE ?? 30);
const source = benchSource(seconds, { noise });
const queueDriver = process.env.REDIS_URL ? `BullMQ on ${process.env.REDIS_URL}` : 'SQL queue on PostgreSQL';

async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function spawnWorker(env, port) {
  const child = spawn(process.execPath, [path.join(root, 'bin/streamforge.js'), 'serve', '--role', 'worker', '--port', String(port)], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

/** One configuration: `workers` worker processes; chunked unless `onePass`. Resolves with its timings. */
async function runOnce({ workers, onePass }) {
  const name = `sf_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-chunked-'));
  const env = {
    DATABASE_URL: url.toString(),
    STORAGE_URL: `file:${path.join(dir, 'store')}`,
    // Each configuration its own queues, when REDIS_URL selects BullMQ.
    STREAMFORGE_REDIS_PREFIX: name,
    STREAMFORGE_CHUNKED_MIN_DURATION_SEC: onePass ? '0' : '1',
    STREAMFORGE_CHUNK_SECONDS: String(chunkSeconds),
    STREAMFORGE_WORKER_CONCURRENCY: '1',
    STREAMFORGE_STAGE_CONCURRENCY: '0',
  };
  const config = loadConfig({ env: { ...process.env, ...env }, overrides: { dataDir: path.join(dir, 'api'), port: 0 } });
  const ctx = await createAppContext({ config, logger: pino({ level: 'warn' }), runWorker: false });
  const children = [];
  try {
    for (let i = 0; i < workers; i++) children.push(spawnWorker({ ...env, STREAMFORGE_DATA_DIR: path.join(dir, `w${i}`) }, 0));
    const id = newId();
    await ctx.store.putFile(`originals/${id}`, source);
    const accepted = Date.now();
    await acceptVideo(ctx, { id, sourceKey: `originals/${id}`, sourceBytes: statSync(source).size, sourceName: path.basename(source), title: 'bench' });
    const db = ctx.database.db;
    for (;;) {
      const video = await db.selectFrom('videos').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow();
      if (video.status === 'failed') throw new Error(`video failed: ${video.error}`);
      if (video.status === 'ready') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const wallMs = Date.now() - accepted;
    const jobs = await db.selectFrom('jobs').selectAll().where('type', '!=', 'video.stage').execute();
    const span = (type) => jobs.filter((j) => j.type === type).reduce((sum, j) => sum + ((j.finished_at ?? j.updated_at) - j.created_at), 0);
    const chunks = await db.selectFrom('video_chunks').selectAll().where('video_id', '=', id).execute();
    const ffmpegMs = (kind) => chunks.filter((c) => c.kind === kind).reduce((sum, c) => sum + JSON.parse(c.result_json).ffmpegMs, 0);
    return {
      wallMs,
      processMs: span('video.process'),
      assembleMs: span('video.assemble'),
      audioMs: ffmpegMs('audio'),
      videoChunkMs: ffmpegMs('video'),
      chunkCount: chunks.filter((c) => c.kind === 'video').length,
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)))));
    await closeAppContext(ctx, { graceMs: 1000 });
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }
}

const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
console.log(`source: ${seconds} s 1080p30 (noise ${noise}), chunks of ${chunkSeconds} s; ${cpus().length} cores; ${queueDriver}`);
const onePass = await runOnce({ workers: 1, onePass: true });
// Other work on the machine skews every figure: show the 1-minute load average after each run.
const load = () => `load ${loadavg()[0].toFixed(1)}`;
console.log(`one-pass (1 worker): ${s(onePass.wallMs)} (${load()})`);
const results = [];
for (const workers of workerCounts) {
  const r = await runOnce({ workers, onePass: false });
  results.push({ workers, ...r });
  console.log(`chunked, ${workers} worker(s): ${s(r.wallMs)} (${r.chunkCount} chunks, ${load()})`);
}
const base = results.find((r) => r.workers === 1) ?? results[0];
console.log('\n| workers | wall | vs 1 worker | vs one-pass |');
console.log('|---|---|---|---|');
console.log(`| one-pass, 1 | ${s(onePass.wallMs)} | — | 1.00× |`);
for (const r of results) {
  console.log(`| chunked, ${r.workers} | ${s(r.wallMs)} | ${(base.wallMs / r.wallMs).toFixed(2)}× | ${(onePass.wallMs / r.wallMs).toFixed(2)}× |`);
}
// Serial: probe + analysis (video.process), the audio job, assembly + packaging. Parallel: the rest of
// the single-worker run, i.e. the video chunks (their ffmpeg time plus per-job overhead).
const serialMs = base.processMs + base.audioMs + base.assembleMs;
const parallelMs = Math.max(0, base.wallMs - serialMs);
const serialShare = serialMs / base.wallMs;
console.log(`\n1 worker: serial ${s(serialMs)} (probe+analysis ${s(base.processMs)}, audio ${s(base.audioMs)}, assembly+packaging ${s(base.assembleMs)}), ` +
  `parallel ${s(parallelMs)} (video chunks' ffmpeg ${s(base.videoChunkMs)}): serial fraction ${(serialShare * 100).toFixed(1)} %`);
console.log(`Amdahl (N machines like this one, one worker each): ${[1, 2, 4, 8, 16].map((n) => `${n}: ${(1 / (serialShare + (1 - serialShare) / n)).toFixed(2)}×`).join(', ')}` +
  `; limit ${(1 / serialShare).toFixed(1)}×, and never more chunks than ${base.chunkCount} at once`);
console.log(`(this machine has ${cpus().length} cores: each worker's ffmpeg already uses them all, so more workers here share the same CPU — the speed-up ceiling here is the core count, not N)`);
