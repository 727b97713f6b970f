// API throughput: StreamForge's HTTP API in embedded mode (one `serve` process: SQLite, in-process
// bus, local worker) vs scale-out (`serve --role api` processes on PostgreSQL + Redis: whatever
// drivers REDIS_URL selects), 1 and 2 API processes, measured with wrk in the same run. See README.md.
//
//   npm run bench:api            (builds first; needs wrk, ffmpeg, PostgreSQL and Redis)
//   BENCH_DURATION=10 BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 node bench/api/run.js
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startServe } from '../serve.js';
import { runWrk } from '../wrk.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const env = process.env;
const durationS = Number(env.BENCH_DURATION ?? 8);
const warmupS = Number(env.BENCH_WARMUP ?? 2);
const rounds = Number(env.BENCH_ROUNDS ?? 2);
const connections = Number(env.BENCH_CONNECTIONS ?? 50);
const wrkThreads = Number(env.BENCH_WRK_THREADS ?? 2);
const videoCount = Number(env.BENCH_VIDEOS ?? 50);
const adminDatabaseUrl = env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = env.BENCH_REDIS_URL ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Uploads need an account: every `serve` accepts this admin API key (STREAMFORGE_API_KEY).
const apiKey = `bench-${randomBytes(16).toString('hex')}`;

const { openDatabase, migrateToLatest } = await import(path.join(repo, 'dist/db/database.js'));
const { newId } = await import(path.join(repo, 'dist/ids.js'));

const work = mkdtempSync(path.join(os.tmpdir(), 'streamforge-bench-api-'));
const children = new Set();
/** port → a running `serve` (bench/serve.js). */
const running = new Map();
let pgDatabase = null;
const cleanup = async () => {
  for (const child of children) child.kill('SIGKILL');
  if (pgDatabase) await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`)).catch(() => {});
  rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => cleanup().finally(() => process.exit(130)));

try {
  await main();
} finally {
  await cleanup();
}

async function main() {
  console.log(`machine: ${os.cpus().length} cores, node ${process.version}, ${spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0]}`);
  console.log(`wrk: ${wrkThreads} threads, ${connections} connections, ${durationS} s per measurement after ${warmupS} s warm-up, ${rounds} rounds`);

  // 1. One real video, processed by a real StreamForge, gives a realistic row; it is copied to 50.
  const template = await processOneVideo();
  const rows = Array.from({ length: videoCount }, (_, i) => ({
    ...template,
    id: newId(),
    title: `Benchmark video ${String(i + 1).padStart(3, '0')}`,
    created_at: template.created_at + i * 1000,
    updated_at: template.updated_at + i * 1000,
  }));

  // 2. The same rows in a fresh SQLite database (embedded) and a fresh PostgreSQL database (scale-out).
  const embeddedDir = path.join(work, 'embedded');
  await seed(`sqlite:${path.join(embeddedDir, 'streamforge.db')}`, rows);
  pgDatabase = `sf_bench_${Math.random().toString(36).slice(2, 10)}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${pgDatabase}`));
  const pgUrl = new URL(adminDatabaseUrl);
  pgUrl.pathname = `/${pgDatabase}`;
  await seed(pgUrl.toString(), rows);

  // 3. The processes: embedded `serve` (role all: HTTP + an idle worker, as a single-machine install
  // runs), and two `serve --role api` on the same PostgreSQL and Redis (and a shared blob directory:
  // the requests measured here never touch storage).
  const quiet = { LOG_LEVEL: 'warn', STREAMFORGE_MIN_FREE_BYTES: '0' };
  const embedded = await startServeTracked('embedded', ['serve'], { ...quiet, STREAMFORGE_DATA_DIR: embeddedDir });
  const scaleOutEnv = {
    ...quiet,
    DATABASE_URL: pgUrl.toString(),
    REDIS_URL: redisUrl,
    STREAMFORGE_REDIS_PREFIX: `sf-bench-${process.pid}`,
    STORAGE_URL: `file:${path.join(work, 'shared-blobs')}`,
  };
  const api1 = await startServeTracked('api-1', ['serve', '--role', 'api'], { ...scaleOutEnv, STREAMFORGE_DATA_DIR: path.join(work, 'api-1') });
  const api2 = await startServeTracked('api-2', ['serve', '--role', 'api'], { ...scaleOutEnv, STREAMFORGE_DATA_DIR: path.join(work, 'api-2') });
  const setups = [
    { name: 'embedded, 1 process', ports: [embedded] },
    { name: 'scale-out, 1 API', ports: [api1] },
    { name: 'scale-out, 2 APIs', ports: [api1, api2] },
  ];

  const ids = rows.map((r) => r.id);
  const endpoints = [
    { name: 'GET /api/videos?limit=20', paths: ['/api/videos?limit=20'] },
    { name: 'GET /api/videos/:id', paths: ids.map((id) => `/api/videos/${id}`) },
    { name: 'GET /health', paths: ['/health'] },
  ];
  for (const setup of setups) for (const endpoint of endpoints) await checkAnswers(setup, endpoint, ids);

  // 4. Interleaved rounds (rotating order), median round per (endpoint, setup).
  const samples = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const endpoint of endpoints) {
      const pathFile = path.join(work, 'paths.txt');
      writeFileSync(pathFile, endpoint.paths.join('\n') + '\n');
      const order = setups.map((_, i) => setups[(i + round) % setups.length]);
      for (const setup of order) {
        await runWrkOn(setup.ports, pathFile, warmupS);
        const measured = await runWrkOn(setup.ports, pathFile, durationS);
        const key = `${endpoint.name}|${setup.name}`;
        samples.set(key, [...(samples.get(key) ?? []), measured]);
        console.log(
          `round ${round + 1}  ${endpoint.name.padEnd(26)} ${setup.name.padEnd(20)} ${measured.rps.toFixed(0).padStart(6)} req/s  ` +
            `p50 ${(measured.p50Us / 1000).toFixed(1)} ms  p99 ${(measured.p99Us / 1000).toFixed(1)} ms  errors ${measured.errors}`,
        );
      }
    }
  }

  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`\n| endpoint | setup | req/s [min–max] | × embedded | p50 ms | p99 ms | errors |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const endpoint of endpoints) {
    const reference = median(samples.get(`${endpoint.name}|${setups[0].name}`));
    for (const setup of setups) {
      const all = samples.get(`${endpoint.name}|${setup.name}`);
      const m = median(all);
      const range = all.length > 1 ? ` [${Math.min(...all.map((s) => s.rps)).toFixed(0)}–${Math.max(...all.map((s) => s.rps)).toFixed(0)}]` : '';
      console.log(
        `| ${endpoint.name} | ${setup.name} | ${m.rps.toFixed(0)}${range} | ${(m.rps / reference.rps).toFixed(2)}× | ` +
          `${(m.p50Us / 1000).toFixed(1)} | ${(m.p99Us / 1000).toFixed(1)} | ${all.reduce((n, s) => n + s.errors, 0)} |`,
      );
    }
  }
}

