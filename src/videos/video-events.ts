/**
 * Progress and state changes of videos, fanned out to whoever listens (SSE streams). The embedded
 * bus is an in-process EventEmitter; the scale-out bus (#5) carries the same events over Redis.
 */
import { EventEmitter } from 'node:events';

export type VideoStage = 'queued' | 'probing' | 'analysing' | 'transcoding' | 'packaging' | 'ready' | 'failed';

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

export interface VideoEventBus {
  publish(event: VideoEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(videoId: string, listener: (event: VideoEvent) => void): () => void;
  /** Releases connections (drivers that hold any). */
  close?(): Promise<void>;
}

export class LocalVideoEventBus implements VideoEventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open SSE stream; many viewers of one video are normal.
    this.emitter.setMaxListeners(0);
  }

  publish(event: VideoEvent): void {
    this.emitter.emit(event.videoId, event);
  }

  subscribe(videoId: string, listener: (event: VideoEvent) => void): () => void {
    this.emitter.on(videoId, listener);
    return () => this.emitter.off(videoId, listener);
  }
}
