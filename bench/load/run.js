// Viewer load: many concurrent viewers fetching manifests and segments from a running StreamForge
// (`serve`, embedded defaults), measured with wrk, against nginx serving the same files from the same
// blob directory with sendfile in the same run. See README.md.
//
//   npm run bench:load                       (builds first; needs wrk, nginx and ffmpeg)
//   BENCH_VIEWERS=1000 BENCH_DURATION=300 BENCH_SATURATION_DURATION=60 node bench/load/run.js
//
// Two phases, each against StreamForge and then nginx:
// - paced: every wrk connection is a viewer that asks for its next file once per segment duration,
//   as a player that keeps up does (wrk's `delay()`); the offered load is viewers / segment seconds.
// - saturation: the same connections ask as fast as they can, to find the ceiling and its latency.
// The server's RSS is sampled every second from /proc during both phases.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNginx } from '../nginx.js';
import { startServe, waitForVideoReady } from '../serve.js';
import { runWrk } from '../wrk.js';

const env = process.env;
const viewers = Number(env.BENCH_VIEWERS ?? 1000);
const pacedS = Number(env.BENCH_DURATION ?? 300);
const saturationS = Number(env.BENCH_SATURATION_DURATION ?? 60);
const videoCount = Number(env.BENCH_VIDEOS ?? 4);
const clipSeconds = Number(env.BENCH_CLIP_SECONDS ?? 40);
const segmentSeconds = Number(env.BENCH_SEGMENT_SECONDS ?? 4);
const wrkThreads = Number(env.BENCH_WRK_THREADS ?? 2);
const servers = (env.BENCH_SERVERS ?? 'streamforge,nginx').split(',');
const apiKey = `bench-${randomBytes(16).toString('hex')}`;

const work = mkdtempSync(path.join(os.tmpdir(), 'streamforge-bench-load-'));
const children = new Set();
const cleanup = () => {
  // SIGTERM, not SIGKILL: nginx's master then takes its workers down with it.
  for (const child of children) child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ` +
  `${spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0]}, ${spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim()}`);
console.log(`${viewers} viewers (wrk connections, ${wrkThreads} threads); paced ${pacedS} s, saturation ${saturationS} s; ` +
  `${videoCount} videos of ${clipSeconds} s, ${segmentSeconds} s segments`);

// 1. A real StreamForge with real videos, transcoded by it.
const dataDir = path.join(work, 'data');
const serve = await startServe({
  name: 'streamforge',
  args: ['serve'],
  env: {
    LOG_LEVEL: 'warn',
    STREAMFORGE_DATA_DIR: dataDir,
    STREAMFORGE_MIN_FREE_BYTES: '0',
    STREAMFORGE_SEGMENT_SECONDS: String(segmentSeconds),
    // Enrichment stages would still be running during the measurement: this bench is about serving.
    STREAMFORGE_STAGE_CONCURRENCY: '0',
    STREAMFORGE_API_KEY: apiKey,
    // Every viewer here shares one IP (127.0.0.1); per-IP playback limits would measure the limiter.
    STREAMFORGE_RATE_LIMIT_PLAYBACK: '0',
    ...(env.BENCH_SERVE_ENV ? JSON.parse(env.BENCH_SERVE_ENV) : {}),
  },
});
children.add(serve.child);
const base = `http://127.0.0.1:${serve.port}`;
const paths = await uploadVideos();
const pathFile = path.join(work, 'paths.txt');
writeFileSync(pathFile, paths.map((p) => p.path).join('\n') + '\n');
const manifests = paths.filter((p) => p.path.endsWith('.m3u8')).length;
console.log(`request mix: ${paths.length} paths per cycle (${manifests} playlists, ${paths.length - manifests} segments and init files), ` +
  `mean ${(paths.reduce((n, p) => n + p.bytes, 0) / paths.length / 1024).toFixed(0)} KiB`);

// 2. nginx on the same blob directory: the local blob store keeps `videos/<id>/…` as plain files.
const blobRoot = path.join(dataDir, 'blobs', 'videos');
if (!existsSync(blobRoot)) throw new Error(`no blob directory at ${blobRoot}`);
// One worker per core, as a stock nginx install runs.
const nginx = servers.includes('nginx') ? await startNginx({ prefix: path.join(work, 'nginx'), videosDir: blobRoot, workers: 'auto' }) : null;
if (nginx) children.add(nginx.child);
for (const target of [serve.port, nginx?.port].filter(Boolean)) await checkAnswers(target);

