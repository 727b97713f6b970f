/**
 * Wires one StreamForge process from its config: database, blob store, queue, event bus, video
 * records, origin and (in embedded mode) the job worker. Everything is created here and passed
 * down — no module keeps global state — so tests and the CLI build as many as they need.
 */
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { type Auth, openAuth } from './auth/auth.js';
import { type ClientIp, createClientIp } from './auth/client-ip.js';
import { OpenEventStreams } from './api/video-events-stream.js';
import type { Config } from './config/config.js';
import { type DatabaseHandle, migrateToLatest, openDatabase } from './db/database.js';
import type { CacheInvalidationBus } from './delivery/cache-invalidation.js';
import { DeletionAnnouncingBlobStore } from './delivery/deletion-announcing-store.js';
import { createAccelRedirect } from './delivery/accel-redirect.js';
import { createMediaRedirect } from './delivery/media-redirect.js';
import { openCacheInvalidationBus } from './delivery/open-cache-invalidation-bus.js';
import { createOrigin, type Origin } from './delivery/origin.js';
import { detectH264Encoder, type H264Encoder, SOFTWARE_H264 } from './media/encoders.js';
import { createProcessVideoHandler, PROCESS_VIDEO_JOB } from './pipeline/process-video.js';
import { ASSEMBLE_JOB, CHUNK_JOB } from './pipeline/chunked-jobs.js';
import { createChunkHandler } from './pipeline/encode-chunk.js';
import { createAssembleHandler } from './pipeline/assemble-chunks.js';
import { ChunkRepository } from './videos/chunk-repository.js';
import { STAGES } from './pipeline/stages/stage-registry.js';
import { createStageHandler, STAGE_JOB, type StageDeps } from './pipeline/stages/stage-runner.js';
import type { Queue } from './queue/queue.js';
import { openQueue } from './queue/open-queue.js';
import { Worker } from './queue/worker.js';
import { createFfmpegAvailability, type FfmpegAvailability } from './observability/ffmpeg-availability.js';
import { AppMetrics } from './observability/metrics.js';
import type { BlobStore } from './storage/blob-store.js';
import { openBlobStore } from './storage/open-blob-store.js';
import type { VideoEventBus } from './videos/video-events.js';
import { openVideoEventBus } from './videos/open-video-event-bus.js';
import { StageRepository } from './videos/stage-repository.js';
import { VideoRepository } from './videos/video-repository.js';
import { VideoReconciler } from './videos/video-reconciler.js';
import { WEBHOOK_DELIVER_JOB } from './webhooks/webhook-events.js';
import { Janitor } from './maintenance/janitor.js';
import { openWebhooks, type Webhooks } from './webhooks/webhooks.js';
import { openRateLimits, type RateLimits } from './rate-limit/rate-limits.js';

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
  /** Tells every process's origin which blobs were deleted (src/delivery/cache-invalidation.ts). */
  invalidations: CacheInvalidationBus;
  origin: Origin;
  /** Accounts, credentials and the /stream/ access check (src/auth/, docs/security.md). */
  auth: Auth;
  /** The client's address behind trusted proxies (STREAMFORGE_TRUST_PROXY), for Fastify and the origin alike. */
  clientIp: ClientIp;
  /** Per-key request limits of the API, uploads and /stream/ (src/rate-limit/, docs/security.md). */
  rateLimits: RateLimits;
  /** Present when this process runs jobs: the ladder worker (`video.process`). */
  worker: Worker | null;
  /** Present when this process runs enrichment stages (`video.stage`). */
  stageWorker: Worker | null;
  reconciler: VideoReconciler;
  /** Removes temp, expired and unreferenced files on a schedule (src/maintenance/janitor.ts). */
  janitor: Janitor;
  /** Prometheus metrics of this context (src/observability/, docs/operations.md). */
  metrics: AppMetrics;
  /** Whether ffmpeg can run, checked once at start-up (for /ready). */
  ffmpeg: FfmpegAvailability;
  /** Open SSE streams, ended cleanly on shutdown (src/api/video-events-stream.ts). */
  eventStreams: OpenEventStreams;
  /** Webhook endpoints, events and deliveries (src/webhooks/, docs/webhooks.md). */
  webhooks: Webhooks;
  /** Present when this process sends webhook deliveries (`webhook.deliver`). */
  webhookWorker: Worker | null;
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
  const metrics = new AppMetrics({ logger: logger.child({ component: 'metrics' }) });
  const ffmpeg = createFfmpegAvailability({ ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath });
  // The store first: a wrong bucket or credentials should stop start-up before any migration runs.
  const blobStore = await openBlobStore({ config, logger: logger.child({ component: 'storage' }) });
  // Every deletion through the store, by any module in any process, empties every origin's cache.
  const invalidations = await openCacheInvalidationBus({ config, logger: logger.child({ component: 'cache-invalidation' }) });
  const store: BlobStore = new DeletionAnnouncingBlobStore({ store: blobStore, invalidations });
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database.db);
  const queue = await openQueue({ config, database, logger: logger.child({ component: 'queue' }) });
  const webhooks = openWebhooks({ config, database, queue, logger: logger.child({ component: 'webhooks' }) });
  // Every status change records its webhook event in its own transaction (src/webhooks/webhook-events.ts).
  const videos = new VideoRepository({ db: database.db, dialect: database.dialect, onTransition: webhooks.events.observe });
  const stageRecords = new StageRepository(database.db);
  const stageDeps: StageDeps = {
    config, store, queue, videos, stageRecords, stages: options.stages ?? STAGES,
    logger: logger.child({ component: 'stages' }),
    // No onDeleted: the store announces its deletions to every origin (deletion-announcing-store.ts).
  };
  const events = await openVideoEventBus({ config, logger: logger.child({ component: 'events' }) });
  const clientIp = createClientIp(config.trustProxy);
  const auth = await openAuth({ config, database, videos, clientIp, logger: logger.child({ component: 'auth' }) });
  const rateLimits = await openRateLimits({ config, clientIp, logger: logger.child({ component: 'rate-limits' }) });
  const origin = createOrigin({
    store,
    access: auth.streamAccess,
    rateLimit: rateLimits.playback,
    cacheBytes: config.segmentCacheBytes,
    cacheMaxFileBytes: config.segmentCacheMaxFileBytes,
    corsOrigin: config.corsOrigin,
    redirectMedia:
      config.s3Delivery === 'redirect' && store.signedUrl !== undefined
        ? createMediaRedirect({ signer: { signedUrl: store.signedUrl.bind(store) }, expiresInSeconds: config.s3PresignExpiresSeconds })
        : undefined,
    // The config allows a prefix with local storage only, so localPath is there.
    accelRedirect:
      config.accelRedirectPrefix !== undefined && store.localPath !== undefined
        ? createAccelRedirect({ uriPrefix: config.accelRedirectPrefix, localPath: store.localPath })
        : undefined,
    logger: logger.child({ component: 'origin' }),
  });
  invalidations.subscribe((prefix) => origin.invalidatePrefix(prefix));
  // Deletions and visibility changes (videos.ts announces those too) reach every process's access check.
  invalidations.subscribe((prefix) => auth.streamAccess.forget(prefix));
  const runWorker = options.runWorker ?? config.embeddedWorker;
  const h264Encoder = runWorker && config.workerConcurrency > 0 ? await chooseH264Encoder(config, logger) : null;
  const chunks = new ChunkRepository(database.db);
  const worker = h264Encoder
    ? new Worker({
        queue,
        handlers: {
          [PROCESS_VIDEO_JOB]: createProcessVideoHandler({ config, store, videos, events, logger, stageDeps, h264Encoder, chunked: { queue, chunks } }),
          // Chunked encoding (docs/chunked-encoding.md): any ladder worker encodes chunks and assembles.
          [CHUNK_JOB]: createChunkHandler({ config, store, videos, events, logger, queue, chunks, h264Encoder }),
          [ASSEMBLE_JOB]: createAssembleHandler({ config, store, videos, events, logger, queue, chunks, h264Encoder, stageDeps }),
        },
        concurrency: config.workerConcurrency,
        leaseMs: config.jobLeaseMs,
        backoffMs: config.jobBackoffMs,
        logger: logger.child({ component: 'worker' }),
        onAttemptEnded: (report) => metrics.recordTranscodingAttempt(report),
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
        onAttemptEnded: (report) => metrics.recordJobAttempt(report),
      })
    : null;
  // Webhooks wait on other servers, not on CPU: their own worker, so a slow receiver never delays a job.
  const webhookWorker = runWorker && config.webhookConcurrency > 0
    ? new Worker({
        queue,
        handlers: { [WEBHOOK_DELIVER_JOB]: webhooks.deliver },
        concurrency: config.webhookConcurrency,
        leaseMs: config.jobLeaseMs,
        backoffMs: config.webhookBackoffMs,
        maxBackoffMs: config.webhookMaxBackoffMs,
        logger: logger.child({ component: 'webhook-worker' }),
        onAttemptEnded: (report) => metrics.recordJobAttempt(report),
      })
    : null;
  const reconciler = new VideoReconciler({
    videos, queue, events, chunks, store,
    // Ladder scratch (process-video.ts) lives in this process's work/ only where ladder jobs run.
    scratchDir: worker ? path.join(config.dataDir, 'work') : undefined,
    logger: logger.child({ component: 'reconciler' }),
  });
  const janitor = new Janitor({
    videos, stageRecords,
    graceMs: config.janitorGraceMs,
    intervalMs: config.janitorIntervalMs,
    // The store and queue where jobs run (any such process may sweep them: every rule is idempotent);
    // this process's own scratch; the uploads volume where uploads are served (not in a worker).
    shared: runWorker ? { store, queue, finishedJobRetentionMs: config.jobRetentionDays * 24 * 60 * 60 * 1000 } : undefined,
    scratchDataDir: runWorker ? config.dataDir : undefined,
    uploads: config.role !== 'worker' ? { directory: config.uploadsDir, expiryMs: config.uploadExpiryMs } : undefined,
    onRemoved: (kind, count) => metrics.janitorRemoved.inc({ kind }, count),
    logger: logger.child({ component: 'janitor' }),
  });
  metrics.watch({ queue, origin, activeTranscodingJobs: () => worker?.activeJobs ?? 0 });
  return { config, logger, database, store, queue, videos, stageRecords, stageDeps, events, invalidations, origin, auth, clientIp, rateLimits, worker, stageWorker, reconciler, janitor, metrics, ffmpeg, webhooks, webhookWorker, eventStreams: new OpenEventStreams() };
}

