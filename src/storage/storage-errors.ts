/**
 * What a failed disk write means to a client. ENOSPC/EDQUOT mid-write (the free-disk guard,
 * free-space.ts, checks before the bytes come, but other writers share the disk) is a 507 like the
 * guard's; EROFS (the data directory remounted read-only, e.g. after I/O errors) is a 503. Both say
 * plainly what happened instead of a bare 500; the writers already removed their partial files.
 */
import { statfs } from 'node:fs/promises';
import { InsufficientStorageError, StorageUnavailableError, type StreamForgeError } from '../errors.js';

/** The typed error for a file-system errno that a client should hear about, or null. */
export function storageErrorOf(err: unknown): StreamForgeError | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new InsufficientStorageError('no space left on the server’s disk: nothing was stored; retry once space is freed', { cause: err });
  }
  if (code === 'EROFS') {
    return new StorageUnavailableError('the server’s storage is read-only: nothing was stored; retry later', { cause: err });
  }
  return null;
}

/** Below this many free bytes, a writer's failure is put down to the disk being full. */
const FULL_DISK_BYTES = 1024 * 1024;

/**
 * A failure of a job writing a video's files under `directory`, explained as a full disk when it was one.
 * ffmpeg's HLS muxer can carry on past ENOSPC and exit 0, leaving a playlist cut short: the error that
 * surfaces then ("not an HLS playlist", a missing segment) does not say why, but the file system
 * does (the partial outputs are still there when this runs). Retried like any transient failure.
 */
export async function explainFullDisk(directory: string, err: unknown): Promise<unknown> {
  if (err instanceof InsufficientStorageError || (err as Error | null)?.name === 'AbortError') return err;
  const typed = storageErrorOf(err);
  if (typed) return typed;
  const text = `${(err as Error | null)?.message ?? ''}\n${(err as { stderrTail?: string } | null)?.stderrTail ?? ''}`;
  let full = /No space left on device|Disk quota exceeded/i.test(text);
  if (!full) {
    try {
      const stats = await statfs(directory);
      full = stats.bavail * stats.bsize < FULL_DISK_BYTES;
    } catch {
      // The directory is gone or unreadable: nothing to add to the original error.
    }
  }
  if (!full) return err;
  return new InsufficientStorageError('the server’s disk is full: the video’s files could not be written; the job is retried once space is freed', { cause: err });
}
