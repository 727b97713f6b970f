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
 */
import type { Logger } from 'pino';
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
  intervalMs?: number;
}

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
    } catch (err) {
      logger.error({ err }, 'reconcile sweep failed');
    }
  }

  private async fail(videoId: string, jobId: string, reason: string): Promise<void> {
    if (await this.options.videos.markFailed(videoId, reason)) {
      this.options.logger.warn({ videoId, jobId, reason }, 'job ended but video was still processing: failed it');
      this.options.events.publish({ videoId, type: 'failed', stage: 'failed', percent: 100, etaMs: null, error: reason, at: Date.now() });
    }
  }
}
