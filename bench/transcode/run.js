#!/usr/bin/env node
/**
 * bench/transcode — a 60 s 1080p30 hard-to-compress source → the full ladder, measured side by side
 * in one run:
 *   A. the bare single ffmpeg command our pipeline runs (same arguments, no Node around it);
 *   B. our whole pipeline: `streamforge ingest` (probe, ladder, live publishing, download file, poster);
 *   C. the common approach: one ffmpeg process per rung (each decodes the source again) + one for audio.
 * Prints wall time, CPU time (user+sys of every descendant, from GNU time), peak RSS, our overhead
 * (B/A), CPU saved against C, and time-to-first-playable. Run `npm run build` first.
 *
 *   node bench/transcode/run.js            # 60 s source, 1 run of each
 *   BENCH_SECONDS=20 BENCH_RUNS=3 node bench/transcode/run.js
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSource } from '../bench-source.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { probeMedia } = await import(path.join(root, 'dist/media/ffprobe.js'));
const { planLadder } = await import(path.join(root, 'dist/pipeline/ladder.js'));
const { buildLadderCommand } = await import(path.join(root, 'dist/pipeline/ladder-command.js'));
const { loadConfig } = await import(path.join(root, 'dist/config/config.js'));

const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const runs = Number(process.env.BENCH_RUNS ?? 1);
const config = loadConfig({ env: {} });
const source = benchSource(seconds);

/** Runs argv under GNU time; returns wall s, CPU s (user+sys, descendants included), max RSS MB. */
function timed(argv, options = {}) {
  const started = process.hrtime.bigint();
  const res = spawnSync('/usr/bin/time', ['-f', '%U %S %M', ...argv], { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (res.status !== 0) throw new Error(`${argv[0]} failed: ${res.stderr.slice(-2000)}`);
  const [user, sys, rssKb] = res.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { wall, cpu: user + sys, rssMb: rssKb / 1024, stdout: res.stdout };
}

const media = await probeMedia({ ffprobePath: 'ffprobe', filePath: source, timeoutMs: 60_000 });
const plan = planLadder(media, { segmentSeconds: config.segmentSeconds, maxFps: config.maxFps });
console.log(`source: ${seconds} s ${media.video.displayWidth}x${media.video.displayHeight}@${media.video.fps.toFixed(2)}, ` +
  `${(media.bitrateBps / 1e6).toFixed(1)} Mb/s; ladder: ${plan.video.map((r) => r.name).join(' ')} + ${plan.audio.length} audio; ` +
  `x264 ${config.x264Preset}, ${config.segmentSeconds} s segments`);

function runBare() {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-bare-'));
  try {
    const args = buildLadderCommand({ inputPath: source, media, plan, outputDir: out, x264Preset: config.x264Preset });
    return timed(['ffmpeg', ...args.filter((a, i, all) => !(a === 'pipe:1' || all[i + 1] === 'pipe:1'))]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function runPipeline() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-sf-'));
  try {
    const r = timed([process.execPath, path.join(root, 'bin/streamforge.js'), 'ingest', '--json', source], {
      env: { ...process.env, STREAMFORGE_DATA_DIR: dataDir, LOG_LEVEL: 'error' },
    });
    const video = JSON.parse(r.stdout);
    if (video.status !== 'ready') throw new Error(`pipeline failed: ${video.error}`);
    return { ...r, ttfpMs: video.timeToPlayableMs };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One process per rung, all at once (as a job queue with enough workers would run them). */
function runPerRung() {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-rung-'));
  const script = [];
  plan.video.forEach((rung, i) => {
    const gop = Math.round((rung.fps.num / rung.fps.den) * plan.segmentSeconds);
    script.push(['ffmpeg', '-v', 'error', '-y', '-i', source, '-an',
      '-vf', `fps=${rung.fps.num}/${rung.fps.den},scale=${rung.width}:${rung.height},format=yuv420p`,
      '-c:v', 'libx264', '-preset', config.x264Preset, '-profile:v', 'high', '-crf', String(rung.crf),
      '-maxrate', `${rung.maxrateKbps}k`, '-bufsize', `${rung.bufsizeKbps}k`, '-g', String(gop), '-keyint_min', String(gop),
      '-sc_threshold', '0', '-force_key_frames', `expr:gte(t,n_forced*${plan.segmentSeconds})`,
      '-f', 'hls', '-hls_time', String(plan.segmentSeconds), '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
      '-hls_segment_filename', `${out}/v${i}_%05d.m4s`, '-hls_fmp4_init_filename', `v${i}_init.mp4`, `${out}/v${i}.m3u8`]);
  });
  if (plan.audio.length) {
    script.push(['ffmpeg', '-v', 'error', '-y', '-i', source, '-vn', '-c:a', 'aac', '-b:a', '128k', '-ac', '2',
      '-f', 'hls', '-hls_time', String(plan.segmentSeconds), '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
      '-hls_segment_filename', `${out}/a_%05d.m4s`, '-hls_fmp4_init_filename', 'a_init.mp4', `${out}/a.m3u8`]);
  }
  const shell = path.join(out, 'run.sh');
  writeFileSync(shell, `${script.map((argv) => `${argv.map((a) => `'${a}'`).join(' ')} &`).join('\n')}\nwait\n`);
  try {
    return timed(['bash', shell]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { bare: [], pipeline: [], perRung: [] };
for (let i = 0; i < runs; i++) {
  // Interleaved, so drift of the machine's load hits every contender alike.
  results.bare.push(runBare());
  results.pipeline.push(runPipeline());
  results.perRung.push(runPerRung());
}
const summary = Object.fromEntries(
  Object.entries(results).map(([k, rs]) => [k, {
    wall: median(rs.map((r) => r.wall)),
    cpu: median(rs.map((r) => r.cpu)),
    rssMb: Math.max(...rs.map((r) => r.rssMb)),
  }]),
);
const ttfp = median(results.pipeline.map((r) => r.ttfpMs));
const row = (name, s) => `${name.padEnd(34)} ${s.wall.toFixed(1).padStart(7)} s ${s.cpu.toFixed(1).padStart(8)} s ${s.rssMb.toFixed(0).padStart(7)} MB`;
console.log(`\n${''.padEnd(34)} ${'wall'.padStart(9)} ${'CPU'.padStart(10)} ${'peak RSS'.padStart(10)}   (median of ${runs})`);
console.log(row('A. bare single ffmpeg command', summary.bare));
console.log(row('B. StreamForge pipeline (ingest)', summary.pipeline));
console.log(row('C. one ffmpeg process per rung', summary.perRung));
console.log(`\noverhead of our pipeline vs its bare command: wall ${((summary.pipeline.wall / summary.bare.wall - 1) * 100).toFixed(1)} %, ` +
  `CPU ${((summary.pipeline.cpu / summary.bare.cpu - 1) * 100).toFixed(1)} %   (goal ≤ 5 %)`);
console.log(`CPU of our pipeline vs one process per rung: ${(summary.pipeline.cpu / summary.perRung.cpu).toFixed(2)}× ` +
  `(${((1 - summary.pipeline.cpu / summary.perRung.cpu) * 100).toFixed(0)} % less; goal ≥ 25 %)`);
console.log(`speed: ${(seconds / summary.pipeline.wall).toFixed(2)}× real time; time-to-first-playable: ${(ttfp / 1000).toFixed(2)} s ` +
  `(upload complete → first playable master playlist)`);
console.log(`peak RSS: pipeline ${summary.pipeline.rssMb.toFixed(0)} MB (largest single process in its tree, GNU time)`);
