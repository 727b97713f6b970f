/**
 * Wires one StreamForge process from its config: database, blob store, queue, event bus, video
 * records, origin and (in embedded mode) the job worker. Everything is created here and passed
 * down — no module keeps global state — so tests and the CLI build as many as they need.
 */
import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { Config } from './config/config.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from './db/database.js';
import { createOrigin, type Origin } from './delivery/origin.js';
import { createProcessVideoHandler, PROCESS_VIDEO_JOB } from './pipeline/process-video.js';
import { STAGES } from './pipeline/stages/stage-registry.js';
import { createStageHandler, STAGE_JOB, type StageDeps } from './pipeline/stages/stage-runner.js';
import type { Queue } from './queue/queue.js';
import { SqlQueue } from './queue/sql-queue.js';
import { Worker } from './queue/worker.js';
import type { BlobStore } from './storage/blob-store.js';
import { LocalBlobStore } from './storage/local-blob-store.js';
import { LocalVideoEventBus, type VideoEventBus } from './videos/video-events.js';
import { StageRepository } from './videos/stage-repository.js';
import { VideoRepository } from './videos/video-repository.js';
import { VideoReconciler } from './videos/video-reconciler.js';

export interface AppContext {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  store: BlobStore;
  queue: Queue;
  videos: VideoRepository;
  stageRecords: StageRepository;
  /** What queues and runs enrichment stages (src/pipeline/stages/). */
  stageDeps: StageDeps;
  events: VideoEventBus;
  origin: Origin;
  /** Present when this process runs jobs: the ladder worker (`video.process`). */
  worker: Worker | null;
  /** Present when this process runs enrichment stages (`video.stage`). */
  stageWorker: Worker | null;
  reconciler: VideoReconciler;
}

export interface CreateAppContextOptions {
  config: Config;
  logger?: Logger;
  /** Run the job worker in this process (default: config.embeddedWorker). */
  runWorker?: boolean;
  /** Enrichment stages (default: every stage of src/pipeline/stages/stage-registry.ts). */
  stages?: StageDeps['stages'];
}

export async function createAppContext(options: CreateAppContextOptions): Promise<AppContext> {
  const { config } = options;
  const logger = options.logger ?? pino({ level: config.logLevel });
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database.db);
  const store = new LocalBlobStore({ root: path.join(config.dataDir, 'blobs') });
  const queue = new SqlQueue({ db: database.db, dialect: database.dialect, defaultMaxAttempts: config.jobMaxAttempts });
  const videos = new VideoRepository({ db: database.db, dialect: database.dialect });
  const stageRecords = new StageRepository(database.db);
  const stageDeps: StageDeps = { config, store, queue, videos, stageRecords, stages: options.stages ?? STAGES, logger: logger.child({ component: 'stages' }) };
  const events = new LocalVideoEventBus();
  const origin = createOrigin({
    store,
    cacheBytes: config.segmentCacheBytes,
    cacheMaxFileBytes: config.segmentCacheMaxFileBytes,
    corsOrigin: config.corsOrigin,
    logger: logger.child({ component: 'origin' }),
  });
  const runWorker = options.runWorker ?? config.embeddedWorker;
  const worker = runWorker && config.workerConcurrency > 0
    ? new Worker({
        queue,
        handlers: { [PROCESS_VIDEO_JOB]: createProcessVideoHandler({ config, store, videos, events, logger, stageDeps }) },
        concurrency: config.workerConcurrency,
        leaseMs: config.jobLeaseMs,
        backoffMs: config.jobBackoffMs,
        logger: logger.child({ component: 'worker' }),
      })
    : null;
  // Enrichment stages get their own worker, so a long analysis never delays a new upload's ladder.
  const stageWorker = runWorker && config.stageConcurrency > 0
    ? new Worker({
        queue,
        handlers: { [STAGE_JOB]: createStageHandler(stageDeps) },
        concurrency: config.stageConcurrency,
        leaseMs: config.jobLeaseMs,
        backoffMs: config.jobBackoffMs,
        logger: logger.child({ component: 'stage-worker' }),
      })
    : null;
  const reconciler = new VideoReconciler({ videos, queue, events, logger: logger.child({ component: 'reconciler' }) });
  return { config, logger, database, store, queue, videos, stageRecords, stageDeps, events, origin, worker, stageWorker, reconciler };
}

/** Starts background work: the reconciler sweep and the worker. */
export async function startBackground(ctx: AppContext): Promise<void> {
  await ctx.reconciler.start();
  ctx.worker?.start();
  ctx.stageWorker?.start();
}

export async function closeAppContext(ctx: AppContext, options: { graceMs?: number } = {}): Promise<void> {
  ctx.reconciler.stop();
  const graceMs = options.graceMs ?? 10_000;
  await Promise.all([ctx.worker?.stop({ graceMs }), ctx.stageWorker?.stop({ graceMs })]);
  await ctx.database.close();
}
