/**
 * Progress and state changes of videos, fanned out to whoever listens (SSE streams). The embedded
 * bus is an in-process EventEmitter; the scale-out bus (redis-video-event-bus.ts) carries the same
 * events over Redis pub/sub, so a stream on one API process follows a job running in another. Both
 * pass test/contract/video-event-bus-contract.ts.
 *
 * A bus that crosses a network can lose events while its connection is down. It says so through
 * `onResync`, and listeners re-read the stored state then (see video-events-stream.ts): the record
 * is the truth, events are the fast path.
 */
import { EventEmitter } from 'node:events';
import { z } from 'zod';

export const VIDEO_STAGES = ['queued', 'probing', 'analysing', 'transcoding', 'packaging', 'ready', 'failed'] as const;
export type VideoStage = (typeof VIDEO_STAGES)[number];

export interface VideoEvent {
  videoId: string;
  type: 'progress' | 'playable' | 'ready' | 'failed';
  stage: VideoStage;
  /** 0–100 over the whole pipeline. */
  percent: number;
  etaMs: number | null;
  /** Failure reason for `failed`. */
  error?: string;
  at: number;
}

/** What a VideoEvent must look like when it arrives from another process. */
export const videoEventSchema = z.object({
  videoId: z.string().min(1).max(200),
  type: z.enum(['progress', 'playable', 'ready', 'failed']),
  stage: z.enum(VIDEO_STAGES),
  percent: z.number().min(0).max(100),
  etaMs: z.number().min(0).nullable(),
  error: z.string().max(10_000).optional(),
  at: z.number(),
}) satisfies z.ZodType<VideoEvent>;

export interface VideoEventSubscription {
  /**
   * Called when events of this video may have been lost (a networked bus lost its connection and
   * has resubscribed): the listener should re-read the stored state. Never called by the local bus.
   */
  onResync?: () => void;
}

export interface VideoEventBus {
  /** Fire and forget: delivery failures are the bus's to log, never the publisher's to handle. */
  publish(event: VideoEvent): void;
  /**
   * Effective when it returns: every event published after that, by any process, reaches
   * `listener` (unless the bus reports a gap through `onResync`). Returns the unsubscribe function.
   */
  subscribe(videoId: string, listener: (event: VideoEvent) => void, options?: VideoEventSubscription): () => void;
  /** Releases connections (drivers that hold any). */
  close?(): Promise<void>;
}

/** The pino-compatible subset the buses log through. */
export interface VideoEventBusLogger {
  error(obj: object, msg?: string): void;
}

/**
 * Per-video fan-out inside one process; the Redis bus dispatches through one too, after the
 * message has crossed Redis. A listener that throws is logged and skipped: the publisher is a job
 * reporting progress, and one broken stream must not fail it or starve the other streams.
 */
export class LocalVideoEventBus implements VideoEventBus {
  private readonly emitter = new EventEmitter();
  private readonly logger: VideoEventBusLogger | undefined;
  // One entry per subscription (not per function), so unsubscribing one never silences another.
  private readonly resyncEntries = new Set<{ onResync: () => void }>();

  constructor(options: { logger?: VideoEventBusLogger } = {}) {
    this.logger = options.logger;
    // One listener per open SSE stream; many viewers of one video are normal.
    this.emitter.setMaxListeners(0);
  }

  publish(event: VideoEvent): void {
    this.emitter.emit(event.videoId, event);
  }

  subscribe(videoId: string, listener: (event: VideoEvent) => void, options: VideoEventSubscription = {}): () => void {
    const entry = options.onResync ? { onResync: options.onResync } : null;
    const guarded = (event: VideoEvent) => {
      try {
        listener(event);
      } catch (err) {
        this.logger?.error({ err, videoId }, 'a video event listener threw');
      }
    };
    this.emitter.on(videoId, guarded);
    if (entry) this.resyncEntries.add(entry);
    return () => {
      this.emitter.off(videoId, guarded);
      if (entry) this.resyncEntries.delete(entry);
    };
  }

  /** Tells every subscriber that events may have been missed (used by the networked buses). */
  resyncAll(): void {
    for (const entry of [...this.resyncEntries]) {
      try {
        entry.onResync();
      } catch (err) {
        this.logger?.error({ err }, 'a video event resync listener threw');
      }
    }
  }
}
