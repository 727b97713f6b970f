/**
 * The tail every processing path shares once a ladder is published — the one-pass `video.process`
 * job and the `video.assemble` job of a chunked encode: subtitle tracks, the download file, the
 * poster and the storyboard, then the video's outcome (ready exactly once, older versions
 * removed, enrichment stages queued, `ready` event) — or, on a failure for good, `failed` with its
 * reason and every attempt's outputs removed.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { MediaInfo } from '../media/media-info.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { VideoEventBus } from '../videos/video-events.js';
import { publishedExtras, STORYBOARD_DIR, type VideoRepository } from '../videos/video-repository.js';
import { ffmpegLimitsOf } from './input-limits.js';
import type { LadderPublisher, RenditionSummary } from './ladder-publisher.js';
import type { LadderPlan } from './ladder-types.js';
import { makePoster, makeProgressiveFile, writeFragmentedFile } from './progressive.js';
import type { ProgressReport } from './progress-reporter.js';
import { queueStages, type StageDeps } from './stages/stage-runner.js';
import { makeStoryboard } from './storyboard.js';
import { makeSubtitles, planSubtitles, subtitleTimelineOffset, type SubtitlePlan } from './subtitles.js';

export function videoKeyPrefix(videoId: string): string {
  return `videos/${videoId}/`;
}

/** The renditions the packaging reads locally (under workDir/<dir>): download, storyboard, subtitle timing. */
export function packagingRenditions(summaries: RenditionSummary[]): {
  /** The H.264 ladder, top first: downloads, posters, storyboards and subtitle timing come from it. */
  video: RenditionSummary[];
  /** The download rung: the middle of the ladder (720p of a 1080p source), small yet watchable. */
  middle: RenditionSummary | null;
  /** The storyboard's: thumbnails are 160 px wide, the smallest rung is the cheapest to decode. */
  smallest: RenditionSummary | null;
  /** The default audio track (a0). */
  audio: RenditionSummary | null;
} {
  const video = summaries.filter((s) => s.kind === 'video' && s.family === 'h264');
  return {
    video,
    middle: video[Math.floor((video.length - 1) / 2)] ?? null,
    smallest: video.at(-1) ?? null,
    audio: summaries.find((s) => s.kind === 'audio') ?? null,
  };
}

export interface PackageVideoOptions {
  config: Config;
  store: BlobStore;
  /** The original, for subtitle extraction; asked for only when the source has subtitle streams. */
  sourcePath: () => Promise<string>;
  media: MediaInfo;
  plan: LadderPlan;
  /** Holds the renditions packagingRenditions names, as `<workDir>/<dir>/<init and segments>`. */
  workDir: string;
  keyPrefix: string;
  /** A publisher whose ladder is finished (manifests final). */
  publisher: LadderPublisher;
  report: ProgressReport;
  signal: AbortSignal;
  log: Logger;
}

/** Subtitles, download file, poster, storyboard; resolves with what became of the subtitle streams. */
export async function packageVideo(options: PackageVideoOptions): Promise<SubtitlePlan> {
  const { config, store, media, plan, workDir, keyPrefix, publisher, report, signal } = options;
  report('packaging', 0, null);
  const { video: videoRenditions, middle, smallest, audio } = packagingRenditions(publisher.summaries());
  // First: a few kilobytes of text, and the master lists them while the extras are made.
  const subtitles = await publishSubtitleTracks({
    config,
    sourcePath: options.sourcePath,
    media,
    workDir,
    publisher,
    topRendition: videoRenditions[0] ?? null,
    signal,
    log: options.log,
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
    signal,
    processLimits: ffmpegLimitsOf(config),
  });
  await store.putFile(`${keyPrefix}${extras.mp4}`, downloadPath);
  report('packaging', 60, null);
  if (extras.poster && smallest) {
    const posterPath = path.join(workDir, extras.poster);
    await makePoster({
      ffmpegPath: config.ffmpegPath,
      inputPath: downloadPath,
      // A tenth in, capped: past fades-in, and not a spoiler.
      atSec: Math.min(media.durationSec * 0.1, 5),
      outPath: posterPath,
      timeoutMs: 60_000,
      signal,
      processLimits: ffmpegLimitsOf(config),
    });
    await store.putFile(`${keyPrefix}${extras.poster}`, posterPath);
    report('packaging', 70, null);
    const storyboardDir = path.join(workDir, STORYBOARD_DIR);
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
      signal,
      processLimits: ffmpegLimitsOf(config),
    });
    // Sprites before the indexes, so a published VTT never names a sprite not yet stored.
    for (const file of storyboard.files) {
      await store.putFile(`${keyPrefix}${STORYBOARD_DIR}/${file}`, path.join(storyboardDir, file));
    }
    report('packaging', 95, null);
  }
  return subtitles;
}

export interface CompleteVideoOptions {
  store: BlobStore;
  videos: VideoRepository;
  events: VideoEventBus;
  stageDeps?: StageDeps;
  videoId: string;
  version: string;
  media: MediaInfo;
  plan: LadderPlan;
  subtitles: SubtitlePlan;
  log: Logger;
}

/**
 * processing → ready, once (markReady is conditional): older versions deleted, enrichment queued,
 * `ready` published. False when the video left processing meanwhile; this version's outputs are then
 * deleted.
 */
export async function completeVideo(options: CompleteVideoOptions): Promise<boolean> {
  const { store, videos, events, videoId, version, log } = options;
  const keyPrefix = `${videoKeyPrefix(videoId)}${version}/`;
  const won = await videos.markReady(videoId, {
    output_prefix: keyPrefix,
    progress_json: JSON.stringify({ stage: 'ready', percent: 100, etaMs: 0 }),
    subtitles_json: JSON.stringify(options.subtitles),
  });
  if (!won) {
    log.warn('video left processing during this attempt; discarding this attempt’s outputs');
    await store.deletePrefix(keyPrefix);
    return false;
  }
  await removeOtherVersions(store, videoId, version);
  // Enrichment (thumbnails, previews, quality report…) runs as separate jobs after `ready`.
  if (options.stageDeps) await queueStages(options.stageDeps, { videoId, version, media: options.media, plan: options.plan });
  events.publish({ videoId, type: 'ready', stage: 'ready', percent: 100, etaMs: 0, at: Date.now() });
  log.info('ready');
  return true;
}

/** processing → failed with the reason (once), and no attempt's outputs kept. */
export async function failVideo(options: { store: BlobStore; videos: VideoRepository; events: VideoEventBus; videoId: string; reason: string }): Promise<void> {
  const { videoId, reason } = options;
  if (await options.videos.markFailed(videoId, reason)) {
    options.events.publish({ videoId, type: 'failed', stage: 'failed', percent: 100, etaMs: null, error: reason, at: Date.now() });
  }
  await options.store.deletePrefix(videoKeyPrefix(videoId)).catch(() => {});
}

/**
 * The source's text subtitles as WebVTT tracks, published with the manifests (subtitles.ts). A track
 * left out — a bitmap format, or one ffmpeg could not convert — costs the video nothing: it is
 * logged and recorded with its reason.
 */
async function publishSubtitleTracks(options: {
  config: Config;
  sourcePath: () => Promise<string>;
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
      inputPath: await options.sourcePath(),
      media,
      tracks: plan.tracks,
      offsetSec,
      endSec: options.publisher.durationSec(),
      workDir,
      timeoutMs: config.ffmpegTimeoutMs,
      signal: options.signal,
      processLimits: ffmpegLimitsOf(config),
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
