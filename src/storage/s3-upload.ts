/**
 * How bytes reach S3 with their SHA-256: the upload half of the S3 driver (s3-blob-store.ts).
 *
 * S3 fixes an object's metadata when its upload starts (PutObject, CreateMultipartUpload), so our
 * `x-amz-meta-sha256` must be known before the first part is sent:
 * - bytes, and streams that end within one part, are hashed in memory and sent in one PUT;
 * - a file is hashed first, then uploaded while being hashed again: if it changed in between, the
 *   last part is never sent and the multipart upload is aborted, so no object appears;
 * - a stream longer than one part is hashed while it is written to a spool file (under the data
 *   directory, which the free-disk guard watches), and the file is uploaded once the stream ended.
 *   A stream that fails therefore never starts an upload at all.
 *
 * Uploads go through `@aws-sdk/lib-storage`'s Upload: one PUT up to the part size, multipart above.
 * We abort a failed multipart upload ourselves (leavePartsOnError), because Upload's own abort
 * replaces the error that caused it with the abort's error when the abort fails too.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** User-metadata name of our SHA-256 (`x-amz-meta-sha256` on the wire). */
export const SHA256_METADATA = 'sha256';

/** S3's floor for every part but the last. */
export const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
/** S3's ceiling on the parts of one upload: larger objects get larger parts. */
const MAX_PARTS = 10_000;
const READ_CHUNK_BYTES = 1024 * 1024;

export interface S3UploaderLogger {
  warn(obj: object, msg?: string): void;
}

export interface S3UploaderOptions {
  client: S3Client;
  bucket: string;
  partSizeBytes: number;
  partConcurrency: number;
  spoolDir: string;
  logger?: S3UploaderLogger;
}

export class S3Uploader {
  constructor(private readonly options: S3UploaderOptions) {
    if (options.partSizeBytes < MIN_PART_SIZE_BYTES) throw new RangeError(`S3 part size must be at least ${MIN_PART_SIZE_BYTES} bytes`);
  }

  async putBuffer(objectKey: string, data: Buffer): Promise<void> {
    await this.upload({ objectKey, body: data, size: data.length, sha256: sha256Of(data) });
  }

  async putFile(objectKey: string, filePath: string): Promise<void> {
    // A missing or unreadable file fails here, before anything is sent.
    const stats = await fs.stat(filePath);
    if (!stats.isFile()) throw new Error(`not a regular file: ${filePath}`);
    if (stats.size <= this.options.partSizeBytes) {
      await this.putBuffer(objectKey, await fs.readFile(filePath));
      return;
    }
    const sha256 = await sha256OfFile(filePath);
    const verified = new DigestCheck({ sha256, size: stats.size, what: filePath });
    // pipeline, not pipe: a read error must reach the upload, which reads `verified`.
    pipeline(createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES }), verified).catch(() => undefined);
    await this.upload({ objectKey, body: verified, size: stats.size, sha256 });
  }

  async putStream(objectKey: string, stream: Readable): Promise<{ bytes: number }> {
    const { partSizeBytes } = this.options;
    const hash = createHash('sha256');
    let bytes = 0;
    let held: Buffer[] = [];
    let spool: { file: string; handle: fs.FileHandle } | undefined;
    try {
      // One loop to the end (breaking out of it would destroy the caller's stream): the first part
      // is held in memory; past it, everything goes to the spool file.
      for await (const raw of stream as AsyncIterable<Buffer | string>) {
        const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
        hash.update(chunk);
        bytes += chunk.length;
        if (spool !== undefined) {
          await writeAll(spool.handle, chunk);
        } else {
          held.push(chunk);
          if (bytes > partSizeBytes) {
            spool = await this.openSpool();
            await writeAll(spool.handle, Buffer.concat(held, bytes));
            held = [];
          }
        }
      }
      const sha256 = hash.digest('hex');
      if (spool === undefined) {
        const data = held.length === 1 ? held[0]! : Buffer.concat(held, bytes);
        await this.upload({ objectKey, body: data, size: bytes, sha256 });
      } else {
        await spool.handle.close();
        await this.upload({ objectKey, body: createReadStream(spool.file, { highWaterMark: READ_CHUNK_BYTES }), size: bytes, sha256 });
      }
      return { bytes };
    } finally {
      if (spool !== undefined) {
        await spool.handle.close().catch(() => undefined);
        await fs.rm(spool.file, { force: true });
      }
    }
  }

  /**
   * Deletes spool files last written more than `olderThanMs` ago: what a crash mid-upload left.
   * Live ones are written to continuously, and other processes sharing the directory keep theirs.
   */
  async removeStaleSpoolFiles(olderThanMs: number): Promise<number> {
    const names = await fs.readdir(this.options.spoolDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.options.spoolDir, name);
      const stats = await fs.stat(file).catch(() => null);
      if (stats?.isFile() && Date.now() - stats.mtimeMs > olderThanMs) {
        await fs.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  private async openSpool(): Promise<{ file: string; handle: fs.FileHandle }> {
    await fs.mkdir(this.options.spoolDir, { recursive: true });
    const file = path.join(this.options.spoolDir, randomUUID());
    return { file, handle: await fs.open(file, 'wx') };
  }

  private async upload(input: { objectKey: string; body: Buffer | Readable; size: number; sha256: string }): Promise<void> {
    const { client, bucket, partConcurrency, logger } = this.options;
    const upload = new Upload({
      client,
      params: {
        Bucket: bucket,
        Key: input.objectKey,
        Body: input.body,
        ContentLength: input.size,
        Metadata: { [SHA256_METADATA]: input.sha256 },
      },
      partSize: Math.max(this.options.partSizeBytes, Math.ceil(input.size / MAX_PARTS)),
      queueSize: partConcurrency,
      leavePartsOnError: true,
    });
    try {
      await upload.done();
    } catch (err) {
      // Upload waits for its part uploads to settle before failing, so nothing is in flight now.
      if (upload.uploadId !== undefined) {
        try {
          await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: input.objectKey, UploadId: upload.uploadId }));
        } catch (abortError) {
          logger?.warn(
            { err: abortError, cause: err, key: input.objectKey, uploadId: upload.uploadId },
            's3: could not abort a failed multipart upload; a lifecycle rule (AbortIncompleteMultipartUpload) reclaims its parts',
          );
        }
      }
      if (!Buffer.isBuffer(input.body)) input.body.destroy();
      throw err;
    }
  }
}

function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function sha256OfFile(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** FileHandle.write may write less than asked; loop until the chunk is down. */
async function writeAll(handle: fs.FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/** Passes bytes through and fails at the end unless they hash to `sha256` and number `size`. */
class DigestCheck extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  constructor(private readonly expected: { sha256: string; size: number; what: string }) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: (err?: Error | null) => void): void {
    const sha256 = this.hash.digest('hex');
    if (sha256 === this.expected.sha256 && this.bytes === this.expected.size) callback();
    else callback(new Error(`${this.expected.what} changed while it was being stored`));
  }
}
