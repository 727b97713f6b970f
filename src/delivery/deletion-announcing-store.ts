/**
 * A BlobStore that announces every deletion on the CacheInvalidationBus once it is done (or has
 * failed part-way), so the memory caches in front of the store — every process's origin — drop the
 * deleted files. createAppContext hands this store to everything, so a module that deletes (video
 * deletion, a winning attempt removing older versions, a failed video, superseded stage runs)
 * never has to remember to tell the caches.
 *
 * Announcing after the deletion matters: a cache that refilled between an early announcement and
 * the deletion would keep the file. The origin also discards reads that were in flight when it was
 * told (its generation counter), so nothing read before the deletion lands in the cache after it.
 */
import type { Readable } from 'node:stream';
import type { BlobRange, BlobStat, BlobStore, SignedUrlOptions } from '../storage/blob-store.js';
import type { CacheInvalidationBus } from './cache-invalidation.js';

export class DeletionAnnouncingBlobStore implements BlobStore {
  private readonly store: BlobStore;
  private readonly invalidations: CacheInvalidationBus;
  // Present exactly when the wrapped store has them: callers test for them to pick a strategy.
  readonly localPath?: (key: string) => string;
  readonly signedUrl?: (key: string, options: SignedUrlOptions) => Promise<string>;
  readonly close?: () => Promise<void>;

  constructor(options: { store: BlobStore; invalidations: CacheInvalidationBus }) {
    const { store } = options;
    this.store = store;
    this.invalidations = options.invalidations;
    if (store.localPath) this.localPath = store.localPath.bind(store);
    if (store.signedUrl) this.signedUrl = store.signedUrl.bind(store);
    if (store.close) this.close = store.close.bind(store);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.store.delete(key);
    } finally {
      this.invalidations.publish(key);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    try {
      return await this.store.deletePrefix(prefix);
    } finally {
      this.invalidations.publish(prefix);
    }
  }

  putFile(key: string, filePath: string): Promise<void> {
    return this.store.putFile(key, filePath);
  }

  putBytes(key: string, data: Buffer | string): Promise<void> {
    return this.store.putBytes(key, data);
  }

  putStream(key: string, stream: Readable): Promise<{ bytes: number }> {
    return this.store.putStream(key, stream);
  }

  getBytes(key: string): Promise<Buffer> {
    return this.store.getBytes(key);
  }

  createReadStream(key: string, range?: BlobRange): Promise<Readable> {
    return this.store.createReadStream(key, range);
  }

  stat(key: string): Promise<BlobStat | null> {
    return this.store.stat(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.store.list(prefix);
  }
}
