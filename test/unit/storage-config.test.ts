/** STORAGE_URL and the S3 settings: parsing, defaults and the errors that name what is wrong. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { parseStorageUrl } from '../../src/storage/storage-url.js';

describe('STORAGE_URL', () => {
  it('defaults to local disk under the data dir, with proxy delivery', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({ storageUrl: 'file:', s3Delivery: 'proxy', s3PartSizeBytes: 16 * 1024 * 1024, s3PresignExpiresSeconds: 3600 });
    expect(parseStorageUrl(config.storageUrl)).toEqual({ kind: 'file', root: undefined });
  });

  it('parses file: paths and s3://bucket/prefix', () => {
    expect(parseStorageUrl('file:/srv/blobs')).toEqual({ kind: 'file', root: '/srv/blobs' });
    expect(parseStorageUrl('file:///srv/blobs')).toEqual({ kind: 'file', root: '/srv/blobs' });
    expect(parseStorageUrl('file:relative')).toEqual({ kind: 'file', root: path.resolve('relative') });
    expect(parseStorageUrl('s3://media-bucket')).toEqual({ kind: 's3', bucket: 'media-bucket', prefix: '' });
    expect(parseStorageUrl('s3://media-bucket/')).toEqual({ kind: 's3', bucket: 'media-bucket', prefix: '' });
    expect(parseStorageUrl('s3://media.bucket/prod/streamforge')).toEqual({ kind: 's3', bucket: 'media.bucket', prefix: 'prod/streamforge/' });
    expect(parseStorageUrl('s3://media-bucket/prod/')).toEqual({ kind: 's3', bucket: 'media-bucket', prefix: 'prod/' });
  });

  it('reads STORAGE_URL and the STREAMFORGE_S3_* variables', () => {
    const config = loadConfig({
      env: {
        STORAGE_URL: 's3://media-bucket/sf',
        STREAMFORGE_S3_ENDPOINT: 'http://minio:9000',
        STREAMFORGE_S3_PUBLIC_ENDPOINT: 'https://media.example.com',
        STREAMFORGE_S3_REGION: 'eu-west-1',
        STREAMFORGE_S3_ACCESS_KEY_ID: 'key',
        STREAMFORGE_S3_SECRET_ACCESS_KEY: 'secret',
        STREAMFORGE_S3_FORCE_PATH_STYLE: 'false',
        STREAMFORGE_S3_PART_SIZE_BYTES: String(8 * 1024 * 1024),
        STREAMFORGE_S3_DELIVERY: 'redirect',
        STREAMFORGE_S3_PRESIGN_EXPIRES_SECONDS: '900',
      },
    });
    expect(config).toMatchObject({
      storageUrl: 's3://media-bucket/sf',
      s3Endpoint: 'http://minio:9000',
      s3PublicEndpoint: 'https://media.example.com',
      s3Region: 'eu-west-1',
      s3AccessKeyId: 'key',
      s3SecretAccessKey: 'secret',
      s3ForcePathStyle: false,
      s3PartSizeBytes: 8 * 1024 * 1024,
      s3Delivery: 'redirect',
      s3PresignExpiresSeconds: 900,
    });
  });

  it('stops on bad storage settings with a message naming the variable and the reason', () => {
    const bad = (env: Record<string, string>, message: RegExp) => {
      expect(() => loadConfig({ env })).toThrow(ConfigError);
      expect(() => loadConfig({ env })).toThrow(message);
    };
    bad({ STORAGE_URL: 'ftp://x' }, /STORAGE_URL \(storageUrl\): must be file:, file:PATH or s3:\/\/bucket\[\/prefix\]/);
    bad({ STORAGE_URL: 's3://' }, /STORAGE_URL.*not a valid S3 bucket name/);
    bad({ STORAGE_URL: 's3://Upper_Case' }, /STORAGE_URL.*"Upper_Case" is not a valid S3 bucket name/);
    bad({ STORAGE_URL: 's3://192.168.1.1' }, /not a valid S3 bucket name/);
    bad({ STORAGE_URL: 's3://bucket/a//b' }, /STORAGE_URL.*key prefix "a\/\/b"/);
    bad({ STORAGE_URL: 's3://bucket/../x' }, /STORAGE_URL.*key prefix/);
    bad({ STREAMFORGE_S3_ENDPOINT: 'minio:9000' }, /STREAMFORGE_S3_ENDPOINT \(s3Endpoint\): must be an http:\/\/ or https:\/\/ URL/);
    bad({ STREAMFORGE_S3_PART_SIZE_BYTES: '1000' }, /STREAMFORGE_S3_PART_SIZE_BYTES/);
    bad({ STREAMFORGE_S3_DELIVERY: 'cdn' }, /STREAMFORGE_S3_DELIVERY/);
    bad({ STREAMFORGE_S3_FORCE_PATH_STYLE: 'maybe' }, /STREAMFORGE_S3_FORCE_PATH_STYLE/);
    bad({ STORAGE_URL: 's3://bucket', STREAMFORGE_S3_ACCESS_KEY_ID: 'key' }, /STREAMFORGE_S3_SECRET_ACCESS_KEY \(s3SecretAccessKey\): set both S3 credentials or neither/);
    bad({ STREAMFORGE_S3_DELIVERY: 'redirect' }, /STREAMFORGE_S3_DELIVERY \(s3Delivery\): redirect delivery needs S3 storage/);
  });
});
