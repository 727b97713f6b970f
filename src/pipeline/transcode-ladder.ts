/**
 * Runs the one ffmpeg process of a ladder and, while it runs, publishes finished segments every
 * half second (ladder-publisher.ts), reporting progress (percent of the source's duration, ETA from
 * ffmpeg's speed) and the moment the stream first becomes playable.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createProgressParser } from '../media/ffmpeg-progress.js';
import { runProcess } from '../media/ffmpeg-process.js';
import type { H264Encoder } from '../media/encoders.js';
import type { MediaInfo } from '../media/media-info.js';
import type { ProcessLimits } from '../media/process-limits.js';
import { buildLadderCommand, renditionDirs } from './ladder-command.js';
import type { LadderPublisher } from './ladder-publisher.js';
import type { LadderPlan } from './ladder-types.js';
import type { ExtraCodecTuning } from './video-encoders.js';

export interface TranscodeProgress {
  /** 0–100 of the source duration encoded. */
  percent: number;
  /** Estimated remaining time, or null before the speed is known. */
  etaMs: number | null;
}

export interface TranscodeLadderOptions {
  ffmpegPath: string;
  inputPath: string;
  media: MediaInfo;
  plan: LadderPlan;
  workDir: string;
  x264Preset: string;
  /** The H.264 encoder detected at start-up (libx264 when absent). */
  h264Encoder?: H264Encoder;
  extraCodecTuning?: ExtraCodecTuning;
  publisher: LadderPublisher;
  timeoutMs: number;
  killGraceMs: number;
  /** Memory and CPU caps of the ffmpeg run (process-limits.ts). */
  processLimits?: ProcessLimits;
  signal?: AbortSignal;
  onProgress?: (progress: TranscodeProgress) => void;
  /** Called once, right after the master playlist is first published. */
  onPlayable?: () => void | Promise<void>;
  /** How often finished segments are published while ffmpeg runs. */
  syncIntervalMs?: number;
}

export interface TranscodeLadderResult {
  ffmpegMs: number;
}

export async function transcodeLadder(options: TranscodeLadderOptions): Promise<TranscodeLadderResult> {
  const { plan, workDir, publisher, media } = options;
  const dirs = renditionDirs(plan);
  const extraDirs = dirs.extra.flatMap((ladder) => ladder.rungs.map((r) => r.dir));
  for (const dir of [...dirs.video, ...extraDirs, ...dirs.audio]) await mkdir(path.join(workDir, dir), { recursive: true });

  let playable = false;
  const markPlayable = async (isPlayable: boolean) => {
    if (isPlayable && !playable) {
      playable = true;
      await options.onPlayable?.();
    }
  };

  // Publishing runs beside ffmpeg, one sync at a time; a failure is kept and rethrown below.
  let syncError: unknown;
  let syncing: Promise<void> = Promise.resolve();
  const tick = () => {
    syncing = syncing.then(async () => {
      if (syncError) return;
      try {
        await markPlayable((await publisher.sync(false)).playable);
      } catch (err) {
        syncError = err;
      }
    });
  };
  const interval = setInterval(tick, options.syncIntervalMs ?? 500);

  const durationSec = Math.max(media.durationSec, 0.001);
  const onStdoutLine = createProgressParser(({ outTimeSec, speed }) => {
    const percent = Math.min(100, (outTimeSec / durationSec) * 100);
    const etaMs = speed ? Math.max(0, ((durationSec - outTimeSec) / speed) * 1000) : null;
    options.onProgress?.({ percent, etaMs });
  });

  try {
    const result = await runProcess({
      command: options.ffmpegPath,
      args: buildLadderCommand({
        inputPath: options.inputPath,
        media,
        plan,
        outputDir: workDir,
        x264Preset: options.x264Preset,
        h264Encoder: options.h264Encoder,
        extraCodecTuning: options.extraCodecTuning,
      }),
      // SVT-AV1 prints its configuration at info level on stderr, past ffmpeg's -loglevel: keep
      // stderr for warnings and errors, so a failure's last line is the reason.
      env: { SVT_LOG: '2' },
      timeoutMs: options.timeoutMs,
      killGraceMs: options.killGraceMs,
      signal: options.signal,
      onStdoutLine,
      limits: options.processLimits,
    });
    clearInterval(interval);
    await syncing;
    if (syncError) throw syncError;
    const final = await publisher.sync(true);
    if (!final.playable) throw new Error('ffmpeg finished without producing a segment for every rendition');
    await markPlayable(true);
    return { ffmpegMs: result.durationMs };
  } finally {
    clearInterval(interval);
    await syncing;
  }
}
