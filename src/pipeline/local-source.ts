/** A local path of a stored original, for ffmpeg: the store's own file when on local disk, else a scratch copy. */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../storage/blob-store.js';

export async function localSourceFile(store: BlobStore, key: string, workDir: string): Promise<string> {
  if (store.localPath) return store.localPath(key);
  const file = path.join(workDir, 'source');
  await pipeline(await store.createReadStream(key), createWriteStream(file));
  return file;
}
