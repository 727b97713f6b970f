/**
 * RedisUploadLocker against a real Redis, with two locker instances standing for two API processes
 * (each its own connections): a lock is exclusive across them, a waiter asks the holder on the
 * other instance to release (tus's requestRelease) and gets the lock once it is released, a holder
 * whose process died (its connection gone, so no renewals) loses the lock when its lease ends, only
 * the owner's token can release it, and waiting is bounded by the stop signal and the timeout.
 * Every wait is on a promise or a condition, never on a fixed sleep.
 */
import { Redis } from 'ioredis';
import { ERRORS, type Lock } from '@tus/server';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisUploadLocker, type RedisUploadLockerOptions, UploadLockNotHeldError } from '../../src/api/redis-upload-locker.js';
import { deleteRedisPrefix, redisTestUrl, uniqueRedisPrefix } from '../helpers/redis.js';

const redisUrl = await redisTestUrl();

/** A promise with its resolve function: what a callback signals, awaited by the test. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Tracks whether a promise has settled, to assert "still waiting" at a known moment. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

const never = () => new AbortController().signal;

describe.skipIf(!redisUrl)('RedisUploadLocker (two processes on one Redis)', () => {
  let admin: Redis;
  let prefix: string;
  const opened: Array<{ locker: RedisUploadLocker; connection: Redis }> = [];

  beforeAll(() => {
    admin = new Redis(redisUrl!);
    return async () => {
      admin.disconnect();
    };
  });

  function openLocker(options: Partial<RedisUploadLockerOptions> = {}): { locker: RedisUploadLocker; connection: Redis } {
    const connection = new Redis(redisUrl!);
    const locker = new RedisUploadLocker({ redis: connection, keyPrefix: prefix, leaseMs: 2_000, acquireTimeoutMs: 10_000, ...options });
    const entry = { locker, connection };
    opened.push(entry);
    return entry;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map(({ locker }) => locker.close()));
    await deleteRedisPrefix(redisUrl!, prefix);
  });

  // A fresh prefix per test: nothing one test leaves can satisfy another.
  function fresh(): { a: RedisUploadLocker; b: RedisUploadLocker } {
    prefix = uniqueRedisPrefix();
    return { a: openLocker().locker, b: openLocker().locker };
  }

  it('is exclusive across instances; the waiter asks the holder on the other instance, and gets the lock once it is released', async () => {
    const { a, b } = fresh();
    const asked = signal();
    const held = a.newLock('upload-1');
    await held.lock(never(), () => asked.resolve());
    const ownerToken = await admin.get(`${prefix}:tus:lock:upload-1`);
    expect(ownerToken).toBeTruthy();

    const waiter = track(b.newLock('upload-1').lock(never(), () => {}));
    // B tried, was refused, and its request reached A's holder (over pub/sub): it must still wait.
    await asked.promise;
    expect(waiter.settled()).toBe(false);
    expect(await admin.get(`${prefix}:tus:lock:upload-1`)).toBe(ownerToken);

    await held.unlock();
    await waiter.promise;
    const newToken = await admin.get(`${prefix}:tus:lock:upload-1`);
    expect(newToken).toBeTruthy();
    expect(newToken).not.toBe(ownerToken);
  });

  it('lets a holder that honours requestRelease (as tus does) hand over to the newer request', async () => {
    const { a, b } = fresh();
    const stale = a.newLock('upload-2');
    let unlocking: Promise<void> | undefined;
    await stale.lock(never(), () => {
      // tus: cancel the stale request, which unlocks when it has wound down.
      unlocking = stale.unlock();
    });
    const staleToken = await admin.get(`${prefix}:tus:lock:upload-2`);
    await b.newLock('upload-2').lock(never(), () => {});
    // B holds it because A was asked and let go. (A's unlock reply and B's grant come back on two
    // connections in either order: wait for A's, never assume it came first.)
    expect(unlocking).toBeDefined();
    await unlocking;
    const newToken = await admin.get(`${prefix}:tus:lock:upload-2`);
    expect(newToken).toBeTruthy();
    expect(newToken).not.toBe(staleToken);
  });

  it('keeps other uploads independent, and a lock is free again after unlock on the same instance', async () => {
    const { a, b } = fresh();
    const one = a.newLock('upload-3');
    await one.lock(never(), () => {});
    const other = b.newLock('upload-4');
    await other.lock(never(), () => {}); // a different upload: no waiting
    await one.unlock();
    await other.unlock();
    const again = a.newLock('upload-3');
    await again.lock(never(), () => {});
    await again.unlock();
    expect(await admin.keys(`${prefix}:tus:lock:*`)).toEqual([]);
  });

  it('a dead holder (connection gone, no renewals) loses the lock when its lease ends, and the waiter gets it', async () => {
    prefix = uniqueRedisPrefix();
    const dead = openLocker({ leaseMs: 1_500 });
    const alive = openLocker({ leaseMs: 1_500 }).locker;
    const lost = signal();
    await dead.locker.newLock('upload-5').lock(never(), () => lost.resolve());
    const key = `${prefix}:tus:lock:upload-5`;
    // The process "dies": its Redis connection goes and nothing renews the lease any more.
    dead.connection.disconnect();
    const remainingMs = await admin.pttl(key);
    expect(remainingMs).toBeGreaterThan(0); // still held: the waiter really has to wait for expiry

    const started = Date.now();
    const takeover = alive.newLock('upload-5');
    await takeover.lock(never(), () => {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(remainingMs - 100);
    expect(await admin.pttl(key)).toBeGreaterThan(0); // the new holder's lease, renewed while held
    // The dead instance noticed its lease could not be renewed and asked its own request to stop.
    await lost.promise;
    await takeover.unlock();
  });

  it('renews the lease while held: a lock held for several lease periods is not taken', async () => {
    prefix = uniqueRedisPrefix();
    const holder = openLocker({ leaseMs: 600 }).locker.newLock('upload-6');
    await holder.lock(never(), () => {});
    const started = Date.now();
    // The waiter gives up after more than three lease periods: without renewals it would have won.
    const waiter = openLocker({ leaseMs: 600, acquireTimeoutMs: 2_000 }).locker.newLock('upload-6');
    await expect(waiter.lock(never(), () => {})).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    await holder.unlock();
  });

  it('only the owner releases: another instance cannot unlock, and an owner whose lease was taken over cannot delete the successor', async () => {
    const { a, b } = fresh();
    const key = `${prefix}:tus:lock:upload-7`;
    const owner = a.newLock('upload-7');
    await owner.lock(never(), () => {});
    const ownerToken = await admin.get(key);

    const intruder: Lock = b.newLock('upload-7');
    await expect(intruder.unlock()).rejects.toBeInstanceOf(UploadLockNotHeldError);
    expect(await admin.get(key)).toBe(ownerToken);

    // The owner's lease "expired" and another process took the upload: its token is in the key now.
    await admin.set(key, 'successor-token', 'PX', 60_000);
    await expect(owner.unlock()).rejects.toBeInstanceOf(UploadLockNotHeldError);
    expect(await admin.get(key)).toBe('successor-token');
  });

  it('stops waiting when the request stops, and after acquireTimeoutMs, with ERR_LOCK_TIMEOUT', async () => {
    const { a, b } = fresh();
    const holder = a.newLock('upload-8');
    const asked = signal();
    await holder.lock(never(), () => asked.resolve());

    const stop = new AbortController();
    const stopped = b.newLock('upload-8').lock(stop.signal, () => {});
    await asked.promise; // B is waiting
    stop.abort();
    await expect(stopped).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);

    const impatient = openLocker({ acquireTimeoutMs: 300 }).locker;
    await expect(impatient.newLock('upload-8').lock(never(), () => {})).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
    // Neither waiter took anything: the holder still releases its own lock.
    await holder.unlock();
    expect(await admin.exists(`${prefix}:tus:lock:upload-8`)).toBe(0);
  });

  it('unlocking a lock that was never acquired is an error, as with MemoryLocker', async () => {
    const { a } = fresh();
    await expect(a.newLock('upload-9').unlock()).rejects.toBeInstanceOf(UploadLockNotHeldError);
  });
});
