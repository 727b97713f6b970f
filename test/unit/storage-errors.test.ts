import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FfmpegError, InsufficientStorageError, StorageUnavailableError } from '../../src/errors.js';
import { explainFullDisk } from '../../src/storage/storage-errors.js';

describe('explainFullDisk', () => {
  it('names a full disk when ffmpeg said so, keeping the original as the cause', async () => {
    const ffmpeg = new FfmpegError('ffmpeg failed (exit 1): Error writing trailer', 1, null, 'av_interleaved_write_frame(): No space left on device\n');
    const explained = await explainFullDisk(tmpdir(), ffmpeg);
    expect(explained).toBeInstanceOf(InsufficientStorageError);
    expect((explained as Error).message).toMatch(/disk is full/);
    expect((explained as Error).cause).toBe(ffmpeg);
  });

  it('types errno failures like the API does', async () => {
    const erofs = Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    expect(await explainFullDisk(tmpdir(), erofs)).toBeInstanceOf(StorageUnavailableError);
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, copyfile'), { code: 'ENOSPC' });
    expect(await explainFullDisk(tmpdir(), enospc)).toBeInstanceOf(InsufficientStorageError);
  });

  it('leaves other failures alone while the disk has room, or when the directory is gone', async () => {
    const other = new Error('not an HLS playlist');
    expect(await explainFullDisk(tmpdir(), other)).toBe(other);
    expect(await explainFullDisk(path.join(tmpdir(), 'no-such-directory-here'), other)).toBe(other);
  });
});
