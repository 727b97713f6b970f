/**
 * The `video.assemble` job of a chunked encode (docs/chunked-encoding.md): once every chunk is
 * done, the recorded segment lists become one ladder — each rung's chunks in order, checked to
 * join exactly (same init segment bytes, global segment numbers in sequence, every segment starting
 * at the decode time where the previous one ended) — and its manifests are written from them
 * (LadderPublisher.publishRecorded: media playlists, static MPD, master last). Then the same
 * packaging as the one-pass path (package-video.ts), from the renditions it needs fetched back from
 * the store, and the video becomes ready.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PermanentError } from '../errors.js';
import type { LeasedJob } from '../queue/queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ChunkRecord, StoredChunkPlan } from '../videos/chunk-repository.js';
import type { AssembleJobPayload } from './chunked-jobs.js';
import { type ChunkedJobDeps, chunkWorkRoot } from './encode-chunk.js';
import { LadderPublisher, type RecordedRendition, type RenditionSummary } from './ladder-publisher.js';
import { localSourceFile } from './local-source.js';
import { completeVideo, failVideo, packageVideo, packagingRenditions, videoKeyPrefix } from './package-video.js';
import { createProgressReporter, STAGE_SPAN } from './progress-reporter.js';
import type { StageDeps } from './stages/stage-runner.js';

/** Chunks that do not join into one stream: their init segments differ, or their timelines do not meet. */
export class ChunkMismatchError extends PermanentError {}

export type AssembleDeps = ChunkedJobDeps & {
  /** Queues the enrichment stages once the video is ready. */
  stageDeps?: StageDeps;
};

