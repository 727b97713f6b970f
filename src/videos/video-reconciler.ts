/**
 * Keeps video records and the queue in agreement after crashes. A video that is `processing`
 * must have a live job: if the process died between creating the record and enqueueing, the job is
 * enqueued now (same dedupe key, so never twice); if the queue gave up on the job (e.g. its worker
 * died on every attempt), the video is failed with the queue's reason instead of staying stuck.
 *
 * Chunked videos (docs/chunked-encoding.md): their `video.process` job completes once the chunks
 * are queued, so a completed process job plus a chunk plan is normal. Their live work is the
 * chunk jobs and then the assembly: missing ones are enqueued again (dedupe keys), and the video
 * fails when one of them failed for good.
 *
 * A video failed here lost its worker mid-attempt (kill -9, OOM): what that attempt published and
 * its scratch directory are removed too, as processVideo does when it fails a video itself. Each
 * sweep also removes the scratch of videos no longer processing (`<scratchDir>/<videoId>`), which
 * a killed attempt leaves behind when no later attempt runs to clear it.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { ID_PATTERN } from '../ids.js';
import { videoKeyPrefix } from '../pipeline/package-video.js';
import type { BlobStore } from '../storage/blob-store.js';
import { ensureChunkedJobs } from '../pipeline/chunked-jobs.js';
import { processVideoJob, requestedExtraCodecs } from './video-intake.js';
import type { Queue } from '../queue/queue.js';
import type { ChunkRepository } from './chunk-repository.js';
import type { VideoEventBus } from './video-events.js';
import type { VideoRepository } from './video-repository.js';

export interface VideoReconcilerOptions {
  videos: VideoRepository;
  queue: Queue;
  events: VideoEventBus;
  logger: Logger;
  /** Chunk records; without them a completed process job always means a lost video. */
  chunks?: ChunkRepository;
  /** Where a failed video's published outputs are deleted from; absent: they are kept. */
  store?: BlobStore;
  /** This process's per-video scratch root (`<dataDir>/work`) when it runs ladder jobs. */
  scratchDir?: string;
  intervalMs?: number;
}

const VIDEO_ID = new RegExp(ID_PATTERN);

export class VideoReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: VideoReconcilerOptions) {}

  async start(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.options.intervalMs ?? 15_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sweep; concurrent calls share the running sweep. */
  reconcile(): Promise<void> {
    this.running ??= this.sweep().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async sweep(): Promise<void> {
    const { videos, queue, logger } = this.options;
    try {
      for (const video of await videos.listProcessing()) {
        const jobId = await queue.enqueue(processVideoJob({ id: video.id, extraCodecs: requestedExtraCodecs(video) }));
        const job = await queue.get(jobId);
        if (job?.status === 'completed') {
          const plan = await this.options.chunks?.getPlan(video.id);
          if (plan && this.options.chunks) {
            const state = await ensureChunkedJobs({ queue, chunks: this.options.chunks, plan });
            if (state.state === 'failed') await this.fail(video.id, jobId, state.reason);
            else if (state.state === 'assembling' && state.ended) await this.fail(video.id, jobId, 'assembly ended without a result');
            continue;
          }
        }
        if (job?.status === 'failed' || job?.status === 'completed') {
          await this.fail(video.id, jobId, job.lastError ?? 'processing ended without a result');
        }
      }
      await this.removeStaleScratch();
    } catch (err) {
      logger.error({ err }, 'reconcile sweep failed');
    }
  }

  private async fail(videoId: string, jobId: string, reason: string): Promise<void> {
    const { videos, events, store, scratchDir, logger } = this.options;
    if (await videos.markFailed(videoId, reason)) {
      logger.warn({ videoId, jobId, reason }, 'job ended but video was still processing: failed it');
      events.publish({ videoId, type: 'failed', stage: 'failed', percent: 100, etaMs: null, error: reason, at: Date.now() });
      await store?.deletePrefix(videoKeyPrefix(videoId)).catch((err: unknown) => logger.warn({ err, videoId }, 'could not delete a failed video’s outputs'));
      if (scratchDir) await rm(path.join(scratchDir, videoId), { recursive: true, force: true }).catch(() => {});
    }
  }

  /** Scratch directories of videos that are not processing (ready, failed or deleted) are garbage. */
  private async removeStaleScratch(): Promise<void> {
    const { scratchDir, videos } = this.options;
    if (!scratchDir) return;
    const entries = await readdir(scratchDir).catch(() => [] as string[]);
    for (const name of entries.filter((entry) => VIDEO_ID.test(entry))) {
      if ((await videos.get(name))?.status === 'processing') continue;
      await rm(path.join(scratchDir, name), { recursive: true, force: true });
    }
  }
}
