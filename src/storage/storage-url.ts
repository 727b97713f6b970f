/**
 * `STORAGE_URL`, the one setting that says where blobs live:
 * - `file:` — local disk under `<dataDir>/blobs` (the embedded default); `file:PATH` or `file:///PATH`
 *   — local disk under PATH;
 * - `s3://bucket` or `s3://bucket/prefix` — an S3 bucket, every key under `prefix/`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertValidPrefix } from './blob-store.js';

export type StorageLocation =
  | { kind: 'file'; /** Absent: `<dataDir>/blobs`. */ root: string | undefined }
  | { kind: 's3'; bucket: string; /** '' or ending in '/'. */ prefix: string };

export class StorageUrlError extends Error {
  override name = 'StorageUrlError';
}

// S3's bucket naming rules (general purpose buckets): 3–63 lower-case letters, digits, dots and
// hyphens, starting and ending with a letter or digit, and not shaped like an IP address.
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d+\.\d+\.\d+\.\d+$/;

export function parseStorageUrl(url: string): StorageLocation {
  if (url.startsWith('file:')) {
    if (url === 'file:') return { kind: 'file', root: undefined };
    const root = url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length);
    return { kind: 'file', root: path.resolve(root) };
  }
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    if (!BUCKET_PATTERN.test(bucket) || IP_ADDRESS.test(bucket) || bucket.includes('..')) {
      throw new StorageUrlError(`${JSON.stringify(bucket)} is not a valid S3 bucket name (3–63 characters: a-z, 0-9, "." and "-")`);
    }
    const rawPrefix = slash === -1 ? '' : rest.slice(slash + 1);
    const prefix = rawPrefix === '' || rawPrefix.endsWith('/') ? rawPrefix : `${rawPrefix}/`;
    try {
      assertValidPrefix(prefix);
    } catch {
      throw new StorageUrlError(`the key prefix ${JSON.stringify(rawPrefix)} must be "/"-separated names of A-Z a-z 0-9 . _ -, each starting with a letter or digit`);
    }
    return { kind: 's3', bucket, prefix };
  }
  throw new StorageUrlError('must be file:, file:PATH or s3://bucket[/prefix]');
}
