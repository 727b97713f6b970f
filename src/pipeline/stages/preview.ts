/**
 * The `preview` stage: a preview clip (H.264/AAC MP4, up to 30 s) cut from the most interesting
 * span of the video — most scene cuts and motion, not just the start — and an animated WebP (a few
 * seconds, looping, small) of the liveliest part of that span; a GIF too on request
 * (`POST /api/videos/:id/stages/preview {"gif":true}`). Two ffmpeg passes over published rungs: an
 * activity scan of the smallest (images/activity.ts) and one render of the span's segments of a
 * ≤ 480p rung and of the audio (images/preview-render.ts).
 */
import path from 'node:path';
import { mkdir, stat } from 'node:fs/promises';
import { z } from 'zod';
import { mediaStartTime } from '../../media/start-time.js';
import { measureActivity, mostActiveSpan, type ActiveSpan } from '../images/activity.js';
import { PREVIEW_CLIP, PREVIEW_GIF, PREVIEW_WEBP, renderPreview, type PreviewInput } from '../images/preview-render.js';
import { rungAtMost } from '../images/published-rungs.js';
import { readSegmentTimeline, segmentIndexAt, writeSegmentRange } from '../images/rendition-frames.js';
import type { StageContext, VideoStage } from './video-stage.js';

export const MAX_PREVIEW_CLIP_SEC = 30;

export const previewOptionsSchema = z
  .object({
    /** Also make a GIF of the animated preview (larger and uglier than the WebP: only on request). */
    gif: z.boolean().default(false),
    /** Length of the preview clip, seconds (the whole video when it is shorter). */
    clipSeconds: z.number().min(1).max(MAX_PREVIEW_CLIP_SEC).default(15),
    /** Length of the animated preview, seconds. */
    animatedSeconds: z.number().min(1).max(10).default(4),
    animatedFps: z.number().int().min(2).max(25).default(10),
    /** Width of the animated preview in pixels (never wider than the rung it is made from). */
    animatedWidth: z.number().int().min(64).max(640).default(320),
  })
  .strict();

export type PreviewOptions = z.output<typeof previewOptionsSchema>;

interface PreviewFile {
  file: string;
  bytes: number;
}

export interface PreviewResult {
  /** The span the clip was cut from, seconds from the first frame, with its cuts and interest. */
  clip: ActiveSpan & PreviewFile & { rendition: string; audio: boolean };
  animated: { startSec: number; durationSec: number; fps: number; width: number; webp: PreviewFile; gif: PreviewFile | null };
  /** How many activity samples were scored, and how many scene cuts the whole video has. */
  activity: { samples: number; cuts: number };
  timingsMs: { activity: number; render: number };
}

export const previewStage: VideoStage<PreviewOptions, PreviewResult> = {
  name: 'preview',
  options: previewOptionsSchema,
  appliesTo: (media, plan) => media.video !== null && plan.video.length > 0,
  run: makePreview,
};

