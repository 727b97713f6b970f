/**
 * The tus checksum extension (https://tus.io/protocols/resumable-upload#checksum) for our uploads.
 * Our own because @tus/server 2.x and @tus/file-store implement no part of it: the server neither
 * reads `Upload-Checksum` nor knows status 460, and the store appends whatever arrives.
 *
 * A PATCH (or creation-with-upload POST) carrying `Upload-Checksum: <algorithm> <base64 digest>`
 * has its body hashed as it streams to disk. On a mismatch the file is cut back to the offset the
 * request started at — the chunk is discarded, the upload's offset (the file's size) is unchanged —
 * and the answer is `460 Checksum Mismatch`, so the client resends that chunk. The header reaches
 * the store through an AsyncLocalStorage entered around each request (`withRequestChecksum`),
 * because @tus/server calls `DataStore.write(stream, id, offset)` with nothing of the request, and
 * concurrent requests must never see each other's checksum.
 *
 * The store also writes each upload's info (`<id>.json`) atomically (AtomicFileConfigstore): with
 * several API processes on one uploads volume, one process reads an upload's info while another
 * rewrites it, and a half-written JSON would read as "no such upload" (404, and a client starts over).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline, type Readable, Transform } from 'node:stream';
import { FileConfigstore, FileStore } from '@tus/file-store';
import { ERRORS, type Upload } from '@tus/server';

export const CHECKSUM_ALGORITHMS = ['sha1', 'sha256', 'md5'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Request header naming the algorithm and the expected digest of the request's body. */
export const CHECKSUM_HEADER = 'Upload-Checksum';
/** OPTIONS response header listing the algorithms we accept. */
export const CHECKSUM_ALGORITHM_HEADER = 'Tus-Checksum-Algorithm';
export const CHECKSUM_MISMATCH_STATUS = 460;

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { sha1: 20, sha256: 32, md5: 16 };

export interface UploadChecksum {
  algorithm: ChecksumAlgorithm;
  digest: Buffer;
}

/** What @tus/server turns into a response when a store or hook throws it. */
export interface TusError {
  status_code: number;
  body: string;
}

/** Parses `<algorithm> <base64 digest>`; throws a TusError (400) when malformed or unsupported. */
export function parseUploadChecksum(header: string): UploadChecksum {
  const match = /^([A-Za-z0-9-]+) ([A-Za-z0-9+/]+={0,2})$/.exec(header.trim());
  if (!match) {
    throw tusError(400, `malformed ${CHECKSUM_HEADER}: expected "<algorithm> <base64 digest>"`);
  }
  const algorithm = match[1]!.toLowerCase();
  if (!isChecksumAlgorithm(algorithm)) {
    throw tusError(400, `unsupported checksum algorithm "${match[1]}"; supported: ${CHECKSUM_ALGORITHMS.join(', ')}`);
  }
  const encoded = match[2]!;
  const digest = Buffer.from(encoded, 'base64');
  // Buffer.from skips what is not base64; a digest that does not re-encode to the same text (padded
  // as base64 pads it, or not at all) was garbled.
  const canonical = digest.toString('base64');
  if (digest.length !== DIGEST_BYTES[algorithm] || (encoded !== canonical && encoded !== canonical.replace(/=+$/, ''))) {
    throw tusError(400, `malformed ${CHECKSUM_HEADER}: a ${algorithm} digest is ${DIGEST_BYTES[algorithm]} bytes in base64`);
  }
  return { algorithm, digest };
}

function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

function tusError(status: number, message: string): TusError {
  return { status_code: status, body: `${message}\n` };
}

/** A FileStore that verifies each request's body against its Upload-Checksum, if it has one. */
export class ChecksumFileStore extends FileStore {
  /** The Upload-Checksum header of the request being handled in this async context. */
  private readonly requestChecksum = new AsyncLocalStorage<string | undefined>();

  constructor(options: ConstructorParameters<typeof FileStore>[0]) {
    super({ ...options, configstore: options.configstore ?? new AtomicFileConfigstore(options.directory) });
    // @tus/server's OPTIONS handler builds Tus-Extension from the store's extensions.
    this.extensions = [...this.extensions, 'checksum'];
  }

  /** Runs one tus request (`handle`) with the Upload-Checksum header its body must match. */
  withRequestChecksum<T>(header: string | undefined, handle: () => Promise<T>): Promise<T> {
    return this.requestChecksum.run(header, handle);
  }

  /** The checksum the current request's body must match, or null; throws a TusError (400) for a bad header. */
  expectedChecksum(): UploadChecksum | null {
    const header = this.requestChecksum.getStore();
    return header === undefined ? null : parseUploadChecksum(header);
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const expected = this.expectedChecksum();
    if (!expected) return super.write(readable, id, offset);

    const hash = createHash(expected.algorithm);
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    let newOffset: number;
    try {
      // pipeline() forwards an error of `readable` to `hashing`, and so to super.write.
      newOffset = await super.write(pipeline(readable, hashing, () => {}), id, offset);
    } catch (err) {
      // A chunk that did not arrive whole cannot be verified: none of it counts.
      await this.truncate(id, offset);
      throw err;
    }
    // A stopped request (client gone, lock taken over) ends its stream early: its digest differs
    // too, so its part is dropped as well.
    if (!hash.digest().equals(expected.digest)) {
      await this.truncate(id, offset);
      throw tusError(
        CHECKSUM_MISMATCH_STATUS,
        `Checksum Mismatch: the body's ${expected.algorithm} differs from ${CHECKSUM_HEADER}; ` +
          `its bytes were discarded, resend them from offset ${offset}`,
      );
    }
    return newOffset;
  }

  private async truncate(id: string, offset: number): Promise<void> {
    // The id was resolved inside the directory by getUpload before any write.
    await fs.truncate(path.join(this.directory, id), offset);
  }
}

/**
 * FileConfigstore (same `<id>.json` layout) whose writes are a temporary file renamed into place: a
 * reader — in this process or another on the same volume — sees the old JSON or the new, never half.
 */
export class AtomicFileConfigstore extends FileConfigstore {
  override async set(key: string, value: Upload): Promise<void> {
    if (path.basename(key) !== key) throw ERRORS.FILE_NOT_FOUND;
    const target = path.join(this.directory, `${key}.json`);
    // A leading dot and no .json suffix: list() never pairs it with an upload.
    const temporary = path.join(this.directory, `.${key}.${randomUUID()}.tmp`);
    await fs.writeFile(temporary, JSON.stringify(value));
    try {
      await fs.rename(temporary, target);
    } catch (err) {
      await fs.rm(temporary, { force: true });
      throw err;
    }
  }
}

/**
 * Node knows no reason phrase for 460 and @tus/server sends an empty one: give this response the
 * spec's "460 Checksum Mismatch" status line.
 */
export function nameChecksumMismatchStatus(res: ServerResponse): void {
  const writeHead = res.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    if (statusCode === CHECKSUM_MISMATCH_STATUS && !(typeof rest[0] === 'string' && rest[0] !== '')) {
      rest = ['Checksum Mismatch', ...(typeof rest[0] === 'string' ? rest.slice(1) : rest)];
    }
    return writeHead.call(this, statusCode, ...rest);
  } as ServerResponse['writeHead'];
}
