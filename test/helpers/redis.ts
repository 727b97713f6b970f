/**
 * Redis for tests that need the real thing (the BullMQ queue driver, the Redis event bus). Reads
 * TEST_REDIS_URL (default redis://127.0.0.1:6379). Test files run in parallel and share that Redis,
 * so each test works under its own key prefix (uniqueRedisPrefix) and deletes it afterwards
 * (deleteRedisPrefix).
 *
 * Unreachable Redis: redisTestUrl() returns null after a loud console.warn, and suites skip — except
 * under CI=true, where it throws, because a CI run that silently skips the Redis drivers proves
 * nothing. (The same rule as test/helpers/postgres.ts.)
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** A client that fails at once instead of retrying: these helpers want a quick yes or no. */
function quickClient(url: string): Redis {
  return new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** The Redis URL to test against, or null (with a warning) when Redis is unreachable. */
export async function redisTestUrl(): Promise<string | null> {
  const url = process.env.TEST_REDIS_URL ?? DEFAULT_URL;
  const client = quickClient(url);
  // A refused connection is reported by connect(); the listener only keeps it from being unhandled.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return url;
  } catch (err) {
    const reason = `Redis at ${redact(url)} is unavailable: ${(err as Error).message}`;
    if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: Redis tests must run)`, { cause: err });
    console.warn(`\n⚠️  SKIPPING Redis tests — ${reason}\n`);
    return null;
  } finally {
    client.disconnect();
  }
}

/** A key prefix no other test uses; valid as STREAMFORGE_REDIS_PREFIX. */
export function uniqueRedisPrefix(): string {
  return `sf_test_${randomBytes(6).toString('hex')}`;
}

/** Deletes every key under `prefix` (made by uniqueRedisPrefix; anything else is refused). */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  if (!/^sf_test_[0-9a-f]+$/.test(prefix)) throw new Error(`refusing to delete ${prefix}*: not a test prefix`);
  const client = quickClient(url);
  await client.connect();
  try {
    for await (const keys of client.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await client.unlink(...keys);
    }
  } finally {
    client.disconnect();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