async function makePreview(ctx: StageContext<PreviewOptions>): Promise<PreviewResult> {
  const { options } = ctx;
  const smallest = `v${ctx.plan.video.length - 1}`;
  const clipRung = rungAtMost(ctx.plan, 480);
  const started = Date.now();
  const activityPath = await ctx.renditionFile(smallest);
  const samples = await measureActivity({
    ffmpegPath: ctx.config.ffmpegPath,
    inputPath: activityPath,
    workDir: ctx.workDir,
    durationSec: ctx.media.durationSec,
    timeoutMs: ctx.config.ffmpegTimeoutMs,
    signal: ctx.signal,
    onProgress: (fraction) => ctx.progress(5 + 45 * fraction),
  });
  const durationSec = ctx.media.durationSec;
  const clip = mostActiveSpan(samples, { windowSec: options.clipSeconds, durationSec });
  // The animation: the liveliest stretch inside the clip, so both show the same moment.
  const animatedSpan = mostActiveSpan(samples, {
    windowSec: options.animatedSeconds,
    durationSec,
    fromSec: clip.startSec,
    toSec: clip.startSec + clip.durationSec,
  });
  const activityMs = Date.now() - started;
  ctx.progress(50);

  const renderStarted = Date.now();
  // Only the segments around the span are read: a preview of a film copies seconds, not gigabytes.
  const videoPrefix = `videos/${ctx.videoId}/${ctx.version}/`;
  const span = { from: clip.startSec, to: clip.startSec + clip.durationSec };
  const videoTimeline = await readSegmentTimeline(ctx.store, `${videoPrefix}${clipRung.dir}/`);
  const first = segmentIndexAt(videoTimeline, span.from);
  const videoPath = await writeSegmentRange({
    store: ctx.store,
    renditionPrefix: `${videoPrefix}${clipRung.dir}/`,
    timeline: videoTimeline,
    fromIndex: first,
    toIndex: segmentIndexAt(videoTimeline, span.to),
    outPath: path.join(ctx.workDir, 'preview-video.mp4'),
  });
  const video = { path: videoPath, seekSec: span.from - videoTimeline.segments[first]!.startSec };
  let audio: PreviewInput | null = null;
  if (ctx.plan.audio.length > 0) {
    // Audio segments do not line up with video ones: take a segment's margin on both sides, then
    // seek by the files' real start times (x264's delay and AAC priming differ), so the clip is in sync.
    const audioTimeline = await readSegmentTimeline(ctx.store, `${videoPrefix}a0/`);
    const audioPath = await writeSegmentRange({
      store: ctx.store,
      renditionPrefix: `${videoPrefix}a0/`,
      timeline: audioTimeline,
      fromIndex: Math.max(0, segmentIndexAt(audioTimeline, span.from) - 1),
      toIndex: Math.min(audioTimeline.segments.length - 1, segmentIndexAt(audioTimeline, span.to) + 1),
      outPath: path.join(ctx.workDir, 'preview-audio.mp4'),
    });
    const probe = { ffprobePath: ctx.config.ffprobePath, timeoutMs: 60_000, signal: ctx.signal };
    const videoFileStart = await mediaStartTime({ ...probe, filePath: videoPath });
    const audioFileStart = await mediaStartTime({ ...probe, filePath: audioPath });
    audio = { path: audioPath, seekSec: videoFileStart + video.seekSec - audioFileStart };
  }
  const width = Math.min(options.animatedWidth, clipRung.rung.width - (clipRung.rung.width % 2));
  const animated = {
    startSec: Math.round((animatedSpan.startSec - clip.startSec) * 1000) / 1000,
    durationSec: animatedSpan.durationSec,
    fps: options.animatedFps,
    width,
  };
  const outDir = path.join(ctx.workDir, 'preview');
  await mkdir(outDir, { recursive: true });
  const files = await renderPreview({
    ffmpegPath: ctx.config.ffmpegPath,
    video,
    audio,
    durationSec: clip.durationSec,
    animated,
    gif: options.gif,
    outDir,
    timeoutMs: ctx.config.ffmpegTimeoutMs,
    signal: ctx.signal,
  });
  const stored = new Map<string, PreviewFile>();
  for (const file of files) {
    const local = path.join(outDir, file);
    stored.set(file, { file, bytes: (await stat(local)).size });
    await ctx.store.putFile(`${ctx.keyPrefix}${file}`, local);
  }
  return {
    clip: { ...clip, ...stored.get(PREVIEW_CLIP)!, rendition: clipRung.dir, audio: audio !== null },
    animated: { ...animated, webp: stored.get(PREVIEW_WEBP)!, gif: stored.get(PREVIEW_GIF) ?? null },
    activity: { samples: samples.length, cuts: samples.filter((s) => s.cut).length },
    timingsMs: { activity: activityMs, render: Date.now() - renderStarted },
  };
}
