/**
 * Where StreamForge keeps bytes: originals, renditions, manifests, images. Keys are relative,
 * slash-separated paths (`videos/<id>/<version>/v0/seg_00001.m4s`). The embedded driver is local disk
 * (local-blob-store.ts); the scale-out driver is S3 (s3-blob-store.ts). Both pass
 * test/contract/blob-store-contract.ts; open-blob-store.ts picks one from the config.
 */
import type { Readable } from 'node:stream';

export interface BlobStat {
  size: number;
  mtimeMs: number;
  /** Hex SHA-256 of the content, when the store keeps one (S3 does; local disk does not). */
  sha256?: string;
}

export interface BlobRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface BlobStore {
  /** Stores a local file under `key`. Readers see either no object or the whole object, never a part. */
  putFile(key: string, filePath: string): Promise<void>;
  /** Stores bytes under `key`, atomically as putFile. */
  putBytes(key: string, data: Buffer | string): Promise<void>;
  /** Stores a stream under `key`, atomically as putFile; resolves with the byte count. */
  putStream(key: string, stream: Readable): Promise<{ bytes: number }>;
  /** Whole object; throws BlobNotFoundError when absent. */
  getBytes(key: string): Promise<Buffer>;
  /** A stream of the object or of one inclusive byte range; throws BlobNotFoundError when absent. */
  createReadStream(key: string, range?: BlobRange): Promise<Readable>;
  /** Size and modification time, or null when absent. */
  stat(key: string): Promise<BlobStat | null>;
  /** Every key that starts with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes one object; absent is not an error. */
  delete(key: string): Promise<void>;
  /** Removes every object under `prefix`; resolves with how many were removed. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * The local file of `key` when the store lives on this machine's disk, for the origin's fast
   * path (sendfile-like serving). Undefined for remote stores.
   */
  localPath?(key: string): string;
  /**
   * A time-limited URL at which a client can GET `key` straight from the store, for the origin's
   * redirect mode. Undefined for stores that clients cannot reach (local disk).
   */
  signedUrl?(key: string, options: SignedUrlOptions): Promise<string>;
  /** Releases connections and timers; the store is unusable afterwards. */
  close?(): Promise<void>;
}

export interface SignedUrlOptions {
  /** Lifetime of the URL from `signedAt`. */
  expiresInSeconds: number;
  /** The moment the URL is signed as of (default now); equal values give equal URLs, which caches can share. */
  signedAt?: Date;
  /** Content-Type the store should answer with. */
  contentType?: string;
  /** Cache-Control the store should answer with. */
  cacheControl?: string;
}

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
  constructor(readonly key: string) {
    super(`no blob at ${key}`);
  }
}

export class InvalidBlobKeyError extends Error {
  override name = 'InvalidBlobKeyError';
}

/** The bytes read do not hash to the SHA-256 stored with the object. */
export class BlobIntegrityError extends Error {
  override name = 'BlobIntegrityError';
  constructor(readonly key: string, expectedSha256: string, actualSha256: string) {
    super(`blob ${key} is corrupt: SHA-256 ${actualSha256}, expected ${expectedSha256}`);
  }
}

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Whether `key` is one StreamForge could have written: see assertValidKey. */
export function isValidKey(key: string): boolean {
  return key.length <= 512 && KEY_PATTERN.test(key) && !key.split('/').some((part) => part === '..' || part === '.');
}

/** Rejects absolute paths, `..`, empty segments, and anything outside a conservative alphabet. */
export function assertValidKey(key: string): void {
  if (!isValidKey(key)) {
    throw new InvalidBlobKeyError(`invalid blob key: ${JSON.stringify(key.slice(0, 100))}`);
  }
}

/** Prefixes end with `/` (or are empty); the same alphabet as keys. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  if (!prefix.endsWith('/')) throw new InvalidBlobKeyError(`a prefix must end with "/": ${JSON.stringify(prefix.slice(0, 100))}`);
  assertValidKey(prefix.slice(0, -1));
}