/** Uploads a 4 s clip to a throw-away embedded StreamForge and returns its `videos` row once ready. */
async function processOneVideo() {
  const dir = path.join(work, 'template');
  const clip = path.join(work, 'clip.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
  const port = await startServeTracked('template', ['serve'], { LOG_LEVEL: 'warn', STREAMFORGE_MIN_FREE_BYTES: '0', STREAMFORGE_STAGE_CONCURRENCY: '0', STREAMFORGE_DATA_DIR: dir });
  const form = new FormData();
  form.append('title', 'template');
  form.append('file', await openAsBlob(clip), 'clip.mp4');
  const created = await (await fetch(`http://127.0.0.1:${port}/api/videos`, { method: 'POST', body: form, headers: { authorization: `Bearer ${apiKey}` } })).json();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const video = await (await fetch(`http://127.0.0.1:${port}/api/videos/${created.id}`)).json();
    if (video.status === 'ready') break;
    if (video.status === 'failed' || Date.now() > deadline) throw new Error(`template video: ${video.status} ${video.error ?? ''}`);
    await new Promise((r) => setTimeout(r, 200)); // polling for a condition, bounded by the deadline
  }
  await stopServe(port);
  const handle = openDatabase(`sqlite:${path.join(dir, 'streamforge.db')}`);
  const row = await handle.db.selectFrom('videos').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
  await handle.close();
  return row;
}

async function seed(databaseUrl, rows) {
  const handle = openDatabase(databaseUrl);
  await migrateToLatest(handle.db);
  await handle.db.insertInto('videos').values(rows).execute();
  await handle.close();
}

async function withAdmin(use) {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function startServeTracked(name, args, extraEnv) {
  // wrk's connections are all 127.0.0.1 and anonymous: one rate-limit bucket, which would measure the limiter.
  const serve = await startServe({ name, args, env: { STREAMFORGE_RATE_LIMIT_API: '0', ...extraEnv, STREAMFORGE_API_KEY: apiKey } });
  children.add(serve.child);
  running.set(serve.port, serve);
  return serve.port;
}

async function stopServe(port) {
  const serve = running.get(port);
  await serve.stop();
  children.delete(serve.child);
  running.delete(port);
}

/** Every setup must answer every endpoint with 200 and the seeded data before it is measured. */
async function checkAnswers(setup, endpoint, ids) {
  for (const port of setup.ports) {
    const res = await fetch(`http://127.0.0.1:${port}${endpoint.paths[0]}`);
    const body = await res.json();
    if (res.status !== 200) throw new Error(`${setup.name} ${endpoint.name}: HTTP ${res.status}`);
    if (endpoint.paths[0] === '/api/videos?limit=20' && (body.total !== ids.length || body.videos.length !== 20)) {
      throw new Error(`${setup.name}: list has ${body.total} videos, ${body.videos.length} on the page`);
    }
    if (endpoint.paths[0].startsWith('/api/videos/') && (body.id !== ids[0] || body.status !== 'ready')) throw new Error(`${setup.name}: wrong video`);
  }
}

function runWrkOn(ports, pathFile, seconds) {
  return runWrk({ ports, pathFile, connections, threads: wrkThreads, seconds });
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
