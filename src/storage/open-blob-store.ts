/**
 * Picks and opens the BlobStore the config names (`STORAGE_URL`, see storage-url.ts): local disk by
 * default, or an S3 bucket. An S3 bucket is checked once here (HeadBucket), so a wrong name, endpoint
 * or credentials stop start-up with a clear message instead of failing the first upload.
 */
import path from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { Config } from '../config/config.js';
import type { BlobStore } from './blob-store.js';
import { LocalBlobStore } from './local-blob-store.js';
import type { S3UploaderLogger } from './s3-upload.js';
import { parseStorageUrl } from './storage-url.js';

export type BlobStoreConfig = Pick<
  Config,
  | 'dataDir'
  | 'storageUrl'
  | 's3Endpoint'
  | 's3PublicEndpoint'
  | 's3Region'
  | 's3AccessKeyId'
  | 's3SecretAccessKey'
  | 's3ForcePathStyle'
  | 's3PartSizeBytes'
>;

export async function openBlobStore(options: { config: BlobStoreConfig; logger?: S3UploaderLogger }): Promise<BlobStore> {
  const { config } = options;
  const location = parseStorageUrl(config.storageUrl);
  if (location.kind === 'file') {
    const store = new LocalBlobStore({ root: location.root ?? path.join(config.dataDir, 'blobs') });
    // A write cut by a crash (kill -9 mid-upload) leaves its temp file: nothing will rename it now.
    const removed = await store.removeStaleTempFiles().catch(() => 0);
    if (removed > 0) options.logger?.warn({ removed }, 'storage: removed temp files of writes a crash interrupted');
    return store;
  }

  // Loaded only for S3 storage: the AWS SDK takes ≈ 0.4 s to load, which embedded mode never needs.
  const [{ HeadBucketCommand, S3Client }, { S3BlobStore }] = await Promise.all([import('@aws-sdk/client-s3'), import('./s3-blob-store.js')]);
  const client = new S3Client(s3ClientConfig(config, config.s3Endpoint));
  try {
    await client.send(new HeadBucketCommand({ Bucket: location.bucket }));
  } catch (err) {
    client.destroy();
    throw new Error(`S3 bucket ${location.bucket} is not usable${config.s3Endpoint ? ` at ${config.s3Endpoint}` : ''}: ${describeS3Error(err)}`, { cause: err });
  }
  const store = new S3BlobStore({
    client,
    bucket: location.bucket,
    prefix: location.prefix,
    partSizeBytes: config.s3PartSizeBytes,
    // Under the data directory, which the free-disk guard watches (uploads are spooled there).
    spoolDir: path.join(config.dataDir, 'work', 's3-spool'),
    ...(config.s3PublicEndpoint ? { signingClient: new S3Client(s3ClientConfig(config, config.s3PublicEndpoint)) } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const removed = await store.removeStaleSpoolFiles().catch(() => 0);
  if (removed > 0) options.logger?.warn({ removed }, 's3: removed spool files of uploads a crash interrupted');
  return store;
}

function s3ClientConfig(config: BlobStoreConfig, endpoint: string | undefined): S3ClientConfig {
  // With a custom endpoint (MinIO, Ceph, R2…) the region is usually irrelevant but must be set.
  const region = config.s3Region ?? (endpoint !== undefined ? 'us-east-1' : undefined);
  return {
    ...(region !== undefined ? { region } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    forcePathStyle: config.s3ForcePathStyle ?? endpoint !== undefined,
    ...(config.s3AccessKeyId !== undefined && config.s3SecretAccessKey !== undefined
      ? { credentials: { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey } }
      : {}),
    // The SDK's default (since 2025) adds CRC32 checksums, as aws-chunked trailers on streamed bodies,
    // which many S3-compatible servers reject or store verbatim. Only send them where S3 requires one
    // (DeleteObjects); every object carries our own SHA-256 instead.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

function describeS3Error(err: unknown): string {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 404) return 'no such bucket';
  if (status === 403) return 'access denied (check the credentials and the bucket policy)';
  if (status === 301) return 'it is in another region (set STREAMFORGE_S3_REGION)';
  const error = err as { name?: string; message?: string; code?: string };
  return [error.name, error.code, error.message].filter(Boolean).join(': ') || String(err);
}
