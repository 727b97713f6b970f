/**
 * Opens one blob for serving: its size and modification time, and either its whole content (small
 * files, which the origin caches) or a way to stream it (large files). Stores on this machine's disk
 * (`localPath`) are read through one file descriptor, so the size, the validators and the bytes all
 * come from the same inode even if the file is replaced meanwhile; remote stores go through the
 * BlobStore API.
 *
 * "Not there" (absent, a directory, a FIFO, an invalid key) is `null`, which the origin answers with
 * 404; anything else is thrown and becomes a 500.
 */
import { constants as fsConstants, createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BlobNotFoundError, InvalidBlobKeyError, type BlobRange, type BlobStore } from '../storage/blob-store.js';

export interface OpenedBlob {
  size: number;
  mtimeMs: number;
  /** Hex SHA-256 of the content, when the store keeps one (S3). */
  sha256?: string | undefined;
  /** The whole content, present when the blob is at most `maxBufferBytes` long. */
  body: Buffer | undefined;
  /** A stream of the content or of one inclusive range; call at most once, or `close()` instead. */
  stream(range?: BlobRange): Promise<Readable>;
  /** Releases the blob when it will not be streamed. Safe to call more than once. */
  close(): void;
}

export interface OpenBlobOptions {
  store: BlobStore;
  key: string;
  /** Largest blob read whole into memory. */
  maxBufferBytes: number;
  /** Chunk size when streaming a large blob from local disk. */
  streamHighWaterMark: number;
}

// O_NONBLOCK keeps a FIFO planted in the store from blocking a libuv thread forever (nginx does the
// same); it has no effect on regular files.
const OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK;

const NOT_THERE_CODES = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP', 'EISDIR']);

/** Stat-and-read rounds of a remote blob before serving what the last one gave. */
const REMOTE_OPEN_ATTEMPTS = 3;

export async function openBlob(options: OpenBlobOptions): Promise<OpenedBlob | null> {
  const { store } = options;
  if (store.localPath === undefined) return openRemoteBlob(options);
  let filePath: string;
  try {
    filePath = store.localPath(options.key);
  } catch (err) {
    if (err instanceof InvalidBlobKeyError) return null;
    throw err;
  }
  return openLocalFile(filePath, options);
}

async function openLocalFile(filePath: string, options: OpenBlobOptions): Promise<OpenedBlob | null> {
  let handle: FileHandle;
  try {
    handle = await open(filePath, OPEN_FLAGS);
  } catch (err) {
    if (NOT_THERE_CODES.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      return null;
    }
    const size = stat.size;
    const body = size <= options.maxBufferBytes ? await readWhole(handle, size) : undefined;
    if (body !== undefined) await handle.close();
    let closed = body !== undefined;
    return {
      size: body?.length ?? size,
      mtimeMs: stat.mtimeMs,
      body,
      stream: async (range) => {
        closed = true;
        return createReadStream('', {
          fd: handle,
          start: range?.start ?? 0,
          end: range?.end ?? Math.max(0, size - 1),
          highWaterMark: options.streamHighWaterMark,
          autoClose: true,
        });
      },
      close: () => {
        if (closed) return;
        closed = true;
        handle.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** Reads `size` bytes from the start with as few read(2) calls as the kernel allows. */
async function readWhole(handle: FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafeSlow(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) break; // truncated under us: serve what is there, the length says so
    filled += bytesRead;
  }
  return filled === size ? buffer : buffer.subarray(0, filled);
}

async function openRemoteBlob(options: OpenBlobOptions): Promise<OpenedBlob | null> {
  const { store, key } = options;
  try {
    for (let attempt = 1; ; attempt++) {
      const stat = await store.stat(key);
      if (stat === null) return null;
      const body = stat.size <= options.maxBufferBytes ? await store.getBytes(key) : undefined;
      // The stat and the read are two requests: a manifest rewritten in between (while its video
      // processes) gives bytes the stat does not describe. Look again, so the validators fit.
      const consistent = body === undefined || body.length === stat.size;
      if (!consistent && attempt < REMOTE_OPEN_ATTEMPTS) continue;
      return {
        size: body?.length ?? stat.size,
        mtimeMs: stat.mtimeMs,
        sha256: consistent ? stat.sha256 : undefined,
        body,
        stream: (range) => store.createReadStream(key, range),
        close: () => undefined,
      };
    }
  } catch (err) {
    if (err instanceof BlobNotFoundError || err instanceof InvalidBlobKeyError) return null;
    throw err;
  }
}
