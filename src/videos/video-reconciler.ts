/**
 * Keeps video records and the queue in agreement after crashes. A video that is `processing`
 * must have a live job: if the process died between creating the record and enqueueing, the job is
 * enqueued now (same dedupe key, so never twice); if the queue gave up on the job (e.g. its worker
 * died on every attempt), the video is failed with the queue's reason instead of staying stuck.
 */
import type { Logger } from 'pino';
import { PROCESS_VIDEO_JOB } from '../pipeline/process-video.js';
import type { Queue } from '../queue/queue.js';
import type { VideoEventBus } from './video-events.js';
import type { VideoRepository } from './video-repository.js';

export interface VideoReconcilerOptions {
  videos: VideoRepository;
  queue: Queue;
  events: VideoEventBus;
  logger: Logger;
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
    const { videos, queue, events, logger } = this.options;
    try {
      for (const video of await videos.listProcessing()) {
        const jobId = await queue.enqueue({ type: PROCESS_VIDEO_JOB, payload: { videoId: video.id }, dedupeKey: `process:${video.id}` });
        const job = await queue.get(jobId);
        if (job?.status === 'failed' || job?.status === 'completed') {
          const reason = job.lastError ?? 'processing ended without a result';
          if (await videos.markFailed(video.id, reason)) {
            logger.warn({ videoId: video.id, jobId, reason }, 'job ended but video was still processing: failed it');
            events.publish({ videoId: video.id, type: 'failed', stage: 'failed', percent: 100, etaMs: null, error: reason, at: Date.now() });
          }
        }
      }
    } catch (err) {
      logger.error({ err }, 'reconcile sweep failed');
    }
  }
}
