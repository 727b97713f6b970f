// Origin benchmark: nginx (sendfile) vs StreamForge's real `streamforge serve` process — its /stream/
// origin with the access check and the playback rate limit, as deployed — serving the same real
// segments, which StreamForge transcoded itself, measured with wrk in the same run. See README.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx } from '../nginx.js';
import { startServe } from '../serve.js';
import { runWrk } from '../wrk.js';
import { prepareData, serveEnv } from './prepare.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

const env = process.env;
const durationS = Number(env.BENCH_DURATION ?? 10);
const warmupS = Number(env.BENCH_WARMUP ?? 2);
const connectionsList = (env.BENCH_CONNECTIONS ?? '50,200').split(',').map(Number);
const workersList = (env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const wrkThreads = Number(env.BENCH_WRK_THREADS ?? 2);
const videosPerVisibility = Number(env.BENCH_VIDEOS ?? 4);
const clipSeconds = Number(env.BENCH_CLIP_SECONDS ?? 20);
const renditions = env.BENCH_RENDITIONS ?? 'top';
const tokensPerVideo = Number(env.BENCH_TOKENS ?? 25);
const clientAddresses = Number(env.BENCH_CLIENT_ADDRESSES ?? 10_000);
const dataDir = env.BENCH_DATA_DIR ?? path.join(os.tmpdir(), 'streamforge-bench-origin-data');
const servers = (env.BENCH_SERVERS ?? 'nginx,streamforge,streamforge-private,baseline').split(',');
const rounds = Number(env.BENCH_ROUNDS ?? 3);
const knownServers = ['nginx', 'streamforge', 'streamforge-private', 'origin-bare', 'baseline'];
for (const name of servers) if (!knownServers.includes(name)) throw new Error(`BENCH_SERVERS: unknown ${name} (${knownServers.join(', ')})`);

const data = await prepareData({ dataDir, videosPerVisibility, clipSeconds });
const blobRoot = path.join(dataDir, 'blobs');
const work = mkdtempSync(path.join(os.tmpdir(), 'streamforge-bench-origin-'));
const children = new Set();
process.on('exit', () => {
  // SIGTERM, not SIGKILL: nginx's master then takes its workers down with it.
  for (const child of children) child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

// What a deployment behind a reverse proxy or CDN runs: `serve` with its default limits (playback:
// STREAMFORGE_RATE_LIMIT_PLAYBACK = 1200 per 60 s per client address) and the proxy trusted to name
// the client. wrk sends `X-Forwarded-For` cycling through BENCH_CLIENT_ADDRESSES addresses, so the
// limiter resolves the client and keeps one bucket per address, as for that many viewers.
// BENCH_CLIENT_ADDRESSES=0: no header, every request is 127.0.0.1's (one bucket: throttled).
const measuredServeEnv = {
  ...serveEnv(data),
  ...(clientAddresses > 0 && { STREAMFORGE_TRUST_PROXY: 'loopback' }),
  ...(env.BENCH_SERVE_ENV ? JSON.parse(env.BENCH_SERVE_ENV) : {}),
};

// The request lists come from the real playlists, read from a `serve` before anything is measured.
const lists = await readRequestLists();
const pathFiles = {};
for (const [name, list] of Object.entries(lists)) {
  pathFiles[name] = path.join(work, `${name}.txt`);
  writeFileSync(pathFiles[name], list.map((u) => u.path).join('\n') + '\n');
}
const publicBytes = lists.public.map((u) => u.bytes);
console.log(
  `media: ${lists.public.length} public segment files (${videosPerVisibility} videos, renditions: ${renditions}), ` +
    `mean ${(mean(publicBytes) / 1024).toFixed(0)} KiB, min ${(Math.min(...publicBytes) / 1024).toFixed(0)} KiB, ` +
    `max ${(Math.max(...publicBytes) / 1024).toFixed(0)} KiB; private: ${lists.private.length} token paths ` +
    `(${videosPerVisibility} videos × ${tokensPerVideo} tokens), mean ${(mean(lists.private.map((u) => u.bytes)) / 1024).toFixed(0)} KiB`,
);
console.log(
  `machine: ${os.cpus().length} cores, node ${process.version}, ${spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim()}`,
);
console.log(
  `wrk: ${wrkThreads} threads, ${durationS} s per measurement after ${warmupS} s warm-up, connections ${connectionsList.join('/')}, ` +
    (clientAddresses > 0 ? `X-Forwarded-For over ${clientAddresses} client addresses` : 'no X-Forwarded-For (one client: 127.0.0.1)'),
);
console.log(`streamforge serve: ${JSON.stringify(Object.fromEntries(Object.entries(measuredServeEnv).filter(([k]) => k !== 'STREAMFORGE_API_KEY' && k !== 'STREAMFORGE_DATA_DIR')))}\n`);

// The machine is shared and noisy: every configuration is measured `rounds` times, the servers
// interleaved (in a rotating order) within each round, and the median round is reported. CPU time of
// each server's processes (user + system, from /proc) gives requests per CPU-second, which noise from
// other processes disturbs far less than req/s.
console.log(`load average before: ${loadAverage()}`);
const results = [];
const refusals = [];
for (const workers of workersList) {
  const running = await startServers(workers);
  const names = Object.keys(running);
  for (const name of names) await checkServer(name, running[name]);
  if (running.streamforge) await checkAccessAndLimit(running.streamforge.ports[0]);
  const serve = running.streamforge ?? running['streamforge-private'];
  const statusesBefore = serve ? await streamStatusesOf(serve) : {};
  for (const connections of connectionsList) {
    const samples = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) {
        const server = running[name];
        if (round === 0 && warmupS > 0) await runWrkOn(server, connections, warmupS);
        const cpuBefore = cpuSecondsOfTrees(server.pids);
        const measured = await runWrkOn(server, connections, durationS);
        measured.cpuS = cpuSecondsOfTrees(server.pids) - cpuBefore;
        measured.reqPerCpuS = measured.requests / measured.cpuS;
        samples[name].push(measured);
        console.log(
          `workers=${workers} c=${String(connections).padEnd(3)} round ${round + 1} ${name.padEnd(19)} ` +
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
  // What StreamForge itself counted during wrk's runs (warm-ups included, the checks not): a 429
  // would mean the limiter throttled the bench, and its cheap answers would inflate req/s.
  if (serve) {
    const statuses = await streamStatusesOf(serve);
    for (const [status, n] of Object.entries(statusesBefore)) statuses[status] -= n;
    refusals.push({ workers, statuses });
    console.log(`workers=${workers} streamforge /stream/ answers to wrk by status: ${JSON.stringify(statuses)}`);
  }
  const stopped = new Set();
  for (const server of Object.values(running)) if (!stopped.has(server.stop)) stopped.add(server.stop) && (await server.stop());
}
console.log(`load average after: ${loadAverage()}`);

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
for (const { workers, statuses } of refusals) {
  const throttled = statuses['429'] ?? 0;
  console.log(`processes=${workers}: ${throttled === 0 ? 'no 429' : `${throttled} answers were 429 (rate limited)`} from streamforge to wrk; its /stream/ answers by status ${JSON.stringify(statuses)}`);
}

/**
 * `workers` StreamForge processes on the prepared data directory: the first `serve` as installed
 * (role all), the others `--role api` (STREAMFORGE_ROLE=api: no jobs), each on its own port; wrk's
 * threads are spread over the ports (bench/wrk-paths.lua), as a load balancer would spread clients.
 * nginx gets as many workers; the Node servers of the baseline, as many cluster workers.
 */
async function startServers(workers) {
  const running = {};
  if (servers.includes('nginx')) {
    const nginx = await startNginx({ prefix: path.join(work, `nginx-${workers}`), videosDir: path.join(blobRoot, 'videos'), workers });
    children.add(nginx.child);
    running.nginx = { ports: [nginx.port], pids: [nginx.pid], pathFile: pathFiles.public, stop: nginx.stop };
  }
  if (servers.includes('streamforge') || servers.includes('streamforge-private')) {
    const serves = [];
    for (let i = 0; i < workers; i++) {
      const serve = await startServe({
        name: `streamforge ${i + 1}`,
        args: ['serve'],
        env: { ...measuredServeEnv, ...(i > 0 && { STREAMFORGE_ROLE: 'api' }) },
        nodeArgs: env.BENCH_SERVE_NODE_ARGS ? env.BENCH_SERVE_NODE_ARGS.split(' ') : [],
      });
      children.add(serve.child);
      serves.push(serve);
    }
    const ports = serves.map((s) => s.port);
    const pids = serves.map((s) => s.pid);
    const stopAll = () => Promise.all(serves.map((s) => s.stop()));
    if (servers.includes('streamforge')) running.streamforge = { ports, pids, pathFile: pathFiles.public, stop: stopAll };
    if (servers.includes('streamforge-private')) running['streamforge-private'] = { ports, pids, pathFile: pathFiles.private, stop: stopAll };
  }
  for (const kind of ['origin-bare', 'baseline']) {
    if (servers.includes(kind)) running[kind] = { ...(await startNode(kind, workers)), pathFile: pathFiles.public };
  }
  return running;
}

/** The public and private request lists, read from a `serve` of the prepared data directory. */
async function readRequestLists() {
  const serve = await startServe({ name: 'streamforge (listing)', args: ['serve'], env: serveEnv(data) });
  try {
    const base = `http://127.0.0.1:${serve.port}`;
    const headers = { authorization: `Bearer ${data.apiKey}` };
    const publicList = [];
    const privateList = [];
    for (const video of data.videos) {
      if (video.visibility === 'public') {
        publicList.push(...(await segmentsOf(base, video.hls)));
        continue;
      }
      // Each token is verified once and then remembered (stream-access.ts): several per video, as
      // several viewers would hold, and the list interleaves them.
      const tokens = [];
      for (let t = 0; t < tokensPerVideo; t++) {
        const res = await fetch(`${base}/api/videos/${video.id}/playback-token`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
        if (res.status !== 200) throw new Error(`playback token: HTTP ${res.status} ${await res.text()}`);
        tokens.push((await res.json()).token);
      }
      const files = await segmentsOf(base, `/stream/t/${tokens[0]}/${video.hls.slice('/stream/'.length)}`);
      for (const token of tokens) {
        for (const file of files) privateList.push({ path: file.path.replace(`/stream/t/${tokens[0]}/`, `/stream/t/${token}/`), bytes: file.bytes });
      }
    }
    return { public: publicList, private: privateList };
  } finally {
    await serve.stop();
  }
}

/** Media segments of the top rendition (BENCH_RENDITIONS=all: of every video rendition). */
async function segmentsOf(base, masterPath) {
  const master = new URL(masterPath, base);
  const text = await (await fetch(master)).text();
  const variants = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const bandwidth = /^#EXT-X-STREAM-INF:.*?\bBANDWIDTH=(\d+)/.exec(lines[i]);
    if (bandwidth) variants.push({ bandwidth: Number(bandwidth[1]), uri: lines[i + 1].trim() });
  }
  if (variants.length === 0) throw new Error(`no variants in ${masterPath}`);
  variants.sort((a, b) => b.bandwidth - a.bandwidth);
  const chosen = renditions === 'all' ? variants : variants.slice(0, 1);
  const files = [];
  for (const variant of chosen) {
    const variantUrl = new URL(variant.uri, master);
    const playlist = await (await fetch(variantUrl)).text();
    // Media segments only: a player fetches the ≈ 1 KB init segment once per rendition, not once per segment.
    for (const line of playlist.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const url = new URL(line.trim(), variantUrl);
      const res = await fetch(url, { method: 'HEAD' });
      if (res.status !== 200) throw new Error(`${url.pathname}: HTTP ${res.status}`);
      files.push({ path: url.pathname, bytes: Number(res.headers.get('content-length')) });
    }
  }
  return files;
}

function startNode(kind, workers) {
  const originModule = path.resolve(env.ORIGIN_MODULE ?? path.join(repo, 'dist/delivery/origin.js'));
  const child = spawn(process.execPath, [path.join(here, 'server.js')], {
    env: { ...env, BENCH_SERVER: kind, BENCH_WORKERS: String(workers), BENCH_ROOT: blobRoot, ORIGIN_MODULE: originModule },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /LISTENING (\d+)/.exec(out);
      if (match) resolve({ ports: [Number(match[1])], pids: [child.pid], stop: () => stop(child, 'SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
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

/** Every server must answer a sample of its URLs with 200 and the right length before it is measured. */
async function checkServer(name, server) {
  const list = server.pathFile === pathFiles.private ? lists.private : lists.public;
  for (const port of server.ports) {
    for (const url of [list[0], list[list.length - 1]]) {
      const { status, length } = await get(port, url.path, { 'x-forwarded-for': '192.0.2.10' });
      if (status !== 200 || length !== url.bytes) throw new Error(`${name}: ${url.path} → ${status}, ${length} bytes (want ${url.bytes})`);
    }
  }
}

/**
 * Shows that the measured process runs the access check and the playback limit: a private file
 * without its token is a 404, and one client address past the default limit gets 429s.
 */
async function checkAccessAndLimit(port) {
  const privatePath = lists.private[0].path.replace(/^\/stream\/t\/[^/]+\//, '/stream/');
  const { status } = await get(port, privatePath, {});
  if (status !== 404) throw new Error(`access check missing? ${privatePath} without token → ${status}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const address = '192.0.2.99';
  let allowed = 0;
  for (; allowed < 100_000; allowed++) {
    const answer = await head(port, lists.public[allowed % lists.public.length].path, clientAddresses > 0 ? { 'x-forwarded-for': address } : {}, agent);
    if (answer === 429) break;
    if (answer !== 200) throw new Error(`HEAD → ${answer}`);
  }
  agent.destroy();
  if (allowed === 100_000) console.log('check: no 429 after 100 000 requests from one address: the playback limit is off');
  else console.log(`check: a private file without token → 404; one client address got 429 after ${allowed} requests (the playback limit's burst)`);
}

/** /stream/ answers by status, summed over the server's processes, from their /metrics. */
async function streamStatusesOf(server) {
  const statuses = {};
  for (const port of server.ports) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const match of text.matchAll(/^\w*http_requests_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      if (!labels.route?.startsWith('/stream')) continue;
      statuses[labels.status] = (statuses[labels.status] ?? 0) + Number(match[2]);
    }
  }
  return statuses;
}

function runWrkOn(server, connections, seconds) {
  return runWrk({ ports: server.ports, pathFile: server.pathFile, connections, threads: wrkThreads, seconds, clientAddresses });
}

/** User + system CPU seconds of processes and all their descendants (cluster workers, nginx workers). */
function cpuSecondsOfTrees(rootPids) {
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
      if (rootPids.includes(p)) {
        total += t;
        break;
      }
    }
  }
  return total / ticksPerSecond;
}

function get(port, urlPath, headers) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers }, (res) => {
        let length = 0;
        res.on('data', (chunk) => (length += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode, length }));
      })
      .on('error', reject);
  });
}

function head(port, urlPath, headers, agent) {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port, path: urlPath, method: 'HEAD', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
      .on('error', reject)
      .end();
  });
}

function loadAverage() {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function ms(us) {
  return `${(us / 1000).toFixed(1).padStart(6)} ms`;
}