/**
 * The H.264 encoder of this worker: libx264 unless STREAMFORGE_HW_ENCODER asks for hardware, which
 * is then tried for real (a tenth of a second of video) and used only if it encodes. What was tried
 * and why each candidate was or was not used is logged either way.
 */
async function chooseH264Encoder(config: Config, logger: Logger): Promise<H264Encoder> {
  if (config.hwEncoder === 'none') return SOFTWARE_H264;
  const { encoder, tried } = await detectH264Encoder({ ffmpegPath: config.ffmpegPath, setting: config.hwEncoder }).catch((err: unknown) => {
    // No usable ffmpeg at all is reported by the start-up check (ffmpeg-check.ts); here: fall back.
    logger.warn({ err: (err as Error).message }, 'hardware encoder detection failed');
    return { encoder: SOFTWARE_H264, tried: [] };
  });
  const level = config.hwEncoder !== 'auto' && encoder.hardware === null ? 'warn' : 'info';
  logger[level]({ setting: config.hwEncoder, encoder: encoder.name, tried }, encoder.hardware ? 'using a hardware H.264 encoder' : 'no hardware H.264 encoder usable: using libx264');
  return encoder;
}

/** Starts background work: the reconciler sweep and the worker. */
export async function startBackground(ctx: AppContext): Promise<void> {
  await ctx.reconciler.start();
  ctx.worker?.start();
  ctx.stageWorker?.start();
  ctx.webhookWorker?.start();
  ctx.webhooks.events.start();
  ctx.janitor.start();
}

/**
 * Stops leasing jobs in every worker of the context; running jobs get `graceMs` to finish and are
 * then handed back to the queue, their attempt not counted (src/queue/worker.ts). Idempotent.
 */
export async function stopWorkers(ctx: AppContext, options: { graceMs: number }): Promise<void> {
  await Promise.all([ctx.worker, ctx.stageWorker, ctx.webhookWorker].map((worker) => worker?.stop(options)));
}

export async function closeAppContext(ctx: AppContext, options: { graceMs?: number } = {}): Promise<void> {
  ctx.reconciler.stop();
  ctx.webhooks.events.stop();
  await ctx.janitor.stop();
  const graceMs = options.graceMs ?? 10_000;
  await stopWorkers(ctx, { graceMs });
  await ctx.queue.close?.();
  await ctx.events.close?.();
  await ctx.invalidations.close?.();
  await ctx.rateLimits.close();
  await ctx.database.close();
  await ctx.store.close?.();
}
