/**
 * What a failed disk write means to a client. ENOSPC/EDQUOT mid-write (the free-disk guard,
 * free-space.ts, checks before the bytes come, but other writers share the disk) is a 507 like the
 * guard's; EROFS (the data directory remounted read-only, e.g. after I/O errors) is a 503. Both say
 * plainly what happened instead of a bare 500; the writers already removed their partial files.
 */
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
