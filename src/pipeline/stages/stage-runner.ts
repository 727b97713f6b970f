/**
 * Queues and runs enrichment stages (video-stage.ts). `queueStages` is called once a video is
 * ready; `requestStage` re-runs one stage on request, with options. The `video.stage` job handler
 * runs one stage of one video: it skips work that was superseded (the video was reprocessed or
 * deleted, or a newer run of the stage was requested), runs the stage in a scratch directory with
 * its outputs under `<keyPrefix><stage>/<runId>/`, and records the result only for the latest run —
 * then removes the outputs of older runs. At-least-once delivery is safe: a re-delivered job of a
 * finished run finds its record `done` and does nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { BadRequestError, NotFoundError, PermanentError } from '../../errors.js';
import type { MediaInfo } from '../../media/media-info.js';
import type { LeasedJob, Queue } from '../../queue/queue.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { StageRepository } from '../../videos/stage-repository.js';
import { outputVersion, type VideoRepository } from '../../videos/video-repository.js';
import type { LadderPlan } from '../ladder-types.js';
import { localSourceFile } from '../local-source.js';
import { assembleRendition } from './published-rendition.js';
import type { AnyVideoStage } from './video-stage.js';

export const STAGE_JOB = 'video.stage';

export interface StageJobPayload {
  videoId: string;
  stage: string;
  runId: string;
}

export interface StageDeps {
  config: Config;
  store: BlobStore;
  queue: Queue;
  videos: VideoRepository;
  stageRecords: StageRepository;
  stages: readonly AnyVideoStage[];
  logger: Logger;
  /** Told of every prefix whose files were deleted, so caches in front of the store drop them (the origin's). */
  onDeleted?: (prefix: string) => void;
}

/** Where one run of a stage publishes its files. */
export function stageRunPrefix(outputPrefix: string, stage: string, runId: string): string {
  return `${outputPrefix}${stage}/${runId}/`;
}

function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

async function enqueueRun(deps: StageDeps, options: { videoId: string; stage: AnyVideoStage; version: string; stageOptions: unknown }): Promise<string> {
  const runId = newRunId();
  await deps.stageRecords.request({ videoId: options.videoId, name: options.stage.name, version: options.version, runId, options: options.stageOptions });
  await deps.queue.enqueue<StageJobPayload>({
    type: STAGE_JOB,
    payload: { videoId: options.videoId, stage: options.stage.name, runId },
    // After the ladders of other uploads: a new upload's time-to-playable matters more.
    priority: 10,
    dedupeKey: `stage:${options.videoId}:${options.stage.name}:${runId}`,
  });
  return runId;
}

/** Queues every stage that applies to a video that just became ready (version = its output version). */
export async function queueStages(deps: StageDeps, options: { videoId: string; version: string; media: MediaInfo; plan: LadderPlan }): Promise<void> {
  for (const stage of deps.stages) {
    if (!stage.appliesTo(options.media, options.plan)) continue;
    await enqueueRun(deps, { videoId: options.videoId, stage, version: options.version, stageOptions: stage.options.parse({}) });
  }
}

