#!/usr/bin/env node
/**
 * bench/pipeline — what the enrichment stages cost on top of the core ladder, on the same 60 s
 * 1080p30 source as bench/transcode, in one run of a real StreamForge (SQLite, local disk, the
 * ladder worker and the stage worker, embedded):
 *   - the core: upload accepted → `ready` (probe, loudness pass, ladder, download file, poster,
 *     storyboard, subtitles);
 *   - each stage (thumbnails, preview, quality, …): its own wall time, from its record;
 *   - the whole pipeline (→ last stage done) as a ratio to the core alone, and each stage's
 *     seconds per minute of 1080p source.
 * Stages run one after another (STREAMFORGE_STAGE_CONCURRENCY=1, the default), after `ready`.
 *
 *   npm run build && node bench/pipeline/run.js
 *   BENCH_SECONDS=20 node bench/pipeline/run.js
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSource } from '../bench-source.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { createAppContext, startBackground, closeAppContext } = await import(path.join(root, 'dist/app.js'));
const { loadConfig } = await import(path.join(root, 'dist/config/config.js'));
const { acceptVideo } = await import(path.join(root, 'dist/videos/video-intake.js'));
const { newId } = await import(path.join(root, 'dist/ids.js'));
const { pino } = await import('pino');

const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const source = benchSource(seconds);

const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-pipeline-'));
const config = loadConfig({ env: process.env, overrides: { dataDir, port: 0 } });
const ctx = await createAppContext({ config, logger: pino({ level: 'warn' }) });
await startBackground(ctx);
try {
  const id = newId();
  await ctx.store.putFile(`originals/${id}`, source);
  const accepted = Date.now();
  await acceptVideo(ctx, { id, sourceKey: `originals/${id}`, sourceBytes: statSync(source).size, sourceName: path.basename(source), title: 'bench' });

  let video;
  for (;;) {
    video = await ctx.videos.get(id);
    if (video.status !== 'processing') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (video.status !== 'ready') throw new Error(`video failed: ${video.error}`);
  const readyMs = video.ready_at - accepted;
  let stages;
  for (;;) {
    stages = await ctx.stageRecords.list(id);
    if (stages.length > 0 && stages.every((s) => s.status === 'done' || s.status === 'failed')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const lastDone = Math.max(...stages.map((s) => s.finished_at));
  const perMinute = 60 / seconds;
  console.log(`source: ${seconds} s 1080p30 (${(statSync(source).size / 1e6).toFixed(0)} MB); x264 ${config.x264Preset}; ${config.segmentSeconds} s segments`);
  console.log(`core (accepted → ready):        ${(readyMs / 1000).toFixed(1)} s; playable after ${(video.time_to_playable_ms / 1000).toFixed(1)} s`);
  console.log('stage                 status   wall s   s per minute of 1080p');
  for (const s of stages.sort((a, b) => a.started_at - b.started_at)) {
    const wall = (s.finished_at - s.started_at) / 1000;
    console.log(`${s.name.padEnd(20)}  ${s.status.padEnd(7)}  ${wall.toFixed(1).padStart(6)}   ${(wall * perMinute).toFixed(1).padStart(6)}${s.error ? `   (${s.error})` : ''}`);
  }
  const totalMs = lastDone - accepted;
  console.log(`whole pipeline (→ last stage):  ${(totalMs / 1000).toFixed(1)} s = ${(totalMs / readyMs).toFixed(2)}× the core alone`);
} finally {
  await closeAppContext(ctx, { graceMs: 1000 });
  rmSync(dataDir, { recursive: true, force: true });
}
