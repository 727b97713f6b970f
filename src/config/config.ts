/**
 * Every StreamForge setting, in one zod schema with its default and its environment variable.
 * Sources, later wins: built-in defaults < JSON file named by STREAMFORGE_CONFIG < environment.
 * A bad setting stops start-up with a ConfigError naming the setting (see docs/configuration.md).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import proxyAddr from '@fastify/proxy-addr';
import { z } from 'zod';
import { ACCEL_URI_PREFIX } from '../delivery/accel-redirect.js';
import { EXTRA_VIDEO_CODECS } from '../pipeline/ladder-types.js';
import { parseStorageUrl, StorageUrlError } from '../storage/storage-url.js';

const bytes = z.coerce.number().int().positive();
const ms = z.coerce.number().int().positive();
const MiB = 1024 ** 2;
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const flag = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');
/** `av1,vp9` (env) or ["av1","vp9"] (file); '' or 'none' for none. */
const codecList = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'none'))
  .pipe(z.array(z.enum(EXTRA_VIDEO_CODECS)));

export const configSchema = z.object({
  /** TCP port of the HTTP server. */
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Bind address. */
  host: z.string().min(1).default('0.0.0.0'),
  /** Root of everything on local disk: database, blobs, uploads, scratch. */
  dataDir: z.string().min(1).default('./data'),
  /** `sqlite:` (default: <dataDir>/streamforge.db) or `postgres://…`. */
  databaseUrl: z
    .string()
    .regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must start with sqlite: or postgres://')
    .optional(),
  /** Where blobs live: `file:` (<dataDir>/blobs), `file:PATH`, or `s3://bucket[/prefix]` (src/storage/storage-url.ts). */
  storageUrl: z
    .string()
    .default('file:')
    .superRefine((url, ctx) => {
      try {
        parseStorageUrl(url);
      } catch (err) {
        if (!(err instanceof StorageUrlError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message });
      }
    }),
  /** S3 API endpoint, for S3-compatible servers (MinIO, Ceph, R2…); default: AWS for the region. */
  s3Endpoint: httpUrl.optional(),
  /** Endpoint in the presigned URLs browsers follow in redirect delivery; default s3Endpoint. */
  s3PublicEndpoint: httpUrl.optional(),
  /** Default: the SDK's chain (AWS_REGION, ~/.aws/config), or us-east-1 with a custom endpoint. */
  s3Region: z.string().min(1).optional(),
  /** Static credentials; both or neither. Without them the SDK's default chain is used (AWS_* variables, profiles, instance roles). */
  s3AccessKeyId: z.string().min(1).optional(),
  s3SecretAccessKey: z.string().min(1).optional(),
  /** Path-style URLs (`endpoint/bucket/key`); default: on with a custom endpoint, off for AWS. */
  s3ForcePathStyle: flag.optional(),
  /** Multipart part size; objects up to it go up in one PUT. S3 allows 5 MiB to 5 GiB. */
  s3PartSizeBytes: z.coerce.number().int().min(5 * MiB).max(5 * 1024 * MiB).default(16 * MiB),
  /** How /stream/ serves media from S3: `proxy` (through this process) or `redirect` (302 to a presigned URL). */
  s3Delivery: z.enum(['proxy', 'redirect']).default('proxy'),
  /** Lifetime of the presigned URLs of redirect delivery. */
  s3PresignExpiresSeconds: z.coerce.number().int().min(60).max(7 * 24 * 60 * 60).default(3600),
  /**
   * Behind the shipped nginx (deploy/nginx/streamforge-edge.conf), with local storage: the URI prefix
   * of nginx's `internal` location over the blob directory, e.g. `/_streamforge_blobs/`. An authorised
   * request for a private video's file is then answered with `X-Accel-Redirect: <prefix><blob key>`
   * and nginx sends the bytes (src/delivery/accel-redirect.ts). Unset: this process sends them.
   */
  accelRedirectPrefix: z
    .string()
    .regex(ACCEL_URI_PREFIX, 'a path like /_streamforge_blobs/: segments of A-Z a-z 0-9 . _ -, starting and ending with "/"')
    .refine((p) => !['/stream/', '/api/', '/assets/'].some((owned) => p.startsWith(owned)), 'must not be under /stream/, /api/ or /assets/ (nginx would send the redirect back to StreamForge)')
    .optional(),
  /** Largest accepted upload, in bytes (default 10 GiB). */
  maxUploadBytes: bytes.default(10 * 1024 ** 3),
  /**
   * Free disk space (under dataDir) an upload must leave behind, in bytes; uploads that would eat
   * into it are refused with 507 before any byte is stored. 0 keeps no reserve.
   */
  minFreeBytes: z.coerce.number().int().min(0).default(1024 ** 3),
  /**
   * Where partial resumable (tus) uploads live (default <dataDir>/uploads). With several API
   * processes behind one address this must be a volume they all mount (docs/scale-out.md).
   */
  uploadsDir: z.string().min(1).optional(),
  /** A resumable (tus) upload not finished this long after its creation is refused (410) and swept. */
  uploadExpiryMs: ms.default(24 * 60 * 60 * 1000),
  /** How often the janitor sweeps (src/maintenance/janitor.ts, docs/configuration.md "Storage lifecycle"); 0: never. */
  janitorIntervalMs: z.coerce.number().int().min(0).default(60 * 60 * 1000),
  /** The janitor removes only garbage older than this: longer than any upload takes between storing a blob and its row. */
  janitorGraceMs: ms.default(6 * 60 * 60 * 1000),
  /** Completed and failed jobs are kept this long in the SQL queue (BullMQ keeps them 14 days). */
  jobRetentionDays: z.coerce.number().int().min(1).max(3650).default(14),
  /** Target length of every media segment, in seconds. */
  segmentSeconds: z.coerce.number().min(1).max(20).default(4),
  /** Highest frame rate of any rung (see docs/ladder.md for the rule). */
  maxFps: z.coerce.number().int().min(15).max(120).default(60),
  /** x264 preset of the ladder; slower presets trade CPU for bits. */
  x264Preset: z
    .enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'])
    .default('veryfast'),
  /** Normalise every audio track's loudness (two-pass loudnorm, docs/ladder.md) … */
  loudnessNormalise: flag.default(true),
  /** … to this integrated loudness (LUFS; streaming services use about −14, EBU R128 broadcast −23) … */
  loudnessTargetLufs: z.coerce.number().min(-70).max(-5).default(-14),
  /** … with true peaks at most this (dBTP) … */
  loudnessTruePeakDbtp: z.coerce.number().min(-9).max(0).default(-1),
  /** … and this loudness range target (LU): a track whose range is wider is compressed to it. */
  loudnessRangeLu: z.coerce.number().min(1).max(50).default(11),
  /** Extra codec ladders for every video, beside H.264 (off by default; per video: upload field `extraCodecs`). */
  extraCodecs: codecList.default([]),
  /** SVT-AV1 preset of the AV1 ladder: 0 (slowest, best) … 13 (fastest). */
  av1Preset: z.coerce.number().int().min(0).max(13).default(10),
  /** libvpx-vp9 cpu-used of the VP9 ladder: 6 … 8 use the realtime deadline (cheap); 0 (slowest, best) … 5 the good-quality one. */
  vp9Speed: z.coerce.number().int().min(0).max(8).default(6),
  /** H.264 encoder: libx264 (`none`), or a hardware one tried at start-up with fallback to libx264. */
  hwEncoder: z.enum(['none', 'auto', 'nvenc', 'qsv', 'vaapi']).default('none'),
  /** Jobs one worker runs at once. */
  workerConcurrency: z.coerce.number().int().min(0).max(64).default(1),
  /** Enrichment stage jobs (thumbnails, previews, quality…) run at once, beside the ladder jobs. */
  stageConcurrency: z.coerce.number().int().min(0).max(64).default(1),
  /** Run the job worker inside `serve` (embedded mode). `role: api` overrides it. */
  embeddedWorker: flag.default(true),
  /**
   * What `serve` runs (docs/scale-out.md): `all` (HTTP + workers, the single-process default), `api`
   * (HTTP only: uploads, API, origin, SSE) or `worker` (jobs only, no HTTP). Any number of each.
   */
  role: z.enum(['all', 'api', 'worker']).default('all'),
  /**
   * Redis (`redis://[user:password@]host:port[/db]` or `rediss://…`). When set, jobs go through
   * BullMQ on it and video events and cache invalidations cross processes through its pub/sub.
   */
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Prefix of every Redis key and channel, so several StreamForge installs can share one Redis. */
  redisPrefix: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (≤ 64)').default('streamforge'),
  /**
   * Videos at least this long (seconds) are split into chunks encoded as separate jobs, on any
   * worker, then stitched (docs/chunked-encoding.md). 0: never. Default: 300 with REDIS_URL (many
   * workers), 0 without (one process gains nothing from splitting).
   */
  chunkedMinDurationSec: z.coerce.number().min(0).max(24 * 60 * 60).optional(),
  /** Target length of one chunk (rounded to whole segments). */
  chunkSeconds: z.coerce.number().min(8).max(3600).default(120),
  /** How long a leased job stays owned without a heartbeat before another worker may take it. */
  jobLeaseMs: ms.default(30_000),
  /** Attempts before a job that keeps failing for transient reasons is failed for good. */
  jobMaxAttempts: z.coerce.number().int().min(1).max(50).default(5),
  /** First retry delay; doubles on every further attempt. */
  jobBackoffMs: ms.default(5_000),
  /**
   * After SIGTERM: how long in-flight requests (uploads) and running jobs may take to finish before
   * connections are cut and jobs are handed back to the queue (docs/faults.md).
   */
  shutdownGraceMs: ms.default(10_000),
  /** Wall-clock cap of one ffmpeg run; it is then SIGKILLed. */
  ffmpegTimeoutMs: ms.default(6 * 60 * 60 * 1000),
  /** Grace between SIGTERM and SIGKILL when stopping ffmpeg. */
  ffmpegKillGraceMs: ms.default(3_000),
  ffmpegPath: z.string().min(1).default('ffmpeg'),
  ffprobePath: z.string().min(1).default('ffprobe'),
  /**
   * Memory one ffmpeg process on an upload may reserve (RLIMIT_DATA, bytes; 0: no limit). Default: 4 GiB
   * + 2 GiB per CPU core, because reserved memory grows with ffmpeg's threads (docs/hostile-input.md).
   */
  ffmpegMaxMemoryBytes: z.coerce.number().int().min(0).optional(),
  /** The same for ffprobe, the first program to read an upload (it decodes a few frames, one thread). */
  ffprobeMaxMemoryBytes: z.coerce.number().int().min(0).default(2 * 1024 ** 3),
  /** CPU time one ffmpeg/ffprobe process may use (RLIMIT_CPU, seconds over all threads; 0: no limit). */
  ffmpegMaxCpuSeconds: z.coerce.number().int().min(0).default(24 * 60 * 60),
  /** Uploads beyond these are refused at probe time, before any transcode (docs/hostile-input.md). */
  mediaMaxWidth: z.coerce.number().int().min(16).default(8192),
  mediaMaxHeight: z.coerce.number().int().min(16).default(8192),
  /** Coded width × height of one frame (default 8192 × 4320, DCI 8K). */
  mediaMaxPixels: z.coerce.number().int().min(256).default(8192 * 4320),
  mediaMaxDurationSec: z.coerce.number().positive().default(12 * 60 * 60),
  /** Highest average frame rate of an upload (the ladder's own cap is maxFps). */
  mediaMaxFps: z.coerce.number().positive().default(240),
  /** Estimated bytes of every rendition of one video together. */
  mediaMaxOutputBytes: bytes.default(128 * 1024 ** 3),
  /** Estimated renditions ÷ upload size, checked once the estimate passes 256 MiB. */
  mediaMaxAmplification: z.coerce.number().min(1).default(100),
  /** Memory budget of the hot-segment cache of the origin. */
  segmentCacheBytes: bytes.default(256 * 1024 ** 2),
  /** Largest single file the origin keeps in its cache. */
  segmentCacheMaxFileBytes: bytes.default(16 * 1024 ** 2),
  /** Value of Access-Control-Allow-Origin on stream responses. */
  corsOrigin: z.string().min(1).default('*'),
  /**
   * An admin API key for automation (`Authorization: Bearer KEY`, also on /stream/), acting as the
   * first admin; unset: only keys made through the API (docs/security.md).
   */
  apiKey: z.string().min(16, 'at least 16 characters').optional(),
  /** Username of the admin account created on first run when there is none. */
  adminUsername: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, '3 to 64 of A-Z a-z 0-9 . _ -').default('admin'),
  /** Its password; unset: one is generated and logged once, at creation. */
  adminPassword: z.string().min(8, 'at least 8 characters').max(256).optional(),
  /** Root secret of session-less tokens (access and playback JWTs); unset: generated once and kept in the database. */
  authSecret: z.string().min(32, 'at least 32 characters').optional(),
  /** Lifetime of a web sign-in (session cookie). */
  sessionTtlMs: ms.default(30 * 24 * 60 * 60 * 1000),
  /** Lifetime of an API access token (POST /api/auth/token). */
  accessTokenTtlSec: z.coerce.number().int().min(60).max(7 * 24 * 60 * 60).default(3600),
  /** Password attempts (sign-in, access tokens) one client IP may make per minute, per API process; then 429. */
  authAttemptsPerMinute: z.coerce.number().int().min(1).max(100_000).default(30),
  /**
   * Requests per `rateLimitWindowMs` (docs/security.md "Rate limits"), per API key or user when
   * authenticated, else per client IP; 0: no limit. `api`: every /api request but upload creation and
   * tus PATCHes; `upload`: upload creations (multipart POST /api/videos, tus POST /api/uploads);
   * `playback`: /stream/ per client IP, per API process (many viewers may share one NAT address).
   */
  rateLimitApi: z.coerce.number().int().min(0).default(600),
  rateLimitUpload: z.coerce.number().int().min(0).default(30),
  rateLimitPlayback: z.coerce.number().int().min(0).default(1200),
  /** The window of the limits above: a full bucket refills over it, one request every window ÷ limit. */
  rateLimitWindowMs: ms.default(60_000),
  /** Who the limits skip: `admins` (every admin, the STREAMFORGE_API_KEY automation key included), `bootstrap-key` (that key only) or `none`. */
  rateLimitExempt: z.enum(['admins', 'bootstrap-key', 'none']).default('admins'),
  /**
   * Which peers may say who the client is (X-Forwarded-For/-Proto/-Host), as Fastify's trustProxy:
   * `false` (none: the client is the TCP peer), `true` (any: only when nothing else can reach the
   * port), or a comma list of addresses, CIDRs and `loopback`, `linklocal`, `uniquelocal`.
   */
  trustProxy: z
    .union([z.boolean(), z.string()])
    .default(false)
    .transform((v): boolean | string[] => {
      if (typeof v === 'boolean' || v === 'true' || v === 'false') return v === true || v === 'true';
      return v.split(',').map((a) => a.trim()).filter((a) => a !== '');
    })
    .superRefine((v, ctx) => {
      if (typeof v === 'boolean') return;
      try {
        proxyAddr.compile(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `true, false, or addresses/CIDRs/loopback,linklocal,uniquelocal: ${(err as Error).message}` });
      }
    }),
  /**
   * Origins whose pages may call /api from the browser (CORS): a comma list of exact origins
   * (`https://app.example.com`), which may send credentials, or `*` (anyone, no credentials).
   * Empty (default): none, same-origin only. /stream/ has its own STREAMFORGE_CORS_ORIGIN.
   */
  apiCorsOrigins: z
    .union([z.array(z.string()), z.string()])
    .default([])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((o) => o.trim().replace(/\/+$/, '')).filter((o) => o !== ''))
    .pipe(z.array(z.string().regex(/^(\*|https?:\/\/[^\s/,]+)$/, '`*` or origins like https://app.example.com'))),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Bearer token a Prometheus scrape of /metrics must send; unset: /metrics is open (docs/operations.md). */
  metricsToken: z.string().min(16, 'at least 16 characters').optional(),
  /** Serve the OpenAPI document and its interactive viewer at /docs. */
  apiDocs: flag.default(true),
  /** Quality report (docs/quality.md): a score below this trips the gate … */
  qualityMinScore: z.coerce.number().min(0).max(100).default(50),
  /** … which records it (`flag`) or fails the quality stage with the reason (`fail`); the video stays ready. */
  qualityGateAction: z.enum(['flag', 'fail']).default('flag'),
  /** A webhook endpoint that gets every event (docs/webhooks.md), beside those added through the API … */
  webhookUrl: httpUrl.optional(),
  /** … and its signing secret (required with the URL). */
  webhookSecret: z.string().min(16, 'at least 16 characters').optional(),
  /** Let webhooks reach loopback, private and link-local addresses (off: such targets are refused, against SSRF). */
  webhookAllowPrivate: flag.default(false),
  /** Attempts of one webhook delivery before it is `failed`. */
  webhookMaxAttempts: z.coerce.number().int().min(1).max(50).default(10),
  /** Delay before a webhook's first retry; doubles on every further attempt … */
  webhookBackoffMs: ms.default(30_000),
  /** … up to this. */
  webhookMaxBackoffMs: ms.default(60 * 60 * 1000),
  /** Time one delivery attempt may take (connect, send, answer). */
  webhookTimeoutMs: ms.default(10_000),
  /** Webhook deliveries one worker process sends at once; 0 sends none there. */
  webhookConcurrency: z.coerce.number().int().min(0).max(64).default(4),
  /** Webhook events and their delivery records are deleted after this many days. */
  webhookRetentionDays: z.coerce.number().int().min(1).max(3650).default(30),
}).superRefine((config, ctx) => {
  if (config.webhookUrl !== undefined && config.webhookSecret === undefined) {
    ctx.addIssue({ code: 'custom', path: ['webhookSecret'], message: 'STREAMFORGE_WEBHOOK_URL needs a secret to sign with' });
  }
  if ((config.s3AccessKeyId === undefined) !== (config.s3SecretAccessKey === undefined)) {
    const missing = config.s3AccessKeyId === undefined ? 's3AccessKeyId' : 's3SecretAccessKey';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'set both S3 credentials or neither (then the AWS SDK finds them)' });
  }
  if (config.s3Delivery === 'redirect' && !config.storageUrl.startsWith('s3://')) {
    ctx.addIssue({ code: 'custom', path: ['s3Delivery'], message: 'redirect delivery needs S3 storage (STORAGE_URL=s3://…)' });
  }
  if (config.accelRedirectPrefix !== undefined && !config.storageUrl.startsWith('file:')) {
    ctx.addIssue({
      code: 'custom',
      path: ['accelRedirectPrefix'],
      message: 'X-Accel-Redirect delivery needs local storage (STORAGE_URL=file:…) that nginx can read; with S3 use STREAMFORGE_S3_DELIVERY=redirect',
    });
  }
});

