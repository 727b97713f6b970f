/**
 * The free-disk guard shared by every way bytes arrive (multipart POST /api/videos, tus creation
 * and PATCH): an upload that would leave less than `minFreeBytes` free on the data directory's
 * file system is refused up front, so it never fails half-way on ENOSPC and the database,
 * transcodes and logs keep room to work. It is a check, not a reservation: concurrent uploads
 * each see the same free space, which the reserve is there to absorb.
 */
import fs from 'node:fs/promises';
import { InsufficientStorageError } from '../errors.js';

export interface FreeSpaceCheck {
  /** A directory on the file system the bytes go to. */
  directory: string;
  /** Bytes about to be stored (0 when unknown: then only the reserve is checked). */
  incomingBytes: number;
  minFreeBytes: number;
}

/** Throws InsufficientStorageError (507) when `incomingBytes` would eat into the reserve. */
export async function assertFreeSpace(check: FreeSpaceCheck): Promise<void> {
  const stats = await fs.statfs(check.directory);
  // bavail, not bfree: the blocks reserved for root are not ours to fill.
  const freeBytes = stats.bavail * stats.bsize;
  if (check.incomingBytes + check.minFreeBytes > freeBytes) {
    throw new InsufficientStorageError(
      `not enough free disk space: storing ${check.incomingBytes} more bytes would leave less than ` +
        `${check.minFreeBytes} bytes free (STREAMFORGE_MIN_FREE_BYTES); ${freeBytes} bytes are free`,
    );
  }
}
