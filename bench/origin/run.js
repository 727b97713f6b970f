// Origin benchmark: nginx (sendfile) vs StreamForge's origin vs plain Node http + createReadStream,
// serving the same real CMAF segments, measured with wrk in the same run. See README.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx } from '../nginx.js';
import { freePort } from '../serve.js';
import { runWrk } from '../wrk.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

const env = process.env;
const durationS = Number(env.BENCH_DURATION ?? 10);
const warmupS = Number(env.BENCH_WARMUP ?? 2);
const connectionsList = (env.BENCH_CONNECTIONS ?? '50,200').split(',').map(Number);
const workersList = (env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const wrkThreads = Number(env.BENCH_WRK_THREADS ?? 2);
const videoCount = Number(env.BENCH_VIDEOS ?? 20);
const mediaDir = env.BENCH_MEDIA_DIR ?? path.join(os.tmpdir(), 'streamforge-bench-origin-media');
const servers = (env.BENCH_SERVERS ?? 'nginx,origin,baseline').split(',');
const rounds = Number(env.BENCH_ROUNDS ?? 3);

const originModule = env.ORIGIN_MODULE ? path.resolve(env.ORIGIN_MODULE) : buildOrigin();
const source = generateSegments();
const work = mkdtempSync(path.join(os.tmpdir(), 'streamforge-bench-origin-'));
const storeRoot = path.join(work, 'store');
const urls = populateStore();
const urlFile = path.join(work, 'urls.txt');
writeFileSync(urlFile, urls.map((u) => u.path).join('\n') + '\n');

const children = new Set();
process.on('exit', () => {
  // SIGTERM, not SIGKILL: nginx's master then takes its workers down with it.
  for (const child of children) child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

const segmentBytes = urls.map((u) => u.bytes);
console.log(
  `media: ${urls.length} segments (${videoCount} videos × ${source.segments.length}), ` +
    `mean ${(mean(segmentBytes) / 1024).toFixed(0)} KiB, min ${(Math.min(...segmentBytes) / 1024).toFixed(0)} KiB, ` +
    `max ${(Math.max(...segmentBytes) / 1024).toFixed(0)} KiB`,
);
console.log(
  `machine: ${os.cpus().length} cores, node ${process.version}, ${spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim()}`,
);
console.log(`wrk: ${wrkThreads} threads, ${durationS} s per measurement after ${warmupS} s warm-up, connections ${connectionsList.join('/')}\n`);

// The machine is shared and noisy: every configuration is measured `rounds` times, the servers
// interleaved (in a rotating order) within each round, and the median round is reported. CPU time of
// each server's processes (user + system, from /proc) gives requests per CPU-second, which noise from
// other processes disturbs far less than req/s.
console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const results = [];
for (const workers of workersList) {
  const running = {};
  if (servers.includes('nginx')) running.nginx = await startNginxFor(workers);
  if (servers.includes('origin')) running.origin = await startNode('origin', workers);
  if (servers.includes('baseline')) running.baseline = await startNode('baseline', workers);
  const names = Object.keys(running);
  for (const name of names) await checkServer(name, running[name].port);
  for (const connections of connectionsList) {
    const samples = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) {
        const server = running[name];
        if (round === 0 && warmupS > 0) await runWrkOn(server.port, connections, warmupS);
        const cpuBefore = cpuSecondsOfTree(server.pid);
        const measured = await runWrkOn(server.port, connections, durationS);
        measured.cpuS = cpuSecondsOfTree(server.pid) - cpuBefore;
        measured.reqPerCpuS = measured.requests / measured.cpuS;
        samples[name].push(measured);
        console.log(
          `workers=${workers} c=${String(connections).padEnd(3)} round ${round + 1} ${name.padEnd(8)} ` +
            `${measured.rps.toFixed(0).padStart(6)} req/s  p50 ${ms(measured.p50Us)}  p99 ${ms(measured.p99Us)}  ` +
            `${measured.mbps.toFixed(0)} MB/s  ${measured.reqPerCpuS.toFixed(0)} req/CPU-s` +
            (measured.errors ? `  ERRORS ${JSON.stringify(measured.errorDetail)}` : ''),
        );
      }
    }
    for (const name of names) {
      const sorted = [...samples[name]].sort((a, b) => a.rps - b.rps);
      const median = sorted[Math.floor(sorted.length / 2)];
      const perCpu = samples[name].map((m) => m.reqPerCpuS).sort((a, b) => a - b);
      results.push({
        workers,
        connections,
        server: name,
        ...median,
        rpsMin: sorted[0].rps,
        rpsMax: sorted[sorted.length - 1].rps,
        reqPerCpuS: perCpu[Math.floor(perCpu.length / 2)],
        errors: samples[name].reduce((n, m) => n + m.errors, 0),
      });
    }
  }
  for (const server of Object.values(running)) await server.stop();
}
console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

console.log(`\nmedian of ${rounds} rounds (req/s range in brackets); ratios against nginx with the same process count`);
console.log('| processes | connections | server | req/s [min–max] | × nginx | p50 ms | p99 ms | MB/s | req per CPU-s | × nginx | errors |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const reference = results.find((x) => x.server === 'nginx' && x.workers === r.workers && x.connections === r.connections);
  const ratio = reference ? (r.rps / reference.rps).toFixed(2) : '–';
  const cpuRatio = reference ? (r.reqPerCpuS / reference.reqPerCpuS).toFixed(2) : '–';
  console.log(
    `| ${r.workers} | ${r.connections} | ${r.server} | ${r.rps.toFixed(0)} [${r.rpsMin.toFixed(0)}–${r.rpsMax.toFixed(0)}] | ${ratio} | ` +
      `${(r.p50Us / 1000).toFixed(1)} | ${(r.p99Us / 1000).toFixed(1)} | ${r.mbps.toFixed(0)} | ${r.reqPerCpuS.toFixed(0)} | ${cpuRatio} | ${r.errors} |`,
  );
}

/** User + system CPU seconds of a process and all its descendants (cluster workers, nginx workers). */
function cpuSecondsOfTree(rootPid) {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const parents = new Map();
  const ticks = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the parenthesised command name: state ppid … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parents.set(Number(entry), Number(fields[1]));
    ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p = pid; p > 1; p = parents.get(p) ?? 0) {
      if (p === rootPid) {
        total += t;
        break;
      }
    }
  }
  return total / ticksPerSecond;
}