export type Config = z.output<typeof configSchema> & {
  databaseUrl: string;
  uploadsDir: string;
  chunkedMinDurationSec: number;
  ffmpegMaxMemoryBytes: number;
};

/** Environment variable of every setting. */
export const envNames: Record<keyof z.input<typeof configSchema>, string> = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'STREAMFORGE_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  storageUrl: 'STORAGE_URL',
  s3Endpoint: 'STREAMFORGE_S3_ENDPOINT',
  s3PublicEndpoint: 'STREAMFORGE_S3_PUBLIC_ENDPOINT',
  s3Region: 'STREAMFORGE_S3_REGION',
  s3AccessKeyId: 'STREAMFORGE_S3_ACCESS_KEY_ID',
  s3SecretAccessKey: 'STREAMFORGE_S3_SECRET_ACCESS_KEY',
  s3ForcePathStyle: 'STREAMFORGE_S3_FORCE_PATH_STYLE',
  s3PartSizeBytes: 'STREAMFORGE_S3_PART_SIZE_BYTES',
  s3Delivery: 'STREAMFORGE_S3_DELIVERY',
  s3PresignExpiresSeconds: 'STREAMFORGE_S3_PRESIGN_EXPIRES_SECONDS',
  accelRedirectPrefix: 'STREAMFORGE_ACCEL_REDIRECT_PREFIX',
  maxUploadBytes: 'STREAMFORGE_MAX_UPLOAD_BYTES',
  minFreeBytes: 'STREAMFORGE_MIN_FREE_BYTES',
  uploadsDir: 'STREAMFORGE_UPLOADS_DIR',
  uploadExpiryMs: 'STREAMFORGE_UPLOAD_EXPIRY_MS',
  janitorIntervalMs: 'STREAMFORGE_JANITOR_INTERVAL_MS',
  janitorGraceMs: 'STREAMFORGE_JANITOR_GRACE_MS',
  jobRetentionDays: 'STREAMFORGE_JOB_RETENTION_DAYS',
  segmentSeconds: 'STREAMFORGE_SEGMENT_SECONDS',
  maxFps: 'STREAMFORGE_MAX_FPS',
  x264Preset: 'STREAMFORGE_X264_PRESET',
  loudnessNormalise: 'STREAMFORGE_LOUDNESS_NORMALISE',
  loudnessTargetLufs: 'STREAMFORGE_LOUDNESS_TARGET_LUFS',
  loudnessTruePeakDbtp: 'STREAMFORGE_LOUDNESS_TRUE_PEAK_DBTP',
  loudnessRangeLu: 'STREAMFORGE_LOUDNESS_RANGE_LU',
  extraCodecs: 'STREAMFORGE_EXTRA_CODECS',
  av1Preset: 'STREAMFORGE_AV1_PRESET',
  vp9Speed: 'STREAMFORGE_VP9_SPEED',
  hwEncoder: 'STREAMFORGE_HW_ENCODER',
  workerConcurrency: 'STREAMFORGE_WORKER_CONCURRENCY',
  stageConcurrency: 'STREAMFORGE_STAGE_CONCURRENCY',
  embeddedWorker: 'STREAMFORGE_EMBEDDED_WORKER',
  role: 'STREAMFORGE_ROLE',
  redisUrl: 'REDIS_URL',
  redisPrefix: 'STREAMFORGE_REDIS_PREFIX',
  chunkedMinDurationSec: 'STREAMFORGE_CHUNKED_MIN_DURATION_SEC',
  chunkSeconds: 'STREAMFORGE_CHUNK_SECONDS',
  jobLeaseMs: 'STREAMFORGE_JOB_LEASE_MS',
  jobMaxAttempts: 'STREAMFORGE_JOB_MAX_ATTEMPTS',
  jobBackoffMs: 'STREAMFORGE_JOB_BACKOFF_MS',
  shutdownGraceMs: 'STREAMFORGE_SHUTDOWN_GRACE_MS',
  ffmpegTimeoutMs: 'STREAMFORGE_FFMPEG_TIMEOUT_MS',
  ffmpegKillGraceMs: 'STREAMFORGE_FFMPEG_KILL_GRACE_MS',
  ffmpegPath: 'FFMPEG_PATH',
  ffprobePath: 'FFPROBE_PATH',
  ffmpegMaxMemoryBytes: 'STREAMFORGE_FFMPEG_MAX_MEMORY_BYTES',
  ffprobeMaxMemoryBytes: 'STREAMFORGE_FFPROBE_MAX_MEMORY_BYTES',
  ffmpegMaxCpuSeconds: 'STREAMFORGE_FFMPEG_MAX_CPU_SECONDS',
  mediaMaxWidth: 'STREAMFORGE_MEDIA_MAX_WIDTH',
  mediaMaxHeight: 'STREAMFORGE_MEDIA_MAX_HEIGHT',
  mediaMaxPixels: 'STREAMFORGE_MEDIA_MAX_PIXELS',
  mediaMaxDurationSec: 'STREAMFORGE_MEDIA_MAX_DURATION_SEC',
  mediaMaxFps: 'STREAMFORGE_MEDIA_MAX_FPS',
  mediaMaxOutputBytes: 'STREAMFORGE_MEDIA_MAX_OUTPUT_BYTES',
  mediaMaxAmplification: 'STREAMFORGE_MEDIA_MAX_AMPLIFICATION',
  segmentCacheBytes: 'STREAMFORGE_SEGMENT_CACHE_BYTES',
  segmentCacheMaxFileBytes: 'STREAMFORGE_SEGMENT_CACHE_MAX_FILE_BYTES',
  corsOrigin: 'STREAMFORGE_CORS_ORIGIN',
  apiKey: 'STREAMFORGE_API_KEY',
  adminUsername: 'STREAMFORGE_ADMIN_USERNAME',
  adminPassword: 'STREAMFORGE_ADMIN_PASSWORD',
  authSecret: 'STREAMFORGE_AUTH_SECRET',
  sessionTtlMs: 'STREAMFORGE_SESSION_TTL_MS',
  accessTokenTtlSec: 'STREAMFORGE_ACCESS_TOKEN_TTL_SEC',
  authAttemptsPerMinute: 'STREAMFORGE_AUTH_ATTEMPTS_PER_MINUTE',
  rateLimitApi: 'STREAMFORGE_RATE_LIMIT_API',
  rateLimitUpload: 'STREAMFORGE_RATE_LIMIT_UPLOAD',
  rateLimitPlayback: 'STREAMFORGE_RATE_LIMIT_PLAYBACK',
  rateLimitWindowMs: 'STREAMFORGE_RATE_LIMIT_WINDOW_MS',
  rateLimitExempt: 'STREAMFORGE_RATE_LIMIT_EXEMPT',
  trustProxy: 'STREAMFORGE_TRUST_PROXY',
  apiCorsOrigins: 'STREAMFORGE_API_CORS_ORIGINS',
  logLevel: 'LOG_LEVEL',
  metricsToken: 'STREAMFORGE_METRICS_TOKEN',
  apiDocs: 'STREAMFORGE_API_DOCS',
  qualityMinScore: 'STREAMFORGE_QUALITY_MIN_SCORE',
  qualityGateAction: 'STREAMFORGE_QUALITY_GATE_ACTION',
  webhookUrl: 'STREAMFORGE_WEBHOOK_URL',
  webhookSecret: 'STREAMFORGE_WEBHOOK_SECRET',
  webhookAllowPrivate: 'STREAMFORGE_WEBHOOK_ALLOW_PRIVATE',
  webhookMaxAttempts: 'STREAMFORGE_WEBHOOK_MAX_ATTEMPTS',
  webhookBackoffMs: 'STREAMFORGE_WEBHOOK_BACKOFF_MS',
  webhookMaxBackoffMs: 'STREAMFORGE_WEBHOOK_MAX_BACKOFF_MS',
  webhookTimeoutMs: 'STREAMFORGE_WEBHOOK_TIMEOUT_MS',
  webhookConcurrency: 'STREAMFORGE_WEBHOOK_CONCURRENCY',
  webhookRetentionDays: 'STREAMFORGE_WEBHOOK_RETENTION_DAYS',
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Explicit values (CLI flags, tests); they win over env and file. */
  overrides?: Partial<z.input<typeof configSchema>>;
}

