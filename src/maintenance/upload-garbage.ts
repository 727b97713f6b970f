/**
 * Resumable (tus) uploads past STREAMFORGE_UPLOAD_EXPIRY_MS: unfinished ones (abandoned by their
 * client, already refused with 410 by tus), and finished ones that became a video — their bytes were
 * copied to `originals/<id>` (upload-acceptance.ts), so the upload is a second copy. A complete upload
 * not yet accepted is kept whatever its age: it is the only copy, and the start-up sweep accepts it.
 * (tus's own sweep in uploads.ts cannot tell: it reads the offset recorded at creation, which
 * @tus/file-store never updates, so it takes every expired upload, complete or not. Here the offset
 * is the file's size, as getUpload reports it.)
 */
import { FileStore } from '@tus/file-store';
import { ERRORS } from '@tus/server';
import { VIDEO_ID_METADATA_KEY } from '../videos/upload-acceptance.js';
import type { GarbageSink } from './janitor.js';

export interface UploadGarbageOptions {
  datastore: FileStore;
  expiryMs: number;
  now: number;
  sink: GarbageSink;
}

export function openUploadsDatastore(directory: string): FileStore {
  return new FileStore({ directory });
}

export async function collectUploadGarbage(options: UploadGarbageOptions): Promise<void> {
  const { datastore, sink } = options;
  for (const id of (await datastore.configstore.list?.()) ?? []) {
    try {
      const upload = await datastore.getUpload(id);
      const createdAt = upload.creation_date ? Date.parse(upload.creation_date) : NaN;
      if (!Number.isFinite(createdAt) || options.now - createdAt <= options.expiryMs) continue;
      const complete = upload.size !== undefined && upload.offset === upload.size;
      if (complete && !upload.metadata?.[VIDEO_ID_METADATA_KEY]) continue;
      await datastore.remove(id);
      sink.removed(complete ? 'accepted-upload' : 'expired-upload', { uploadId: id });
    } catch (err) {
      // Removed by another process (or tus's own sweep) meanwhile: nothing left to do.
      if (err === ERRORS.FILE_NOT_FOUND || err === ERRORS.FILE_NO_LONGER_EXISTS) continue;
      throw err;
    }
  }
}
