/**
 * The scale-out BlobStore: one object per key in an S3 bucket (AWS S3 or any S3-compatible server),
 * under an optional key prefix, so that every API and worker process reads and writes the same bytes.
 *
 * Atomicity comes from S3 itself: a PutObject and a CompleteMultipartUpload are all-or-nothing — until
 * the request succeeds no reader sees the new object (or sees the previous version whole), and S3 has
 * been strongly read-after-write consistent since December 2020, so a later read, stat or list sees it.
 * A multipart upload that fails is aborted, so its parts do not linger (and are not billed).
 *
 * Every object carries our own SHA-256 as user metadata (`x-amz-meta-sha256`), which stat() returns
 * and getBytes() verifies. S3 takes metadata when an upload *starts* (CreateMultipartUpload), so the
 * hash must be known before the first part leaves: bytes and small streams are hashed in memory and
 * sent in one PUT; a file is hashed, then uploaded while being hashed again (a file that changes
 * meanwhile fails the upload, which is then aborted); a stream larger than one part is hashed while
 * it is spooled to a local file, which is then uploaded (see s3-upload.ts).
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertValidKey,
  assertValidPrefix,
  BlobIntegrityError,
  BlobNotFoundError,
  isValidKey,
  type BlobRange,
  type BlobStat,
  type BlobStore,
  type SignedUrlOptions,
} from './blob-store.js';
import { S3Uploader, SHA256_METADATA, type S3UploaderLogger } from './s3-upload.js';

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Prefix of every object key in the bucket: '' or ending in '/'. */
  prefix?: string;
  /** Multipart part size, at least 5 MiB; objects up to this size go up in one PUT. Default 16 MiB. */
  partSizeBytes?: number;
  /** Parts of one object uploaded at once (each held in memory). Default 4. */
  partConcurrency?: number;
  /** Local directory for streams larger than one part, hashed there before upload. */
  spoolDir: string;
  /** Signs the URLs handed to browsers, when they reach S3 at another endpoint; default `client`. */
  signingClient?: S3Client;
  logger?: S3UploaderLogger;
}

/** DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000;
/** getBytes reads an object this often before giving up on a broken body or a SHA-256 mismatch… */
const READ_ATTEMPTS = 3;
/** … waiting this long before the second read, twice as long before each further one. */
const READ_RETRY_DELAY_MS = 10;

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly signingClient: S3Client;
  private readonly uploader: S3Uploader;

  constructor(options: S3BlobStoreOptions) {
    const prefix = options.prefix ?? '';
    assertValidPrefix(prefix);
    this.bucket = options.bucket;
    this.prefix = prefix;
    this.client = options.client;
    this.signingClient = options.signingClient ?? options.client;
    this.uploader = new S3Uploader({
      client: options.client,
      bucket: options.bucket,
      partSizeBytes: options.partSizeBytes ?? 16 * 1024 * 1024,
      partConcurrency: options.partConcurrency ?? 4,
      spoolDir: options.spoolDir,
      logger: options.logger,
    });
  }

  async putFile(key: string, filePath: string): Promise<void> {
    await this.uploader.putFile(this.objectKey(key), filePath);
  }

  async putBytes(key: string, data: Buffer | string): Promise<void> {
    await this.uploader.putBuffer(this.objectKey(key), typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  async putStream(key: string, stream: Readable): Promise<{ bytes: number }> {
    return this.uploader.putStream(this.objectKey(key), stream);
  }

  async getBytes(key: string): Promise<Buffer> {
    const objectKey = this.objectKey(key);
    for (let attempt = 1; ; attempt++) {
      const response = await this.getObject(key, objectKey);
      let body: Buffer;
      try {
        const bytes = await response.Body!.transformToByteArray();
        body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (err) {
        // The connection broke after the headers (the SDK retries only before them): read again.
        if (attempt >= READ_ATTEMPTS) throw err;
        await sleep(READ_RETRY_DELAY_MS * 2 ** (attempt - 1));
        continue;
      }
      const expected = response.Metadata?.[SHA256_METADATA];
      if (expected === undefined) return body;
      const actual = createHash('sha256').update(body).digest('hex');
      if (actual === expected) return body;
      // S3 serves every version whole, so a mismatch is damage on the way (which a second read
      // cures) or in storage, or an object another tool wrote with a stale hash. Never hand out
      // bytes that do not match.
      if (attempt >= READ_ATTEMPTS) throw new BlobIntegrityError(key, expected, actual);
      await sleep(READ_RETRY_DELAY_MS * 2 ** (attempt - 1));
    }
  }

  async createReadStream(key: string, range?: BlobRange): Promise<Readable> {
    const objectKey = this.objectKey(key);
    if (range) assertValidRange(range);
    let response: GetObjectCommandOutput;
    try {
      response = await this.getObject(key, objectKey, range);
    } catch (err) {
      // A range that starts past the end: the local store gives an empty stream, so do we.
      if (range && httpStatusOf(err) === 416) return Readable.from([]);
      throw err;
    }
    const body = response.Body;
    if (!(body instanceof Readable)) throw new TypeError('S3 GetObject gave no Node.js stream');
    return range ? exactRange(body, range, response) : body;
  }

  async stat(key: string): Promise<BlobStat | null> {
    const objectKey = this.objectKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      const sha256 = head.Metadata?.[SHA256_METADATA];
      return {
        size: head.ContentLength ?? 0,
        mtimeMs: head.LastModified?.getTime() ?? 0,
        ...(sha256 === undefined ? {} : { sha256 }),
      };
    } catch (err) {
      if (isMissingObject(err)) return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const keys: string[] = [];
    for await (const objectKeys of this.listPages(prefix)) {
      for (const objectKey of objectKeys) {
        const key = objectKey.slice(this.prefix.length);
        // Objects other tools put here (folder markers `a/`, odd names) are not ours to show.
        if (isValidKey(key)) keys.push(key);
      }
    }
    // Code-unit order equals byte order for the key alphabet, which is S3's order.
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 whether or not the object existed.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    // The whole listing first, then the deletes: deleting while paginating would depend on how a
    // server builds its continuation tokens, and a listing is only key strings.
    const objectKeys: string[] = [];
    for await (const page of this.listPages(prefix)) objectKeys.push(...page);
    let removed = 0;
    for (let start = 0; start < objectKeys.length; start += DELETE_BATCH) {
      const batch = objectKeys.slice(start, start + DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new Error(`S3 DeleteObjects failed for ${failed.length} of ${batch.length} keys, e.g. ${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim());
      }
      removed += batch.filter((objectKey) => isValidKey(objectKey.slice(this.prefix.length))).length;
    }
    return removed;
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      ResponseContentType: options.contentType,
      ResponseCacheControl: options.cacheControl,
    });
    return getSignedUrl(this.signingClient, command, {
      expiresIn: options.expiresInSeconds,
      ...(options.signedAt ? { signingDate: options.signedAt } : {}),
    });
  }

  /** Removes spool files a crashed upload left behind (older than `olderThanMs`, default a day). */
  async removeStaleSpoolFiles(olderThanMs = 24 * 60 * 60 * 1000): Promise<number> {
    return this.uploader.removeStaleSpoolFiles(olderThanMs);
  }

  async close(): Promise<void> {
    this.client.destroy();
    if (this.signingClient !== this.client) this.signingClient.destroy();
  }

  /** The object key of a blob key, after validating it. */
  private objectKey(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }

  private async getObject(key: string, objectKey: string, range?: BlobRange): Promise<GetObjectCommandOutput> {
    try {
      return await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
    } catch (err) {
      if (isMissingObject(err)) throw new BlobNotFoundError(key);
      throw err;
    }
  }

  /** The object keys under `prefix`, one ListObjectsV2 page (≤ 1000) at a time. */
  private async *listPages(prefix: string): AsyncGenerator<string[]> {
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.prefix + prefix });
    for await (const page of pages) {
      yield (page.Contents ?? []).map((object) => object.Key).filter((objectKey): objectKey is string => objectKey !== undefined);
    }
  }
}

function assertValidRange(range: BlobRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range ${start}-${end}`);
  }
}

/**
 * The body of a ranged GET, cut to exactly the bytes asked for. S3 sends exactly those; some
 * compatible servers do not (s3rver 3.7 reads `bytes=0-0` as the whole object, and a server may
 * ignore Range and answer 200), and a wrong length would corrupt the origin's 206 answers.
 */
function exactRange(body: Readable, range: BlobRange, response: GetObjectCommandOutput): Readable {
  const sent = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.ContentRange ?? '');
  const sentStart = sent ? Number(sent[1]) : 0;
  const sentEnd = sent ? Number(sent[2]) : (response.ContentLength ?? 0) - 1;
  const total = sent && sent[3] !== '*' ? Number(sent[3]) : sentEnd + 1;
  const wantedEnd = Math.min(range.end, total - 1);
  if (sentStart === range.start && sentEnd === wantedEnd) return body;
  if (sentStart > range.start || sentEnd < wantedEnd) {
    body.destroy();
    throw new Error(`S3 answered bytes ${sentStart}-${sentEnd} to a request for ${range.start}-${range.end}`);
  }
  let skip = range.start - sentStart;
  let left = wantedEnd - range.start + 1;
  const cut = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let piece = chunk;
      if (skip > 0) {
        const skipped = Math.min(skip, piece.length);
        skip -= skipped;
        piece = piece.subarray(skipped);
      }
      if (left <= 0 || piece.length === 0) return callback();
      if (piece.length > left) piece = piece.subarray(0, left);
      left -= piece.length;
      callback(null, piece);
      // Everything wanted has passed: stop reading the rest of the object.
      if (left === 0) {
        this.push(null);
        body.destroy();
      }
    },
  });
  body.on('error', (err) => {
    if (left > 0) cut.destroy(err);
  });
  return body.pipe(cut);
}

function httpStatusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/**
 * GetObject of a missing key fails with NoSuchKey; HeadObject has no body to name the error, so the
 * SDK calls any 404 NotFound (a missing bucket too, which openBlobStore rules out at start-up).
 */
function isMissingObject(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}
