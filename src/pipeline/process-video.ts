/**
 * The `video.process` job: probe → plan → analyse (interlacing, loudness) → one-pass ladder
 * (published while it encodes) → subtitle
 * tracks + download file + poster + storyboard → ready. Idempotent under the queue's at-least-once
 * delivery: every attempt works in its own scratch dir and publishes under its own version prefix, a
 * video leaves `processing` only once (VideoRepository.markReady/markFailed are conditional), and
 * older attempts' outputs are removed when an attempt wins.
 *
 * Long videos take the chunked path instead of the one-pass ladder (docs/chunked-encoding.md): the
 * job records a chunk plan, queues the chunk jobs and completes; `video.assemble` finishes the
 * video. An attempt that finds a chunk plan already recorded reuses it — re-queues what is missing
 * (dedupe keys make that safe) and starts nothing new.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { PermanentError } from '../errors.js';
import type { H264Encoder } from '../media/encoders.js';
import { probeMedia } from '../media/ffprobe.js';
import type { LeasedJob, Queue } from '../queue/queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import { explainFullDisk } from '../storage/storage-errors.js';
import type { ChunkRepository } from '../videos/chunk-repository.js';
import type { VideoEventBus } from '../videos/video-events.js';
import type { VideoRepository } from '../videos/video-repository.js';
import { planChunks } from './chunk-plan.js';
import { ensureChunkedJobs } from './chunked-jobs.js';
import { ffmpegLimitsOf, ffprobeLimitsOf, mediaLimitsOf, outputLimitsOf } from './input-limits.js';
import { planLadder } from './ladder.js';
import { analyseForLadder } from './ladder-analysis.js';
import { localSourceFile } from './local-source.js';
import { LadderPublisher } from './ladder-publisher.js';
import { assertOutputWithinLimits } from './output-estimate.js';
import type { ExtraVideoCodec } from './ladder-types.js';
import { completeVideo, failVideo, packageVideo, videoKeyPrefix } from './package-video.js';
import { createProgressReporter, STAGE_SPAN } from './progress-reporter.js';
import type { StageDeps } from './stages/stage-runner.js';
import { transcodeLadder } from './transcode-ladder.js';

export { videoKeyPrefix };

export const PROCESS_VIDEO_JOB = 'video.process';

export interface ProcessVideoPayload {
  videoId: string;
  /** Extra codec ladders asked for at upload; absent: the configured default (config.extraCodecs). */
  extraCodecs?: ExtraVideoCodec[];
}

export interface ProcessVideoDeps {
  config: Config;
  store: BlobStore;
  videos: VideoRepository;
  events: VideoEventBus;
  logger: Logger;
  /** Queues the enrichment stages once the video is ready. */
  stageDeps?: StageDeps;
  /** The H.264 encoder detected at start-up (src/media/encoders.ts); libx264 when absent. */
  h264Encoder?: H264Encoder;
  /**
   * Chunked encoding (docs/chunked-encoding.md) for videos of at least config.chunkedMinDurationSec:
   * the queue its jobs go to and the chunk records. Absent: every video takes the one-pass ladder.
   */
  chunked?: { queue: Queue; chunks: ChunkRepository };
}

