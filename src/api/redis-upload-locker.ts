/**
 * A tus `Locker` shared by every API process (#5): with several processes behind one address, the
 * PATCHes of one upload can reach different processes, and a client resuming after a dropped
 * connection can reach another process while the first still writes. @tus/server's MemoryLocker
 * only sees its own process; this one keeps the lock in Redis, with MemoryLocker's semantics:
 *
 * - Exclusive per upload id: `SET <prefix>:tus:lock:<id> <token> NX PX <lease>`, the token random
 *   per acquisition. Release and renewal compare the token first (Lua), so only the owner can
 *   unlock, and a holder that lost its lease cannot delete its successor's.
 * - A waiter asks the current holder to let go: it publishes `{ id, token }` on
 *   `<prefix>:tus:lock-requests`; the process holding that token calls the holder's `requestRelease`
 *   (tus then cuts the stale request after `lockDrainTimeout` and unlocks), exactly what
 *   MemoryLocker does in-process. Unlocking publishes on `<prefix>:tus:lock-released`, which wakes
 *   waiters at once; they also retry by themselves (at most every `retryIntervalMs`, or when the
 *   holder's lease runs out), so a lost message or a dead holder only delays them.
 * - A lease, not a lock forever: the holder renews it every third of `leaseMs`. A killed process
 *   stops renewing and its lock expires; a holder that cannot renew before its lease ends treats the
 *   lock as lost and asks its own request to stop.
 * - Waiting is bounded by `acquireTimeoutMs` (MemoryLocker's 30 s) and by the request's stop signal;
 *   either way tus answers ERR_LOCK_TIMEOUT.
 *
 * The design follows tus-node-server's Locker contract (packages/server/src/lockers/MemoryLocker.ts
 * and the distributed-lock discussion in tus/tus-node-server#408, #514).
 */
import { randomUUID } from 'node:crypto';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/server';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StreamForgeError } from '../errors.js';

export interface RedisUploadLockerOptions {
  /**
   * Commands connection. The locker owns it (and a duplicate it makes for pub/sub): `close()` quits
   * both.
   */
  redis: Redis;
  /** `config.redisPrefix`: every key and channel starts with it. */
  keyPrefix: string;
  /** Lease of a held lock, renewed every third of it while held (default 10 s). */
  leaseMs?: number;
  /** How long `lock()` waits before giving up with ERR_LOCK_TIMEOUT (default 30 s, as MemoryLocker). */
  acquireTimeoutMs?: number;
  /** Longest pause between two attempts of a waiter (default 500 ms); release messages wake it sooner. */
  retryIntervalMs?: number;
  logger?: Logger;
}

/** `unlock()` of a lock that this object does not hold (never acquired, already released, or lease lost). */
export class UploadLockNotHeldError extends StreamForgeError {
  override readonly code = 'upload_lock_not_held';
}

// SET NX PX, or who holds it and for how much longer.
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, ARGV[1], tonumber(ARGV[2])} end
return {0, redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1])}`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
// Compare-and-delete, then wake the waiters.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0`;

interface ReleaseRequest {
  id: string;
  token: string;
}

export class RedisUploadLocker implements Locker {
  readonly leaseMs: number;
  readonly acquireTimeoutMs: number;
  readonly retryIntervalMs: number;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly keyPrefix: string;
  private readonly logger: Logger | undefined;
  /** Upload id → the lock this process holds on it. */
  private readonly held = new Map<string, RedisUploadLock>();
  /** Upload id → waiters of this process to wake when it is released. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly subscribed: Promise<void>;
  private closed = false;

  constructor(options: RedisUploadLockerOptions) {
    this.redis = options.redis;
    this.keyPrefix = options.keyPrefix;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 30_000;
    this.retryIntervalMs = options.retryIntervalMs ?? 500;
    this.logger = options.logger;
    this.redis.on('error', (err: Error) => this.logger?.warn({ err: err.message }, 'tus locker: connection error'));
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    // Errors also surface through commands; without listeners ioredis prints every reconnect attempt.
    this.subscriber.on('error', (err: Error) => this.logger?.warn({ err: err.message }, 'tus locker: subscriber connection error'));
    this.subscribed = this.subscriber.subscribe(this.requestChannel, this.releasedChannel).then(() => undefined);
    // Not awaited by anyone until the first lock(); keep an early failure from being unhandled.
    this.subscribed.catch(() => {});
  }

  newLock(id: string): Lock {
    return new RedisUploadLock({ id, locker: this });
  }

  /** Releases what this process still holds (best effort) and quits both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.held.values()].map((lock) => lock.unlock()));
    await Promise.allSettled([this.subscriber.quit(), this.redis.quit()]);
  }

  // --- used by RedisUploadLock ---------------------------------------------------------------

  get requestChannel(): string {
    return `${this.keyPrefix}:tus:lock-requests`;
  }

  get releasedChannel(): string {
    return `${this.keyPrefix}:tus:lock-released`;
  }

  keyOf(id: string): string {
    return `${this.keyPrefix}:tus:lock:${id}`;
  }

  ready(): Promise<void> {
    return this.subscribed;
  }

  async tryAcquire(id: string, token: string): Promise<{ acquired: boolean; holder: string; ttlMs: number }> {
    const [acquired, holder, ttlMs] = (await this.redis.eval(ACQUIRE, 1, this.keyOf(id), token, this.leaseMs)) as [number, string, number];
    return { acquired: acquired === 1, holder, ttlMs };
  }

  async renew(id: string, token: string): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.keyOf(id), token, this.leaseMs)) === 1;
  }

  async release(id: string, token: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.keyOf(id), token, this.releasedChannel, id)) === 1;
  }

  async askToRelease(request: ReleaseRequest): Promise<void> {
    await this.redis.publish(this.requestChannel, JSON.stringify(request));
  }

  registerHeld(lock: RedisUploadLock): void {
    this.held.set(lock.id, lock);
  }

  forgetHeld(lock: RedisUploadLock): void {
    if (this.held.get(lock.id) === lock) this.held.delete(lock.id);
  }

  /** Calls `wake` when a release of `id` is announced; returns the unsubscribe function. */
  onReleased(id: string, wake: () => void): () => void {
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
    };
  }

  warn(details: Record<string, unknown>, message: string): void {
    this.logger?.warn(details, message);
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.releasedChannel) {
      for (const wake of this.waiters.get(message) ?? []) wake();
      return;
    }
    if (channel !== this.requestChannel) return;
    let request: ReleaseRequest;
    try {
      request = JSON.parse(message) as ReleaseRequest;
    } catch {
      return;
    }
    const lock = this.held.get(request.id);
    // Only the holder named: a request meant for an earlier holder must not cut its successor.
    if (lock && lock.token === request.token) lock.requestRelease();
  }
}

