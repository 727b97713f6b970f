/**
 * The scale-out test mode. With STREAMFORGE_TEST_MODE=scale-out, every StreamForge that
 * startTestServer starts runs on the scale-out drivers instead of the embedded ones: a fresh
 * PostgreSQL database (not SQLite), BullMQ and pub/sub on Redis under a fresh key prefix (not the
 * SQL queue and the in-process bus), and a bucket on a real S3-compatible server (s3rver, not local
 * disk). vitest.config.ts runs the integration and browser suites a second time in this mode, so
 * "works on my laptop" is also proved on the cluster's drivers.
 *
 * Asking for the mode and lacking a service is an error, not a skip: the mode exists to run them.
 */
import type { Config } from '../../src/config/config.js';
import { dropPostgresTestDatabase, postgresTestUrl } from './postgres.js';
import { S3RVER_CREDENTIALS, S3RVER_REGION, startS3Server, type S3TestServer } from './s3-server.js';

export const scaleOutMode = process.env.STREAMFORGE_TEST_MODE === 'scale-out';

export interface ScaleOutResources {
  /** Config overrides selecting the scale-out drivers. */
  settings: Pick<Config, 'databaseUrl' | 'redisPrefix' | 'storageUrl'> & { redisUrl: string; s3Endpoint: string; s3Region: string; s3AccessKeyId: string; s3SecretAccessKey: string };
  /** The same as environment variables, for `streamforge` processes. */
  env: Record<string, string>;
  /** Drops the database and the Redis keys (the bucket goes with the s3rver at exit). */
  release(): Promise<void>;
}

// One s3rver per test process: it ends by itself when this process does (its stdin closes).
let s3Server: Promise<S3TestServer> | null = null;

export async function scaleOutResources(): Promise<ScaleOutResources> {
  const databaseUrl = await postgresTestUrl();
  if (!databaseUrl) throw new Error('STREAMFORGE_TEST_MODE=scale-out needs PostgreSQL (see the warning above)');
  // Loaded on demand: embedded runs never need Redis.
  const { deleteRedisPrefix, redisTestUrl, uniqueRedisPrefix } = await import('./redis.js');
  const redisUrl = await redisTestUrl();
  if (!redisUrl) throw new Error('STREAMFORGE_TEST_MODE=scale-out needs Redis (see the warning above)');
  s3Server ??= startS3Server();
  const s3 = await s3Server;
  const bucket = await s3.createBucket();
  const redisPrefix = uniqueRedisPrefix();
  const settings = {
    databaseUrl,
    redisUrl,
    redisPrefix,
    storageUrl: `s3://${bucket}/streamforge`,
    s3Endpoint: s3.endpoint,
    s3Region: S3RVER_REGION,
    s3AccessKeyId: S3RVER_CREDENTIALS.accessKeyId,
    s3SecretAccessKey: S3RVER_CREDENTIALS.secretAccessKey,
  };
  return {
    settings,
    env: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      STREAMFORGE_REDIS_PREFIX: redisPrefix,
      STORAGE_URL: settings.storageUrl,
      STREAMFORGE_S3_ENDPOINT: s3.endpoint,
      STREAMFORGE_S3_REGION: S3RVER_REGION,
      STREAMFORGE_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      STREAMFORGE_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    async release() {
      await dropPostgresTestDatabase(databaseUrl);
      await deleteRedisPrefix(redisUrl!, redisPrefix);
    },
  };
}