export function createAssembleHandler(deps: AssembleDeps) {
  const { config, store, videos, events, chunks } = deps;

  return async function assemble(job: LeasedJob, ctx: { signal: AbortSignal }): Promise<void> {
    const { videoId, version } = job.payload as AssembleJobPayload;
    const log = deps.logger.child({ jobId: job.id, videoId, attempt: job.attempt });
    const video = await videos.get(videoId);
    const stored = await chunks.getPlan(videoId);
    if (!video || video.status !== 'processing' || !stored || stored.version !== version) {
      log.info({ status: video?.status }, 'nothing to assemble: video not processing or chunk plan superseded');
      return;
    }
    const videoWorkDir = path.join(config.dataDir, 'work', videoId);
    const workDir = path.join(videoWorkDir, version);
    const keyPrefix = `${videoKeyPrefix(videoId)}${version}/`;
    const report = createProgressReporter({ videoId, videos, events });
    await rm(videoWorkDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    try {
      const records = await chunks.list(videoId, version);
      const unfinished = records.filter((r) => r.status !== 'done');
      // Enqueued only once all are done; anything else is a bug worth retrying loudly, not a silent completion.
      if (unfinished.length > 0) throw new Error(`assembly started with ${unfinished.length} chunks not done`);
      report('packaging', 0, null);
      const renditions = stitchRenditions(stored, records);
      const publisher = await LadderPublisher.publishRecorded({ store, workDir, keyPrefix, plan: stored.plan, renditions });
      // The master exists: the video is playable from here on.
      const timeToPlayableMs = Date.now() - video.created_at;
      await videos.update(videoId, { output_prefix: keyPrefix, time_to_playable_ms: timeToPlayableMs });
      events.publish({ videoId, type: 'playable', stage: 'packaging', percent: STAGE_SPAN.packaging[0], etaMs: null, at: Date.now() });
      log.info({ timeToPlayableMs, chunks: records.length }, 'assembled and playable');

      // The packaging reads the top rung's first segment (subtitle timing), the middle rung and the
      // default audio (download file) and the smallest rung (storyboard) from local files.
      const { video: ladder, middle, smallest, audio } = packagingRenditions(publisher.summaries());
      if (ladder[0]) await fetchRendition(store, keyPrefix, ladder[0], workDir, 1);
      for (const summary of new Set([middle, smallest, audio])) if (summary) await fetchRendition(store, keyPrefix, summary, workDir);
      const subtitles = await packageVideo({
        config,
        store,
        sourcePath: () => localSourceFile(store, video.source_key, workDir),
        media: stored.media,
        plan: stored.plan,
        workDir,
        keyPrefix,
        publisher,
        report,
        signal: ctx.signal,
        log,
      });
      await completeVideo({
        store, videos, events, stageDeps: deps.stageDeps, videoId, version, media: stored.media, plan: stored.plan, subtitles, log,
      });
      // This worker's cached original is of no further use.
      await rm(path.join(chunkWorkRoot(config), videoId), { recursive: true, force: true }).catch(() => {});
    } catch (err) {
      const forGood = (err instanceof PermanentError || job.attempt >= job.maxAttempts) && !ctx.signal.aborted;
      if (forGood) await failVideo({ store, videos, events, videoId, reason: (err as Error).message });
      throw err;
    } finally {
      await rm(videoWorkDir, { recursive: true, force: true }).catch(() => {});
    }
  };
}

/**
 * Every rendition of the plan, its chunks' segments joined in order. Video rungs must join exactly:
 * the same init bytes in every chunk, segment numbers in sequence, each segment starting where the
 * previous one ended (decode time + duration, in the track's ticks).
 */
export function stitchRenditions(stored: StoredChunkPlan, records: ChunkRecord[]): RecordedRendition[] {
  const videoChunks = records.filter((r) => r.kind === 'video').sort((a, b) => a.idx - b.idx);
  if (videoChunks.length !== stored.grid.chunkCount || videoChunks.some((r, i) => r.idx !== i)) {
    throw new ChunkMismatchError(`expected video chunks 0…${stored.grid.chunkCount - 1}, found ${videoChunks.map((r) => r.idx).join(',')}`);
  }
  const video: RecordedRendition[] = stored.plan.video.map((_, i) => {
    const parts = videoChunks.map((r) => r.result!.renditions[i]!);
    const first = parts[0]!;
    parts.forEach((part, k) => {
      if (part.dir !== first.dir || part.initSha256 !== first.initSha256) {
        throw new ChunkMismatchError(`${first.dir}: chunk ${k}'s init segment differs from chunk 0's (sha256 ${part.initSha256} ≠ ${first.initSha256})`);
      }
    });
    const segments = parts.flatMap((part) => part.segments);
    segments.forEach((segment, j) => {
      const number = Number(/(\d+)\.m4s$/.exec(segment.uri)?.[1]);
      if (number !== j) throw new ChunkMismatchError(`${first.dir}: segment ${segment.uri} at position ${j}`);
      const previous = segments[j - 1];
      const expected = previous ? previous.decodeTime + Math.round(previous.durationSec * first.timescale) : 0;
      if (segment.decodeTime !== expected) {
        throw new ChunkMismatchError(`${first.dir}: ${segment.uri} starts at ${segment.decodeTime} ticks, the previous one ends at ${expected}`);
      }
    });
    return { dir: first.dir, initUri: first.initUri, codec: first.codec, timescale: first.timescale, segments };
  });
  const audioRecord = records.find((r) => r.kind === 'audio');
  const audio: RecordedRendition[] = (audioRecord?.result?.renditions ?? []).map((r) => ({
    dir: r.dir, initUri: r.initUri, codec: r.codec, timescale: r.timescale, segments: r.segments,
  }));
  return [...video, ...audio];
}

/** Init + the first `limit` segments (all by default) of a stored rendition, into `<workDir>/<dir>/`. */
async function fetchRendition(store: BlobStore, keyPrefix: string, summary: RenditionSummary, workDir: string, limit = Infinity): Promise<void> {
  const dir = path.join(workDir, summary.dir);
  await mkdir(dir, { recursive: true });
  for (const uri of [summary.initUri, ...summary.segmentUris.slice(0, limit)]) {
    await writeFile(path.join(dir, uri), await store.getBytes(`${keyPrefix}${summary.dir}/${uri}`));
  }
}