interface RedisUploadLockOptions {
  id: string;
  locker: RedisUploadLocker;
}

class RedisUploadLock implements Lock {
  readonly id: string;
  /** Random per acquisition: who owns the key in Redis. */
  readonly token = randomUUID();
  private readonly locker: RedisUploadLocker;
  private releaseCallback: RequestRelease | null = null;
  private renewal: NodeJS.Timeout | null = null;
  private held = false;

  constructor(options: RedisUploadLockOptions) {
    this.id = options.id;
    this.locker = options.locker;
  }

  async lock(stopSignal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const { locker } = this;
    await locker.ready();
    const deadline = Date.now() + locker.acquireTimeoutMs;
    for (;;) {
      if (stopSignal.aborted || Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
      // Listen before trying, so a release between the attempt and the wait is not missed.
      let wake!: () => void;
      const released = new Promise<void>((resolve) => (wake = resolve));
      const stopListening = locker.onReleased(this.id, wake);
      try {
        const attempt = await locker.tryAcquire(this.id, this.token);
        if (attempt.acquired) {
          this.hold(requestRelease);
          return;
        }
        // Ask again on every attempt, as MemoryLocker does: the holder may have changed meanwhile.
        if (attempt.holder) await locker.askToRelease({ id: this.id, token: attempt.holder });
        // A holder's expiry announces nothing: retry no later than its lease ends.
        const pauseMs = Math.max(1, Math.min(locker.retryIntervalMs, attempt.ttlMs > 0 ? attempt.ttlMs : 1, deadline - Date.now()));
        await waitFor({ released, pauseMs, stopSignal });
      } finally {
        stopListening();
      }
    }
  }

  async unlock(): Promise<void> {
    if (!this.held) throw new UploadLockNotHeldError(`upload ${this.id}: releasing a lock this request does not hold`);
    this.held = false;
    this.stopRenewal();
    this.locker.forgetHeld(this);
    this.releaseCallback = null;
    if (!(await this.locker.release(this.id, this.token))) {
      // The lease ran out (a stall longer than leaseMs) and another request may have written meanwhile.
      throw new UploadLockNotHeldError(`upload ${this.id}: the lock's lease expired before it was released`);
    }
  }

  /** Another request wants this upload: let tus wind this one down. */
  requestRelease(): void {
    const callback = this.releaseCallback;
    if (!callback) return;
    Promise.resolve()
      .then(callback)
      .catch((err: unknown) => this.locker.warn({ err, uploadId: this.id }, 'tus locker: requestRelease failed'));
  }

  private hold(requestRelease: RequestRelease): void {
    this.held = true;
    this.releaseCallback = requestRelease;
    this.locker.registerHeld(this);
    let renewedAt = Date.now();
    const everyMs = Math.max(1, Math.floor(this.locker.leaseMs / 3));
    this.renewal = setInterval(() => {
      this.locker.renew(this.id, this.token).then(
        (renewed) => {
          if (renewed) renewedAt = Date.now();
          else this.leaseLost('the lease expired and the lock is gone or taken');
        },
        (err: unknown) => {
          // Redis unreachable: keep trying while the lease may still be ours.
          if (Date.now() - renewedAt >= this.locker.leaseMs) this.leaseLost(`renewal failed: ${(err as Error).message}`);
        },
      );
    }, everyMs);
    this.renewal.unref();
  }

  private leaseLost(reason: string): void {
    if (!this.held) return;
    this.locker.warn({ uploadId: this.id, reason }, 'tus locker: lost the lock of an upload; stopping its request');
    this.stopRenewal();
    this.requestRelease();
  }

  private stopRenewal(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = null;
  }
}

/** Resolves on a release message, after `pauseMs`, or when the request stops — whichever is first. */
function waitFor(options: { released: Promise<void>; pauseMs: number; stopSignal: AbortSignal }): Promise<void> {
  const { released, pauseMs, stopSignal } = options;
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stopSignal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, pauseMs);
    stopSignal.addEventListener('abort', done, { once: true });
    void released.then(done);
  });
}
