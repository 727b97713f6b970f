/**
 * The embedded BlobStore: one file per key under a root directory, so the origin can serve
 * segments straight from disk (localPath) and an operator can inspect outputs with `ls`.
 *
 * Writes are atomic the POSIX way: the bytes go to a unique file in `<root>/.tmp/` (the same file
 * system, so rename cannot degrade into a copy), are fsynced, and the file is renamed into place.
 * A reader therefore sees no object or the whole object. `.tmp` can never clash with a key, because
 * keys start with a letter or digit, and list() skips it. A temp file is named after its writer
 * (`<host>~<pid>~<uuid>`), so one that a killed process left behind can be told from one a live
 * process on a shared volume is still writing (removeStaleTempFiles, at start-up).
 */
import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertValidKey,
  assertValidPrefix,
  BlobNotFoundError,
  type BlobRange,
  type BlobStat,
  type BlobStore,
} from './blob-store.js';

export interface LocalBlobStoreOptions {
  /** Directory holding the objects; created on first write. */
  root: string;
}

const TMP_DIR = '.tmp';
/** Temp files of writers on other hosts (or unnamed) are removed only once this old. */
const FOREIGN_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** A concurrent delete may prune the parent directory between mkdir and rename; try again. */
const RENAME_ATTEMPTS = 5;

export class LocalBlobStore implements BlobStore {
  readonly root: string;
  private readonly tmpDir: string;

  constructor(options: LocalBlobStoreOptions) {
    this.root = path.resolve(options.root);
    this.tmpDir = path.join(this.root, TMP_DIR);
  }