export function createProcessVideoHandler(deps: ProcessVideoDeps) {
  const { config, store, videos, events } = deps;

  return async function processVideo(job: LeasedJob, ctx: { signal: AbortSignal }): Promise<void> {
    const { videoId, extraCodecs } = job.payload as ProcessVideoPayload;
    const log = deps.logger.child({ jobId: job.id, videoId, attempt: job.attempt });
    const video = await videos.get(videoId);
    if (!video || video.status !== 'processing') {
      log.info({ status: video?.status }, 'nothing to do: video is not processing');
      return;
    }

    const chunked = config.chunkedMinDurationSec > 0 ? deps.chunked : undefined;
    const existingPlan = chunked ? await chunked.chunks.getPlan(videoId) : null;
    if (chunked && existingPlan) {
      // An earlier attempt planned the chunks (and may have died before queueing them all).
      const state = await ensureChunkedJobs({ ...chunked, plan: existingPlan });
      log.info({ version: existingPlan.version, state }, 'chunk plan exists: reusing it');
      if (state.state === 'failed') await failVideo({ store, videos, events, videoId, reason: state.reason });
      return;
    }
    const report = createProgressReporter({ videoId, videos, events });

    const version = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const keyPrefix = `${videoKeyPrefix(videoId)}${version}/`;
    const videoWorkDir = path.join(config.dataDir, 'work', videoId);
    const workDir = path.join(videoWorkDir, version);
    // Scratch of an earlier attempt that died with its process is useless now: start clean.
    await rm(videoWorkDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    try {
      report('probing', 0, null);
      const inputPath = await localSourceFile(store, video.source_key, workDir);
      const media = await probeMedia({
        ffprobePath: config.ffprobePath,
        filePath: inputPath,
        // The probe scans every packet: allow a minute plus a second per 50 MB of source.
        timeoutMs: 60_000 + Math.round(video.source_bytes / 50_000),
        signal: ctx.signal,
        limits: mediaLimitsOf(config),
        processLimits: ffprobeLimitsOf(config),
      });
      // What the probe found is shown while the content is analysed.
      await videos.update(videoId, { media_json: JSON.stringify(media), duration_ms: Math.round(media.durationSec * 1000) });
      const planned = planLadder(media, {
        segmentSeconds: config.segmentSeconds,
        maxFps: config.maxFps,
        extraCodecs: extraCodecs ?? config.extraCodecs,
      });
      // Amplification bombs stop here, before the analysis decodes the file end to end.
      assertOutputWithinLimits({ plan: planned, durationSec: media.durationSec, sourceBytes: video.source_bytes, limits: outputLimitsOf(config) });
      report('analysing', 0, null);
      const plan = await analyseForLadder({
        ffmpegPath: config.ffmpegPath,
        inputPath,
        media,
        plan: planned,
        loudnessTarget: config.loudnessNormalise
          ? { integratedLufs: config.loudnessTargetLufs, truePeakDbtp: config.loudnessTruePeakDbtp, rangeLu: config.loudnessRangeLu }
          : null,
        timeoutMs: config.ffmpegTimeoutMs,
        signal: ctx.signal,
        processLimits: ffmpegLimitsOf(config),
        log,
        onProgress: (percent) => report('analysing', percent, null),
      });
      await videos.update(videoId, { ladder_json: JSON.stringify(plan) });
      const chunking = chunked
        ? planChunks({ media, plan, minDurationSec: config.chunkedMinDurationSec, chunkSeconds: config.chunkSeconds })
        : null;
      if (chunked && chunking?.mode === 'chunked') {
        // The plan that holds is the first recorded (a concurrent attempt's, if any): queue its jobs.
        const held = await chunked.chunks.createPlan({ videoId, version, plan, media, grid: chunking.grid });
        const state = await ensureChunkedJobs({ ...chunked, plan: held });
        report('transcoding', 0, null);
        log.info({ version: held.version, grid: chunking.grid, state }, 'chunked encode queued');
        return;
      }
      if (chunking?.mode === 'one-pass' && media.durationSec >= config.chunkedMinDurationSec) {
        log.info({ reason: chunking.reason }, 'not chunked: one-pass ladder');
      }
      log.info(
        {
          container: media.container,
          rungs: plan.video.map((r) => r.name),
          extraCodecs: plan.extraCodecs,
          interlace: plan.interlace,
          audio: plan.audio.map((a) => ({ source: a.sourceIndex, label: a.label, lufs: a.loudness?.measuredLufs ?? null })),
          encoder: deps.h264Encoder?.name ?? 'libx264',
        },
        'probed, analysed and planned',
      );

      const publisher = new LadderPublisher({ store, workDir, keyPrefix, plan });
      await transcodeLadder({
        ffmpegPath: config.ffmpegPath,
        inputPath,
        media,
        plan,
        workDir,
        x264Preset: config.x264Preset,
        h264Encoder: deps.h264Encoder,
        extraCodecTuning: { av1Preset: config.av1Preset, vp9Speed: config.vp9Speed },
        publisher,
        timeoutMs: config.ffmpegTimeoutMs,
        killGraceMs: config.ffmpegKillGraceMs,
        processLimits: ffmpegLimitsOf(config),
        signal: ctx.signal,
        onProgress: ({ percent, etaMs }) => report('transcoding', percent, etaMs),
        onPlayable: async () => {
          // Upload complete (row creation) → first playable master playlist.
          const timeToPlayableMs = Date.now() - video.created_at;
          await videos.update(videoId, { output_prefix: keyPrefix, time_to_playable_ms: timeToPlayableMs });
          events.publish({ videoId, type: 'playable', stage: 'transcoding', percent: STAGE_SPAN.transcoding[0], etaMs: null, at: Date.now() });
          log.info({ timeToPlayableMs }, 'playable');
        },
      });

      const subtitles = await packageVideo({
        config,
        store,
        sourcePath: async () => inputPath,
        media,
        plan,
        workDir,
        keyPrefix,
        publisher,
        report,
        signal: ctx.signal,
        log,
      });
      await completeVideo({ store, videos, events, stageDeps: deps.stageDeps, videoId, version, media, plan, subtitles, log });
    } catch (thrown) {
      const err = await explainFullDisk(videoWorkDir, thrown);
      const permanent = err instanceof PermanentError;
      const lastAttempt = job.attempt >= job.maxAttempts;
      if ((permanent || lastAttempt) && !ctx.signal.aborted) {
        // Failed for good: no attempt's outputs are worth keeping.
        await failVideo({ store, videos, events, videoId, reason: (err as Error).message });
      }
      throw err;
    } finally {
      await rm(videoWorkDir, { recursive: true, force: true }).catch(() => {});
    }
  };
}