// 3. Measure: paced viewers, then saturation; StreamForge first, then nginx, RSS sampled throughout.
const delayMs = segmentSeconds * 1000;
const results = [];
for (const phase of [{ name: 'paced', seconds: pacedS, delayMs }, { name: 'saturation', seconds: saturationS, delayMs: 0 }]) {
  if (phase.seconds <= 0) continue;
  for (const [name, target] of [['streamforge', serve], ['nginx', nginx]]) {
    if (!target || !servers.includes(name)) continue;
    const rss = sampleRss(target.pid);
    const measured = await runWrk({ ports: [target.port], pathFile, connections: viewers, threads: wrkThreads, seconds: phase.seconds, delayMs: phase.delayMs, timeoutS: 10 });
    const memory = rss.stop();
    results.push({ phase: phase.name, server: name, ...measured, ...memory });
    console.log(
      `${phase.name.padEnd(10)} ${name.padEnd(11)} ${measured.rps.toFixed(0).padStart(6)} req/s  ${measured.mbps.toFixed(0)} MB/s  ` +
        `p50 ${(measured.p50Us / 1000).toFixed(1)} ms  p99 ${(measured.p99Us / 1000).toFixed(1)} ms  max ${(measured.maxUs / 1000).toFixed(0)} ms  ` +
        `errors ${measured.errors}${measured.errors ? ` ${JSON.stringify(measured.errorDetail)}` : ''}  RSS peak ${memory.rssPeakMb.toFixed(0)} MB`,
    );
  }
}
console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

console.log(`\n| phase | server | req/s | × nginx | MB/s | p50 ms | p99 ms | max ms | errors | RSS peak MB | RSS end MB |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const reference = results.find((x) => x.phase === r.phase && x.server === 'nginx');
  console.log(
    `| ${r.phase} | ${r.server} | ${r.rps.toFixed(0)} | ${reference ? (r.rps / reference.rps).toFixed(2) : '–'} | ${r.mbps.toFixed(0)} | ` +
      `${(r.p50Us / 1000).toFixed(1)} | ${(r.p99Us / 1000).toFixed(1)} | ${(r.maxUs / 1000).toFixed(0)} | ${r.errors} | ` +
      `${r.rssPeakMb.toFixed(0)} | ${r.rssEndMb.toFixed(0)} |`,
  );
}
// nginx's workers outlive a SIGKILLed master: stop it the way nginx wants (SIGQUIT, graceful).
await nginx?.stop();
await serve.stop();

/** Uploads the clips, waits for each to be ready, and returns one viewer's requests: per video the
 * master playlist, then per rung its media playlist, init segment and every segment in order. */
async function uploadVideos() {
  const clip = path.join(work, 'clip.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(clipSeconds), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
  const list = [];
  for (let i = 0; i < videoCount; i++) {
    const form = new FormData();
    form.append('title', `Load ${i + 1}`);
    form.append('file', await openAsBlob(clip), 'clip.mp4');
    const res = await fetch(`${base}/api/videos`, { method: 'POST', body: form, headers: { authorization: `Bearer ${apiKey}` } });
    if (res.status !== 201) throw new Error(`upload: HTTP ${res.status} ${await res.text()}`);
    const { id } = await res.json();
    const video = await waitForVideoReady({ base, apiKey, id, timeoutMs: 15 * 60_000 });
    const master = new URL(video.playback.hls, base);
    list.push({ path: master.pathname, bytes: 0 });
    for (const variant of playlistUris(await (await fetch(master)).text())) {
      const variantUrl = new URL(variant, master);
      const playlist = await (await fetch(variantUrl)).text();
      list.push({ path: variantUrl.pathname, bytes: 0 });
      for (const uri of playlistUris(playlist, true)) list.push({ path: new URL(uri, variantUrl).pathname, bytes: 0 });
    }
  }
  for (const entry of list) entry.bytes = Number((await fetch(base + entry.path, { method: 'HEAD' })).headers.get('content-length') ?? 0);
  return list;
}


/** URIs of a playlist: variant playlists (master) or media segments, with EXT-X-MAP's init first. */
function playlistUris(text, withMap = false) {
  const uris = [];
  for (const line of text.split('\n')) {
    const map = withMap && /^#EXT-X-MAP:.*URI="([^"]+)"/.exec(line);
    if (map) uris.push(map[1]);
    else if (line && !line.startsWith('#')) uris.push(line.trim());
  }
  // Audio renditions of a master playlist are listed in EXT-X-MEDIA URIs.
  if (!withMap) for (const m of text.matchAll(/#EXT-X-MEDIA:TYPE=AUDIO[^\n]*URI="([^"]+)"/g)) uris.push(m[1]);
  return uris;
}

async function checkAnswers(port) {
  for (const entry of paths) {
    const res = await fetch(`http://127.0.0.1:${port}${entry.path}`);
    const length = (await res.arrayBuffer()).byteLength;
    if (res.status !== 200 || length !== entry.bytes) throw new Error(`${port}${entry.path}: HTTP ${res.status}, ${length} bytes (want ${entry.bytes})`);
  }
}

/** Samples the resident set size of a process and its descendants (nginx's workers) once a second. */
function sampleRss(rootPid) {
  const samples = [];
  const take = () => samples.push(rssOfTree(rootPid));
  take();
  const timer = setInterval(take, 1000);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { rssPeakMb: Math.max(...samples) / 1024, rssEndMb: samples.at(-1) / 1024 };
    },
  };
}

function rssOfTree(rootPid) {
  let kib = 0;
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop();
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      for (const tid of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean)) pending.push(Number(tid));
    } catch {
      // The process ended between two reads.
    }
  }
  return kib;
}
