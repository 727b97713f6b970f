/**
 * S3BlobStore against a real S3-compatible server (s3rver 3.7, test/helpers/s3-server.ts): the whole
 * BlobStore contract, then what only the S3 driver promises — multipart uploads with our SHA-256 in
 * the object's metadata, failed uploads that leave neither an object nor a pending multipart upload,
 * prefix deletes past DeleteObjects' 1000-key limit, verified reads and presigned URLs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BlobIntegrityError } from '../../src/storage/blob-store.js';
import { S3BlobStore } from '../../src/storage/s3-blob-store.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { blobStoreContract } from './blob-store-contract.js';

const MiB = 1024 * 1024;
/** S3's smallest part size, so that a multipart upload costs little. */
const PART_SIZE = 5 * MiB;

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

blobStoreContract('S3BlobStore', async () => {
  const bucket = await s3.createBucket();
  const spoolDir = await mkdtemp(path.join(tmpdir(), 'sf-s3-spool-'));
  const store = new S3BlobStore({ client: s3.client(), bucket, prefix: 'sf/', spoolDir, partSizeBytes: PART_SIZE });
  return {
    store,
    close: async () => {
      await store.close();
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Records the name of every command the client sends; `before` may act on (or fail) one first. */
function recordCommands(client: S3Client, before?: (name: string, count: number) => void): string[] {
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '?';
      sent.push(name);
      before?.(name, sent.filter((other) => other === name).length);
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return sent;
}

describe('S3BlobStore on S3', () => {
  let bucket: string;
  let client: S3Client;
  let spoolDir: string;
  let scratch: string;
  let store: S3BlobStore;

  beforeEach(async () => {
    bucket = await s3.createBucket();
    client = s3.client();
    spoolDir = await mkdtemp(path.join(tmpdir(), 'sf-s3-spool-'));
    scratch = await mkdtemp(path.join(tmpdir(), 'sf-s3-scratch-'));
    store = new S3BlobStore({ client, bucket, prefix: 'tenant/blobs/', spoolDir, partSizeBytes: PART_SIZE });
  });
  afterEach(async () => {
    await store.close();
    await rm(spoolDir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('keeps objects under its prefix, each with our SHA-256 as user metadata', async () => {
    const data = randomBytes(10_000);
    await store.putBytes('videos/v1/seg.m4s', data);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['tenant/blobs/videos/v1/seg.m4s']);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'tenant/blobs/videos/v1/seg.m4s' }));
    expect(head.Metadata).toEqual({ sha256: sha256(data) });
    expect(await store.stat('videos/v1/seg.m4s')).toMatchObject({ size: 10_000, sha256: sha256(data) });
  });

  it('uploads a file larger than the part size in parts, byte-identical, with the SHA-256 of the whole', async () => {
    const sent = recordCommands(client);
    const data = randomBytes(2 * PART_SIZE + 12_345);
    const file = path.join(scratch, 'download.mp4');
    await writeFile(file, data);
    await store.putFile('videos/v1/download.mp4', file);
    expect(sent.filter((name) => name === 'UploadPartCommand')).toHaveLength(3);
    expect(sent).toContain('CompleteMultipartUploadCommand');
    expect(sent).not.toContain('PutObjectCommand');
    expect((await store.getBytes('videos/v1/download.mp4')).equals(data)).toBe(true);
    expect(await store.stat('videos/v1/download.mp4')).toMatchObject({ size: data.length, sha256: sha256(data) });
    expect(await s3.pendingMultipartUploads(bucket)).toEqual([]);
  });

  it('uploads a stream larger than the part size in parts, through a spool file it removes', async () => {
    const sent = recordCommands(client);
    const chunks = Array.from({ length: 45 }, () => randomBytes(256 * 1024 + 7));
    const data = Buffer.concat(chunks);
    expect(await store.putStream('originals/o1', Readable.from(chunks))).toEqual({ bytes: data.length });
    expect(sent.filter((name) => name === 'UploadPartCommand')).toHaveLength(3);
    const whole = await store.getBytes('originals/o1');
    expect(whole.equals(data)).toBe(true);
    expect((await store.stat('originals/o1'))?.sha256).toBe(sha256(data));
    expect(await readdir(spoolDir)).toEqual([]);
    // A range across a part boundary comes back exact.
    const chunksRead: Buffer[] = [];
    for await (const chunk of await store.createReadStream('originals/o1', { start: PART_SIZE - 10, end: PART_SIZE + 9 })) chunksRead.push(chunk as Buffer);
    expect(Buffer.concat(chunksRead).equals(data.subarray(PART_SIZE - 10, PART_SIZE + 10))).toBe(true);
  });

  it('stores nothing and leaves no multipart upload when a stream fails half-way through a large upload', async () => {
    const sent = recordCommands(client);
    const source = new PassThrough();
    const put = store.putStream('originals/broken', source);
    source.write(randomBytes(PART_SIZE));
    source.write(randomBytes(PART_SIZE));
    await new Promise((resolve) => setTimeout(resolve, 50));
    source.destroy(new Error('client went away'));
    await expect(put).rejects.toThrow('client went away');
    expect(await store.stat('originals/broken')).toBeNull();
    expect(await store.list('')).toEqual([]);
    expect(await s3.pendingMultipartUploads(bucket)).toEqual([]);
    expect(await readdir(spoolDir)).toEqual([]);
    // The stream is hashed while it is spooled, so a failed stream never starts an upload at all.
    expect(sent.filter((name) => name !== 'ListObjectsV2Command' && name !== 'HeadObjectCommand')).toEqual([]);
  });

  it('aborts the multipart upload when a part fails, leaving no object and no parts', async () => {
    const sent = recordCommands(client, (name, count) => {
      if (name === 'UploadPartCommand' && count === 2) throw Object.assign(new Error('part 2 lost'), { $fault: 'client' });
    });
    const file = path.join(scratch, 'big');
    await writeFile(file, randomBytes(3 * PART_SIZE));
    await expect(store.putFile('videos/v1/download.mp4', file)).rejects.toThrow('part 2 lost');
    expect(sent).toContain('CreateMultipartUploadCommand');
    expect(sent).toContain('AbortMultipartUploadCommand');
    expect(sent).not.toContain('CompleteMultipartUploadCommand');
    expect(await store.stat('videos/v1/download.mp4')).toBeNull();
    expect(await s3.pendingMultipartUploads(bucket)).toEqual([]);
  });

  it('refuses a file that changes while it is uploaded: no object, upload aborted', async () => {
    const file = path.join(scratch, 'changing');
    // Upload reads at most 4 parts ahead before a part has gone up, and none can before this create
    // has returned: the end of a 6-part file is still unread when it changes.
    const data = randomBytes(6 * PART_SIZE);
    await writeFile(file, data);
    recordCommands(client, (name) => {
      if (name === 'CreateMultipartUploadCommand') writeFileSync(file, Buffer.concat([data.subarray(0, data.length - 1), Buffer.from([data.at(-1)! ^ 1])]));
    });
    await expect(store.putFile('videos/v1/download.mp4', file)).rejects.toThrow(/changed while it was being stored/);
    expect(await store.stat('videos/v1/download.mp4')).toBeNull();
    expect(await s3.pendingMultipartUploads(bucket)).toEqual([]);
  });

  it('deletes a prefix of more than 1000 keys in DeleteObjects batches of at most 1000', async () => {
    const keys = Array.from({ length: 1_234 }, (_, i) => `videos/many/1/seg_${String(i).padStart(5, '0')}.m4s`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => store.putBytes(key, key)));
    await store.putBytes('videos/other/1/keep.m4s', 'keep');
    const listed = await store.list('videos/many/');
    expect(listed).toHaveLength(keys.length);
    expect(listed).toEqual(keys);
    const sent = recordCommands(client);
    expect(await store.deletePrefix('videos/many/')).toBe(keys.length);
    expect(sent.filter((name) => name === 'DeleteObjectsCommand')).toHaveLength(2);
    expect(await store.list('')).toEqual(['videos/other/1/keep.m4s']);
  });

  it('lists only keys it could have written, ignoring what other tools left under the prefix', async () => {
    await store.putBytes('videos/v1/a.m4s', 'a');
    for (const foreign of ['tenant/blobs/videos/', 'tenant/blobs/videos/.DS_Store', 'tenant/blobs/videos/has space', 'elsewhere/x']) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: foreign, Body: 'x' }));
    }
    expect(await store.list('')).toEqual(['videos/v1/a.m4s']);
    expect(await store.deletePrefix('videos/')).toBe(1);
    const left = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(left.Contents?.map((object) => object.Key)).toEqual(['elsewhere/x']);
  });

  it('refuses to hand out bytes that do not match their SHA-256', async () => {
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'tenant/blobs/bad', Body: 'tampered', Metadata: { sha256: sha256(Buffer.from('original')) } }),
    );
    await expect(store.getBytes('bad')).rejects.toBeInstanceOf(BlobIntegrityError);
    // Objects without our metadata (written by another tool) are served as they are.
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'tenant/blobs/plain', Body: 'plain' }));
    expect((await store.getBytes('plain')).toString()).toBe('plain');
  });

  it('signs URLs that the server answers, with the response headers asked for', async () => {
    const data = randomBytes(5_000);
    await store.putBytes('videos/v1/v0/seg_00001.m4s', data);
    const url = await store.signedUrl('videos/v1/v0/seg_00001.m4s', {
      expiresInSeconds: 600,
      contentType: 'video/iso.segment',
      cacheControl: 'public, max-age=31536000, immutable',
    });
    expect(url.startsWith(`${s3.endpoint}/${bucket}/tenant/blobs/videos/v1/v0/seg_00001.m4s?`)).toBe(true);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('600');
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/iso.segment');
    expect(whole.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await whole.arrayBuffer()).equals(data)).toBe(true);
    const part = await fetch(url, { headers: { Range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
    // The same signing moment gives the same URL, so caches can share it.
    const signedAt = new Date('2030-01-01T00:00:00Z');
    const once = await store.signedUrl('videos/v1/v0/seg_00001.m4s', { expiresInSeconds: 600, signedAt });
    expect(await store.signedUrl('videos/v1/v0/seg_00001.m4s', { expiresInSeconds: 600, signedAt })).toBe(once);
  });
});