export function loadConfig({ env = process.env, overrides = {} }: LoadConfigOptions = {}): Config {
  let fileValues: Record<string, unknown> = {};
  const file = env.STREAMFORGE_CONFIG;
  if (file) {
    try {
      fileValues = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`STREAMFORGE_CONFIG (${file}): ${(err as Error).message}`);
    }
    if (typeof fileValues !== 'object' || fileValues === null || Array.isArray(fileValues)) {
      throw new ConfigError(`STREAMFORGE_CONFIG (${file}): must hold a JSON object`);
    }
  }
  const fromEnv: Record<string, string> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const parsed = configSchema.strict().safeParse({ ...fileValues, ...fromEnv, ...overrides });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const name = key in envNames ? `${envNames[key as keyof typeof envNames]} (${key})` : key;
      return `${name || 'config'}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration — ${problems.join('; ')}`);
  }
  const dataDir = path.resolve(parsed.data.dataDir);
  return {
    ...parsed.data,
    dataDir,
    databaseUrl: parsed.data.databaseUrl ?? `sqlite:${path.join(dataDir, 'streamforge.db')}`,
    uploadsDir: path.resolve(parsed.data.uploadsDir ?? path.join(dataDir, 'uploads')),
    chunkedMinDurationSec: parsed.data.chunkedMinDurationSec ?? (parsed.data.redisUrl ? 300 : 0),
    ffmpegMaxMemoryBytes: parsed.data.ffmpegMaxMemoryBytes ?? (4 + 2 * availableParallelism()) * 1024 ** 3,
  };
}
