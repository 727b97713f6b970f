/**
 * The janitor: one scheduled sweep that removes what crashes, kills and expiry leave behind —
 * superseded and orphaned outputs and originals in the BlobStore (store-garbage.ts), scratch
 * directories of killed jobs (scratch-garbage.ts), expired and accepted resumable uploads
 * (upload-garbage.ts) and finished queue jobs past their retention. docs/configuration.md,
 * "Storage lifecycle", lists what and when.
 *
 * Safe in any number of processes at once: every rule removes only what is provably unreferenced
 * (judged against the database at the moment of removal) and older than STREAMFORGE_JANITOR_GRACE_MS,
 * and every removal is idempotent, so two janitors racing over the same garbage both succeed. Each
 * process sweeps what it can see: the store and queue where jobs run, its own scratch, and the
 * uploads directory where uploads are served.
 */
import { existsSync } from 'node:fs';
import type { FileStore } from '@tus/file-store';
import type { Logger } from 'pino';
import type { Queue } from '../queue/queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { StageRepository } from '../videos/stage-repository.js';
import type { VideoRepository } from '../videos/video-repository.js';
import { collectScratchGarbage } from './scratch-garbage.js';
import { collectStoreGarbage } from './store-garbage.js';
import { collectUploadGarbage, openUploadsDatastore } from './upload-garbage.js';

export const GARBAGE_KINDS = [
  'superseded-version',
  'failed-outputs',
  'orphaned-outputs',
  'orphaned-original',
  'stale-stage-run',
  'scratch',
  'expired-upload',
  'accepted-upload',
  'finished-job',
] as const;
export type GarbageKind = (typeof GARBAGE_KINDS)[number];

/** Where each rule reports what it removed (one call per prefix, directory, upload or batch of jobs). */
export interface GarbageSink {
  removed(kind: GarbageKind, detail: Record<string, unknown>, count?: number): void;
}

export type JanitorReport = Record<GarbageKind, number>;

export interface JanitorOptions {
  videos: VideoRepository;
  stageRecords: StageRepository;
  logger: Logger;
  /** Only what is older than this is removed. */
  graceMs: number;
  /** Time between sweeps; 0: no schedule (sweep() still works). */
  intervalMs: number;
  /** The store and the queue's finished jobs; absent in processes that run no jobs. */
  shared?: { store: BlobStore; queue: Queue; finishedJobRetentionMs: number };
  /** This process's data directory, whose work/ and chunk-work/ its job handlers use. */
  scratchDataDir?: string;
  /** The tus uploads directory, where this process serves uploads. */
  uploads?: { directory: string; expiryMs: number };
  /** Called with every removal (metrics). */
  onRemoved?: (kind: GarbageKind, count: number) => void;
  /** Clock in epoch ms; tests move it instead of sleeping. */
  now?: () => number;
}

export class Janitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<JanitorReport> | null = null;
  private uploadsDatastore: FileStore | null = null;

  constructor(private readonly options: JanitorOptions) {}

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.sweep().catch(() => {}), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the schedule and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** One sweep; concurrent calls share the running one. Resolves with what was removed, by kind. */
  sweep(): Promise<JanitorReport> {
    this.running ??= this.sweepOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async sweepOnce(): Promise<JanitorReport> {
    const { logger, videos, stageRecords, shared, uploads } = this.options;
    const now = (this.options.now ?? Date.now)();
    const madeBefore = now - this.options.graceMs;
    const report = Object.fromEntries(GARBAGE_KINDS.map((kind) => [kind, 0])) as JanitorReport;
    const sink: GarbageSink = {
      removed: (kind, detail, count = 1) => {
        report[kind] += count;
        this.options.onRemoved?.(kind, count);
        logger.info({ kind, ...detail }, 'janitor removed garbage');
      },
    };
    // One rule failing (a store outage) must not keep the others from running.
    const rules: Array<[string, () => Promise<void>]> = [];
    if (shared) {
      rules.push(['store', () => collectStoreGarbage({ store: shared.store, videos, stageRecords, madeBefore, sink })]);
      rules.push(['jobs', async () => {
        const removed = (await shared.queue.pruneFinished?.({ finishedBefore: now - shared.finishedJobRetentionMs })) ?? 0;
        if (removed > 0) sink.removed('finished-job', { jobs: removed }, removed);
      }]);
    }
    const dataDir = this.options.scratchDataDir;
    if (dataDir) rules.push(['scratch', () => collectScratchGarbage({ dataDir, videos, stageRecords, madeBefore, sink })]);
    if (uploads) {
      rules.push(['uploads', async () => {
        // Opened once the directory exists: FileStore's constructor would create it, and throw from a callback if it cannot.
        if (!this.uploadsDatastore && !existsSync(uploads.directory)) return;
        this.uploadsDatastore ??= openUploadsDatastore(uploads.directory);
        await collectUploadGarbage({ datastore: this.uploadsDatastore, expiryMs: uploads.expiryMs, now, sink });
      }]);
    }
    for (const [name, rule] of rules) {
      await rule().catch((err: unknown) => logger.warn({ err, rule: name }, 'janitor rule failed; next sweep retries'));
    }
    const total = Object.values(report).reduce((a, b) => a + b, 0);
    if (total > 0) logger.info({ removed: report }, 'janitor sweep done');
    return report;
  }
}
