/**
 * The `video.process` job: probe → plan → analyse (interlacing, loudness) → one-pass ladder
 * (published while it encodes) → subtitle
 * tracks + download file + poster + storyboard → ready. Idempotent under the queue's at-least-once
 * delivery: every attempt works in its own scratch dir and publishes under its own version prefix, a
 * video leaves `processing` only once (VideoRepository.markReady/markFailed are conditional), and
 * older attempts' outputs are removed when an attempt wins.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { PermanentError } from '../errors.js';
import type { H264Encoder } from '../media/encoders.js';
import { probeMedia } from '../media/ffprobe.js';
import type { MediaInfo } from '../media/media-info.js';
import type { LeasedJob } from '../queue/queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { VideoEventBus } from '../videos/video-events.js';
import { publishedExtras, STORYBOARD_DIR, type VideoRepository } from '../videos/video-repository.js';
import { planLadder } from './ladder.js';
import { analyseForLadder } from './ladder-analysis.js';
import { localSourceFile } from './local-source.js';
import { LadderPublisher, type RenditionSummary } from './ladder-publisher.js';
import type { ExtraVideoCodec } from './ladder-types.js';
import { makePoster, makeProgressiveFile, writeFragmentedFile } from './progressive.js';
import { queueStages, type StageDeps } from './stages/stage-runner.js';
import { makeStoryboard } from './storyboard.js';
import { makeSubtitles, planSubtitles, subtitleTimelineOffset, type SubtitlePlan } from './subtitles.js';
import { transcodeLadder } from './transcode-ladder.js';

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
}

/** Where each stage sits in the overall 0–100 progress. */
const STAGE_SPAN: Record<'probing' | 'analysing' | 'transcoding' | 'packaging', [number, number]> = {
  probing: [0, 2],
  analysing: [2, 5],
  transcoding: [5, 95],
  packaging: [95, 100],
};

export function videoKeyPrefix(videoId: string): string {
  return `videos/${videoId}/`;
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

    let lastStored = 0;
    const report = (stage: keyof typeof STAGE_SPAN, stagePercent: number, etaMs: number | null) => {
      const [from, to] = STAGE_SPAN[stage];
      const percent = Math.round((from + ((to - from) * stagePercent) / 100) * 10) / 10;
      events.publish({ videoId, type: 'progress', stage, percent, etaMs, at: Date.now() });
      // The stored copy serves late joiners and other processes; every 2 s is plenty.
      if (Date.now() - lastStored > 2000) {
        lastStored = Date.now();
        void videos.update(videoId, { progress_json: JSON.stringify({ stage, percent, etaMs }) }).catch(() => {});
      }
    };

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
      });
      // What the probe found is shown while the content is analysed.
      await videos.update(videoId, { media_json: JSON.stringify(media), duration_ms: Math.round(media.durationSec * 1000) });
      const planned = planLadder(media, {
        segmentSeconds: config.segmentSeconds,
        maxFps: config.maxFps,
        extraCodecs: extraCodecs ?? config.extraCodecs,
      });
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
        log,
        onProgress: (percent) => report('analysing', percent, null),
      });
      await videos.update(videoId, { ladder_json: JSON.stringify(plan) });
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

      report('packaging', 0, null);
      const summaries = publisher.summaries();
      // Downloads, posters, storyboards and subtitle timing come from the H.264 ladder.
      const videoRenditions = summaries.filter((s) => s.kind === 'video' && s.family === 'h264');
      // The download rung: the middle of the ladder (720p of a 1080p source), small yet watchable.
      const middle = videoRenditions[Math.floor((videoRenditions.length - 1) / 2)] ?? null;
      // The default audio track (a0).
      const audio = summaries.find((s) => s.kind === 'audio') ?? null;
      // First: a few kilobytes of text, and the master lists them while the extras are made.
      const subtitles = await publishSubtitleTracks({
        config,
        inputPath,
        media,
        workDir,
        publisher,
        topRendition: videoRenditions[0] ?? null,
        signal: ctx.signal,
        log,
      });
      const extras = publishedExtras(plan);
      const downloadPath = path.join(workDir, extras.mp4);
      await makeProgressiveFile({
        ffmpegPath: config.ffmpegPath,
        workDir,
        video: middle && { dir: path.join(workDir, middle.dir), initUri: middle.initUri, segmentUris: middle.segmentUris },
        audio: audio && { dir: path.join(workDir, audio.dir), initUri: audio.initUri, segmentUris: audio.segmentUris },
        outPath: downloadPath,
        timeoutMs: config.ffmpegTimeoutMs,
        signal: ctx.signal,
      });
      await store.putFile(`${keyPrefix}${extras.mp4}`, downloadPath);
      report('packaging', 60, null);
      if (extras.poster) {
        const posterPath = path.join(workDir, extras.poster);
        await makePoster({
          ffmpegPath: config.ffmpegPath,
          inputPath: downloadPath,
          // A tenth in, capped: past fades-in, and not a spoiler.
          atSec: Math.min(media.durationSec * 0.1, 5),
          outPath: posterPath,
          timeoutMs: 60_000,
          signal: ctx.signal,
        });
        await store.putFile(`${keyPrefix}${extras.poster}`, posterPath);
        report('packaging', 70, null);
        const storyboardDir = path.join(workDir, STORYBOARD_DIR);
        // Thumbnails are 160 px wide: decoding the smallest rung costs a fraction of the download's.
        const smallest = videoRenditions.at(-1)!;
        const storyboardSource = path.join(workDir, 'storyboard-source.mp4');
        await writeFragmentedFile(
          { dir: path.join(workDir, smallest.dir), initUri: smallest.initUri, segmentUris: smallest.segmentUris },
          storyboardSource,
        );
        const storyboard = await makeStoryboard({
          ffmpegPath: config.ffmpegPath,
          inputPath: storyboardSource,
          durationSec: media.durationSec,
          outDir: storyboardDir,
          timeoutMs: config.ffmpegTimeoutMs,
          signal: ctx.signal,
        });
        // Sprites before the indexes, so a published VTT never names a sprite not yet stored.
        for (const file of storyboard.files) {
          await store.putFile(`${keyPrefix}${STORYBOARD_DIR}/${file}`, path.join(storyboardDir, file));
        }
        report('packaging', 95, null);
      }

      const won = await videos.markReady(videoId, {
        output_prefix: keyPrefix,
        progress_json: JSON.stringify({ stage: 'ready', percent: 100, etaMs: 0 }),
        subtitles_json: JSON.stringify(subtitles),
      });
      if (!won) {
        log.warn('video left processing during this attempt; discarding this attempt’s outputs');
        await store.deletePrefix(keyPrefix);
        return;
      }
      await removeOtherVersions(store, videoId, version);
      // Enrichment (thumbnails, previews, quality report…) runs as separate jobs after `ready`.
      if (deps.stageDeps) await queueStages(deps.stageDeps, { videoId, version, media, plan });
      events.publish({ videoId, type: 'ready', stage: 'ready', percent: 100, etaMs: 0, at: Date.now() });
      log.info('ready');
    } catch (err) {
      const permanent = err instanceof PermanentError;
      const lastAttempt = job.attempt >= job.maxAttempts;
      if ((permanent || lastAttempt) && !ctx.signal.aborted) {
        const reason = (err as Error).message;
        if (await videos.markFailed(videoId, reason)) {
          events.publish({ videoId, type: 'failed', stage: 'failed', percent: 100, etaMs: null, error: reason, at: Date.now() });
        }
        // Failed for good: no attempt's outputs are worth keeping.
        await store.deletePrefix(videoKeyPrefix(videoId)).catch(() => {});
      }
      throw err;
    } finally {
      await rm(videoWorkDir, { recursive: true, force: true }).catch(() => {});
    }
  };
}

