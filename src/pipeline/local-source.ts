/** A local path of a stored original, for ffmpeg: the store's own file when on local disk, else a scratch copy. */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../storage/blob-store.js';

export async function localSourceFile(store: BlobStore, key: string, workDir: string): Promise<string> {
  if (store.localPath) return store.localPath(key);
  const file = path.join(workDir, 'source');
  await pipeline(await store.createReadStream(key), createWriteStream(file));
  return file;
}

/**
 * Originals cached per video in a worker's own directory, for chunk jobs (docs/chunked-encoding.md):
 * several chunks of one video on the same worker fetch the original once. A copy appears by rename,
 * so a reader never sees a partial file; concurrent requests on this worker share one download.
 * On a local-disk store the store's own file is used and nothing is copied.
 */
export class SourceCache {
  private readonly downloads = new Map<string, Promise<string>>();

  constructor(private readonly options: { store: BlobStore; rootDir: string }) {}

  /** Directory of one video's cached files (removed with `evict`). */
  dirOf(videoId: string): string {
    return path.join(this.options.rootDir, videoId);
  }

  async path(videoId: string, key: string): Promise<string> {
    const { store } = this.options;
    if (store.localPath) return store.localPath(key);
    const file = path.join(this.dirOf(videoId), 'source');
    try {
      await access(file);
      return file;
    } catch {
      /* not cached yet */
    }
    let download = this.downloads.get(videoId);
    if (!download) {
      download = (async () => {
        await mkdir(path.dirname(file), { recursive: true });
        const partial = `${file}.${randomBytes(4).toString('hex')}.part`;
        await pipeline(await store.createReadStream(key), createWriteStream(partial));
        await rename(partial, file);
        return file;
      })().finally(() => this.downloads.delete(videoId));
      this.downloads.set(videoId, download);
    }
    return download;
  }

  async evict(videoId: string): Promise<void> {
    await rm(this.dirOf(videoId), { recursive: true, force: true });
  }

  /** Removes the cached originals of videos that no longer need them (not processing any more). */
  async sweep(stillNeeded: (videoId: string) => Promise<boolean>): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(this.options.rootDir);
    } catch {
      return; // nothing cached yet
    }
    for (const videoId of entries) {
      if (this.downloads.has(videoId)) continue;
      if (!(await stillNeeded(videoId))) await this.evict(videoId);
    }
  }
}