/** Re-runs one stage of a ready video with the given options (validated by the stage). */
export async function requestStage(deps: StageDeps, options: { videoId: string; stage: string; options: unknown }): Promise<string> {
  const stage = deps.stages.find((s) => s.name === options.stage);
  if (!stage) throw new NotFoundError(`no stage ${options.stage}`);
  const video = await deps.videos.get(options.videoId);
  if (!video) throw new NotFoundError(`no video ${options.videoId}`);
  if (video.status !== 'ready' || !video.output_prefix || !video.media_json || !video.ladder_json) {
    throw new BadRequestError(`video ${options.videoId} is ${video.status}: stages run on ready videos`);
  }
  const parsed = stage.options.safeParse(options.options ?? {});
  if (!parsed.success) {
    throw new BadRequestError(`${stage.name} options: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  }
  if (!stage.appliesTo(JSON.parse(video.media_json) as MediaInfo, JSON.parse(video.ladder_json) as LadderPlan)) {
    throw new BadRequestError(`${stage.name} does not apply to video ${options.videoId}`);
  }
  return enqueueRun(deps, { videoId: options.videoId, stage, version: outputVersion(video.output_prefix), stageOptions: parsed.data });
}

export function createStageHandler(deps: StageDeps) {
  const { config, store, videos, stageRecords } = deps;

  return async function runStage(job: LeasedJob, ctx: { signal: AbortSignal }): Promise<void> {
    const { videoId, stage: name, runId } = job.payload as StageJobPayload;
    const log = deps.logger.child({ jobId: job.id, videoId, stage: name, runId, attempt: job.attempt });
    const stage = deps.stages.find((s) => s.name === name);
    if (!stage) throw new PermanentError(`no stage ${name} in this version of StreamForge`);

    const [video, record] = await Promise.all([videos.get(videoId), stageRecords.get(videoId, name)]);
    if (!video || video.status !== 'ready' || !video.output_prefix || !video.media_json || !video.ladder_json || !record
      || record.run_id !== runId || record.version !== outputVersion(video.output_prefix) || record.status === 'done') {
      log.info('stage run superseded or done: nothing to do');
      return;
    }
    if (!(await stageRecords.start(videoId, name, runId))) return;

    const keyPrefix = stageRunPrefix(video.output_prefix, name, runId);
    // Named by run, not attempt: a retry after a crash clears the dead attempt's scratch first.
    const workDir = path.join(config.dataDir, 'work', 'stages', `${videoId}-${name}-${runId}`);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    let lastProgress = 0;
    try {
      const options = stage.options.parse(JSON.parse(record.options_json));
      const started = Date.now();
      const result = await stage.run({
        videoId,
        version: record.version,
        keyPrefix,
        workDir,
        media: JSON.parse(video.media_json) as MediaInfo,
        plan: JSON.parse(video.ladder_json) as LadderPlan,
        options,
        config,
        store,
        logger: log,
        signal: ctx.signal,
        sourceFile: () => localSourceFile(store, video.source_key, workDir),
        renditionFile: (rendition) =>
          assembleRendition({ store, keyPrefix: video.output_prefix!, rendition, outPath: path.join(workDir, `rendition-${rendition.replaceAll('/', '-')}.mp4`) }),
        progress: (percent) => {
          // Stored at most once a second: progress is for people looking at it.
          if (Date.now() - lastProgress < 1000) return;
          lastProgress = Date.now();
          void stageRecords.progress(videoId, name, runId, percent).catch(() => {});
        },
      });
      if (!(await stageRecords.finish(videoId, name, runId, result))) {
        log.info('a newer run replaced this one: discarding its outputs');
        await store.deletePrefix(keyPrefix);
        deps.onDeleted?.(keyPrefix);
        return;
      }
      for (const prefix of await removeOlderRuns(store, `${video.output_prefix}${name}/`, runId)) deps.onDeleted?.(prefix);
      log.info({ ms: Date.now() - started }, 'stage done');
    } catch (err) {
      const final = err instanceof PermanentError || job.attempt >= job.maxAttempts;
      if (!ctx.signal.aborted) {
        await stageRecords.fail(videoId, name, runId, (err as Error).message, { final }).catch(() => {});
        if (final) {
          await store.deletePrefix(keyPrefix).catch(() => {});
          deps.onDeleted?.(keyPrefix);
        }
      }
      throw err;
    } finally {
      await rm(workDir, { recursive: true, force: true }).catch(() => {});
    }
  };
}

/** Deletes every run's files but `keep`'s; returns the prefixes deleted. */
async function removeOlderRuns(store: BlobStore, stagePrefix: string, keep: string): Promise<string[]> {
  const runs = new Set((await store.list(stagePrefix)).map((key) => key.slice(stagePrefix.length).split('/')[0]!));
  const removed: string[] = [];
  for (const run of runs) {
    if (run === keep) continue;
    await store.deletePrefix(`${stagePrefix}${run}/`);
    removed.push(`${stagePrefix}${run}/`);
  }
  return removed;
}