/**
 * The source's text subtitles as WebVTT tracks, published with the manifests (subtitles.ts). A track
 * left out — a bitmap format, or one ffmpeg could not convert — costs the video nothing: it is
 * logged and recorded with its reason.
 */
async function publishSubtitleTracks(options: {
  config: Config;
  inputPath: string;
  media: MediaInfo;
  workDir: string;
  publisher: LadderPublisher;
  /** The ladder's top rung, whose first segment says where the stream's first frame is shown. */
  topRendition: RenditionSummary | null;
  signal: AbortSignal;
  log: Logger;
}): Promise<SubtitlePlan> {
  const { config, media, workDir, topRendition: top, log } = options;
  const plan = planSubtitles(media.subtitles);
  let made: Awaited<ReturnType<typeof makeSubtitles>> = { made: [], failed: [] };
  if (plan.tracks.length > 0) {
    const firstVideo = top
      ? {
          init: await readFile(path.join(workDir, top.dir, top.initUri)),
          segment: await readFile(path.join(workDir, top.dir, top.segmentUris[0]!)),
        }
      : null;
    const offsetSec = subtitleTimelineOffset(media, firstVideo);
    made = await makeSubtitles({
      ffmpegPath: config.ffmpegPath,
      inputPath: options.inputPath,
      media,
      tracks: plan.tracks,
      offsetSec,
      endSec: options.publisher.durationSec(),
      workDir,
      timeoutMs: config.ffmpegTimeoutMs,
      signal: options.signal,
    });
    if (made.made.length > 0) {
      await options.publisher.publishSubtitles(
        made.made.map(({ track, localPath }) => ({ vtt: track.vtt, playlist: track.playlist, localPath, language: track.language, label: track.label })),
      );
    }
    log.info(
      { offsetSec: Math.round(offsetSec * 1000) / 1000, tracks: made.made.map((m) => ({ file: m.track.vtt, label: m.track.label, cues: m.cueCount })) },
      'subtitles published',
    );
  }
  for (const skipped of plan.skipped) log.info({ subtitle: skipped }, 'subtitle track skipped');
  for (const failed of made.failed) log.warn({ subtitle: failed }, 'subtitle track not converted');
  return {
    tracks: made.made.map((m) => m.track),
    skipped: [...plan.skipped, ...made.failed].sort((a, b) => a.sourceIndex - b.sourceIndex),
  };
}

async function removeOtherVersions(store: BlobStore, videoId: string, keep: string): Promise<void> {
  const prefix = videoKeyPrefix(videoId);
  const versions = new Set((await store.list(prefix)).map((key) => key.slice(prefix.length).split('/')[0]!));
  for (const version of versions) {
    if (version !== keep) await store.deletePrefix(`${prefix}${version}/`);
  }
}