function buildOrigin() {
  // Compiles src/delivery (and what it imports) alone, so half-written files elsewhere cannot break it.
  execFileSync(path.join(repo, 'node_modules/.bin/tsc'), ['-p', path.join(here, 'tsconfig.json')], { stdio: 'inherit' });
  return path.join(here, '.build/delivery/origin.js');
}

/** 20 s of noisy 1080p testsrc2 as 4 s fMP4/CMAF segments of ≈ 600 KB, made once and reused. */
function generateSegments() {
  const dir = path.join(mediaDir, 'v0');
  const done = path.join(mediaDir, '.complete');
  if (!existsSync(done)) {
    rmSync(mediaDir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    console.log(`generating segments with ffmpeg into ${mediaDir} …`);
    execFileSync(
      'ffmpeg',
      [
        '-hide_banner', '-loglevel', 'error', '-y',
        '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=20',
        '-vf', 'noise=alls=12:allf=t',
        '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
        '-b:v', '1200k', '-maxrate', '1200k', '-bufsize', '2400k',
        '-g', '120', '-keyint_min', '120', '-sc_threshold', '0',
        '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
        '-hls_fmp4_init_filename', 'init.mp4',
        '-hls_segment_filename', path.join(dir, 'seg_%05d.m4s'),
        path.join(dir, 'index.m3u8'),
      ],
      { stdio: 'inherit' },
    );
    writeFileSync(done, '');
  }
  const segments = readdirSync(dir).filter((f) => f.endsWith('.m4s')).sort();
  return { dir, segments };
}

/** Copies the segments under BENCH_VIDEOS video ids (distinct files, as real videos are). */
function populateStore() {
  const list = [];
  for (let v = 0; v < videoCount; v++) {
    const id = `bench${String(v).padStart(3, '0')}`;
    const target = path.join(storeRoot, 'videos', id, '1', 'v0');
    mkdirSync(target, { recursive: true });
    for (const file of [...source.segments, 'init.mp4', 'index.m3u8']) copyFileSync(path.join(source.dir, file), path.join(target, file));
    for (const file of source.segments) {
      list.push({ path: `/stream/${id}/1/v0/${file}`, bytes: statSync(path.join(target, file)).size });
    }
  }
  return list;
}

async function startNginxFor(workers) {
  const nginx = await startNginx({ prefix: path.join(work, `nginx-${workers}`), videosDir: path.join(storeRoot, 'videos'), workers });
  children.add(nginx.child);
  return nginx;
}

async function startNode(kind, workers) {
  const child = spawn(process.execPath, [path.join(here, 'server.js')], {
    env: { ...env, BENCH_SERVER: kind, BENCH_WORKERS: String(workers), BENCH_ROOT: storeRoot, ORIGIN_MODULE: originModule },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /LISTENING (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { port, pid: child.pid, stop: () => stop(child, 'SIGTERM') };
}

function stop(child, signal) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill(signal);
  });
}

/** Every server must answer a sample of URLs with 200 and the right length before it is measured. */
async function checkServer(name, port) {
  for (const url of [urls[0], urls[urls.length - 1]]) {
    const { status, length } = await get(port, url.path);
    if (status !== 200 || length !== url.bytes) throw new Error(`${name}: ${url.path} → ${status}, ${length} bytes (want ${url.bytes})`);
  }
}

function runWrkOn(port, connections, seconds) {
  return runWrk({ ports: [port], pathFile: urlFile, connections, threads: wrkThreads, seconds });
}

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let length = 0;
        res.on('data', (chunk) => (length += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode, length }));
      })
      .on('error', reject);
  });
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function ms(us) {
  return `${(us / 1000).toFixed(1).padStart(6)} ms`;
}
