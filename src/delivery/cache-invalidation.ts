/**
 * Cache invalidation between processes: whoever deletes blobs says which prefix went, and every
 * process's origin drops those keys from its memory cache (origin.ts `invalidatePrefix`). In one
 * process the bus is a list of listeners; in scale-out mode (redis-cache-invalidation-bus.ts) the
 * deleting process is often a worker and the caches sit in many API processes, so it goes through
 * Redis. Deletions reach the bus through DeletionAnnouncingBlobStore (deletion-announcing-store.ts),
 * so no module that deletes has to remember to.
 *
 * Only deletions are announced. A blob that is rewritten in place is a manifest or document, which
 * the origin re-checks on its own (cache-policy.ts); media keys carry their version and are never
 * rewritten, so announcing every put would only flood the bus.
 */

export interface CacheInvalidationBus {
  /** Blobs whose keys start with `prefix` were deleted: tells this process at once, others soon after. */
  publish(prefix: string): void;
  /**
   * `listener(prefix)` for every announced prefix; `''` means "drop everything": the bus may have
   * missed announcements (its connection was down). Returns the unsubscribe function.
   */
  subscribe(listener: (prefix: string) => void): () => void;
  /** Releases connections (drivers that hold any). */
  close?(): Promise<void>;
}

/** The pino-compatible subset the buses log through. */
export interface CacheInvalidationLogger {
  error(obj: object, msg?: string): void;
}

export class LocalCacheInvalidationBus implements CacheInvalidationBus {
  private readonly listeners = new Set<{ listener: (prefix: string) => void }>();
  private readonly logger: CacheInvalidationLogger | undefined;

  constructor(options: { logger?: CacheInvalidationLogger } = {}) {
    this.logger = options.logger;
  }

  publish(prefix: string): void {
    for (const entry of [...this.listeners]) {
      try {
        entry.listener(prefix);
      } catch (err) {
        // The publisher has just deleted files; a broken cache listener is not its failure.
        this.logger?.error({ err, prefix }, 'a cache invalidation listener threw');
      }
    }
  }

  subscribe(listener: (prefix: string) => void): () => void {
    const entry = { listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }
}