  /**
   * Removes temp files whose writer is gone: this host's dead processes (a kill -9 mid-write), and
   * anything older than a day. Returns how many were removed.
   */
  async removeStaleTempFiles(): Promise<number> {
    const host = hostname();
    let removed = 0;
    for (const entry of await readDir(this.tmpDir)) {
      const file = path.join(this.tmpDir, entry.name);
      const [writerHost, pid] = entry.name.split('~');
      const stale =
        writerHost === host && pid !== undefined
          ? Number(pid) === process.pid || !isProcessAlive(Number(pid))
          : Date.now() - ((await fs.stat(file).catch(() => null))?.mtimeMs ?? Date.now()) > FOREIGN_TEMP_MAX_AGE_MS;
      if (stale) {
        await fs.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  localPath(key: string): string {
    assertValidKey(key);
    return path.join(this.root, key);
  }

  async putFile(key: string, filePath: string): Promise<void> {
    const target = this.localPath(key);
    // A copy, never a rename of the caller's file: the caller owns its input. copyFile may reflink.
    await this.writeAtomically(target, async (tmp) => {
      await fs.copyFile(filePath, tmp);
    });
  }

  async putBytes(key: string, data: Buffer | string): Promise<void> {
    const target = this.localPath(key);
    await this.writeAtomically(target, async (tmp) => {
      await fs.writeFile(tmp, data, { flag: 'wx' });
    });
  }

  async putStream(key: string, stream: Readable): Promise<{ bytes: number }> {
    const target = this.localPath(key);
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    // The source may fail while the temp directory is being made, before pipeline listens; its
    // 'error' would then be an uncaught exception. pipeline still rejects with the stored error.
    const ignoreEarlyError = () => {};
    stream.on('error', ignoreEarlyError);
    try {
      await this.writeAtomically(target, async (tmp) => {
        // Opened before the pipeline starts: a stream that fails at once must not leave a write
        // stream still opening (and creating) the temp file after the clean-up removed it.
        const handle = await fs.open(tmp, 'wx');
        await pipeline(stream, counter, handle.createWriteStream());
      });
    } finally {
      stream.off('error', ignoreEarlyError);
    }
    return { bytes };
  }

  async getBytes(key: string): Promise<Buffer> {
    const file = this.localPath(key);
    try {
      return await fs.readFile(file);
    } catch (err) {
      if (isAbsent(err)) throw new BlobNotFoundError(key);
      throw err;
    }
  }

  async createReadStream(key: string, range?: BlobRange): Promise<Readable> {
    const file = this.localPath(key);
    if (range) assertValidRange(range);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      if (isAbsent(err)) throw new BlobNotFoundError(key);
      throw err;
    }
    try {
      // Opening a directory succeeds on Linux; a directory is a prefix, not an object.
      if (!(await handle.stat()).isFile()) throw new BlobNotFoundError(key);
    } catch (err) {
      await handle.close();
      throw err;
    }
    // The open handle keeps the bytes readable even if the object is replaced or deleted meanwhile.
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<BlobStat | null> {
    const file = this.localPath(key);
    try {
      const stats = await fs.stat(file);
      return stats.isFile() ? { size: stats.size, mtimeMs: stats.mtimeMs } : null;
    } catch (err) {
      if (isAbsent(err)) return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const keys: string[] = [];
    await this.walk(prefix, keys);
    // Code-unit order equals byte order for the key alphabet, as S3 lists.
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    const file = this.localPath(key);
    try {
      await fs.unlink(file);
    } catch (err) {
      if (isAbsent(err)) return;
      // unlink of a directory: there is no object at this key, only a prefix.
      if (isErrno(err, 'EISDIR') || isErrno(err, 'EPERM')) {
        const stats = await fs.lstat(file).catch(() => null);
        if (stats?.isDirectory()) return;
      }
      throw err;
    }
    await this.pruneEmptyDirs(path.dirname(file));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    const keys = await this.list(prefix);
    if (prefix === '') {
      const entries = await readDir(this.root);
      await Promise.all(
        entries
          .filter((entry) => entry.name !== TMP_DIR)
          .map((entry) => fs.rm(path.join(this.root, entry.name), { recursive: true, force: true })),
      );
      return keys.length;
    }
    const dir = path.join(this.root, prefix);
    await fs.rm(dir, { recursive: true, force: true });
    await this.pruneEmptyDirs(path.dirname(dir));
    return keys.length;
  }

  /** Writes through `write(tmpPath)`, fsyncs, renames onto `target`; never leaves a partial object. */
  private async writeAtomically(target: string, write: (tmpPath: string) => Promise<void>): Promise<void> {
    await fs.mkdir(this.tmpDir, { recursive: true });
    const tmp = path.join(this.tmpDir, `${hostname()}~${process.pid}~${randomUUID()}`);
    try {
      await write(tmp);
      await fsyncFile(tmp);
      await this.renameIntoPlace(tmp, target);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    // The rename itself is durable only once its directory is; best effort, as some systems refuse.
    await fsyncDir(path.dirname(target)).catch(() => {});
  }

  private async renameIntoPlace(tmp: string, target: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await fs.mkdir(path.dirname(target), { recursive: true });
      try {
        await fs.rename(tmp, target);
        return;
      } catch (err) {
        if (!isErrno(err, 'ENOENT') || attempt >= RENAME_ATTEMPTS) throw err;
      }
    }
  }

  private async walk(prefix: string, keys: string[]): Promise<void> {
    const entries = await readDir(path.join(this.root, prefix));
    for (const entry of entries) {
      // Dot-names are never keys (.tmp, editor and OS litter).
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) await this.walk(`${prefix}${entry.name}/`, keys);
      else if (entry.isFile()) keys.push(`${prefix}${entry.name}`);
    }
  }

  /** Removes empty directories from `dir` up to (not including) the root. */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.root + path.sep)) {
      try {
        await fs.rmdir(current);
      } catch {
        // Not empty (or already gone, or recreated by a writer): stop here.
        return;
      }
      current = path.dirname(current);
    }
  }
}

async function readDir(dir: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isAbsent(err)) return [];
    throw err;
  }
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but another user's.
    return isErrno(err, 'EPERM');
  }
}

function assertValidRange(range: BlobRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range ${start}-${end}`);
  }
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** ENOTDIR: a path component is a file (key `a/b` when `a` is an object). EISDIR: key names a prefix. */
function isAbsent(err: unknown): boolean {
  return isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR') || isErrno(err, 'EISDIR');
}
