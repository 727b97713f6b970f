/**
 * Turns a finished resumable (tus) upload into a video, exactly once per upload — whether the
 * completion arrives in the final PATCH, again in a retried PATCH, in a status request, or from
 * the start-up sweep after the server died between "last byte written" and "video created" — and
 * whichever API process does it, when several share the uploads volume (STREAMFORGE_UPLOADS_DIR).
 *
 * How "exactly once" holds without a new table:
 * - The video id IS the upload id (uploads are named with `newId()`, the video id alphabet), so the
 *   videos table's primary key admits at most one video per upload, across retries, restarts and
 *   concurrent callers in any process (a losing `acceptVideo` fails on the key and we adopt the winner's row).
 *   The job is deduplicated by acceptVideo's `process:<id>` key; a crash between the video row and
 *   its job is repaired by the reconciler, as for every other video.
 * - Once accepted, the upload's stored info gets a `streamforgeVideoId` metadata entry (a client
 *   cannot set it: creation strips it). An accepted upload is never accepted again, so deleting the
 *   video does not make a retry or the start-up sweep resurrect it.
 * (A `uploads` table written in the same transaction as the video was the alternative; it needs a
 * migration, and the database contract suite pins the migration list.)
 */
import path from 'node:path';
import type { FileStore } from '@tus/file-store';
import { Upload } from '@tus/server';
import type { Logger } from 'pino';
import type { AppContext } from '../app.js';
import { VIDEO_VISIBILITIES, type VideoVisibility } from '../db/schema.js';
import { acceptVideo, parseExtraCodecs, titleFromFileName } from './video-intake.js';

/** Upload-Metadata key recording the video an upload became; reserved, never taken from clients. */
export const VIDEO_ID_METADATA_KEY = 'streamforgeVideoId';
/** Upload-Metadata key recording who created the upload; reserved, set by the server. */
export const OWNER_ID_METADATA_KEY = 'streamforgeOwnerId';

function isVisibility(value: string | null | undefined): value is VideoVisibility {
  return (VIDEO_VISIBILITIES as readonly string[]).includes(value ?? '');
}

export interface UploadAcceptanceOptions {
  ctx: Pick<AppContext, 'videos' | 'queue' | 'worker' | 'store' | 'logger' | 'metrics'>;
  datastore: FileStore;
  logger: Logger;
}

export class UploadAcceptance {
  /** Callers for the same upload in this process share one attempt. */
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(private readonly options: UploadAcceptanceOptions) {}

  /** Accepts a complete upload (idempotent); returns its video id. */
  accept(uploadId: string): Promise<string> {
    let attempt = this.inFlight.get(uploadId);
    if (!attempt) {
      attempt = this.acceptOnce(uploadId).finally(() => this.inFlight.delete(uploadId));
      this.inFlight.set(uploadId, attempt);
    }
    return attempt;
  }

  /** The video id of an accepted upload, or null. */
  async acceptedVideoId(uploadId: string): Promise<string | null> {
    const info = await this.options.datastore.configstore.get(uploadId);
    return info?.metadata?.[VIDEO_ID_METADATA_KEY] ?? null;
  }

  /**
   * Start-up sweep: accepts every upload that is complete but was never accepted (the server died
   * at that moment). Failures are logged per upload and retried by the next request or restart.
   */
  async acceptPending(): Promise<number> {
    const { datastore, logger } = this.options;
    const ids = (await datastore.configstore.list?.()) ?? [];
    let accepted = 0;
    for (const id of ids) {
      try {
        const upload = await datastore.getUpload(id);
        if (upload.size === undefined || upload.offset !== upload.size) continue;
        if (await this.acceptedVideoId(id)) continue;
        await this.accept(id);
        accepted++;
      } catch (err) {
        logger.warn({ err, uploadId: id }, 'could not accept a completed upload at start-up');
      }
    }
    return accepted;
  }

  private async acceptOnce(uploadId: string): Promise<string> {
    const { ctx, datastore } = this.options;
    const already = await this.acceptedVideoId(uploadId);
    if (already) return already;

    const upload = await datastore.getUpload(uploadId);
    if (upload.size === undefined || upload.offset !== upload.size) {
      throw new Error(`upload ${uploadId} is not complete (${upload.offset} of ${upload.size ?? '?'} bytes)`);
    }
    const videoId = uploadId;
    // A video row without the marker: we died between creating it and marking; just mark.
    if (!(await ctx.videos.get(videoId))) {
      const sourceKey = `originals/${videoId}`;
      // Copied, not moved: the upload stays answerable (HEAD says complete) until it expires.
      await ctx.store.putFile(sourceKey, path.join(datastore.directory, uploadId));
      const fileName = upload.metadata?.filename ?? null;
      // Validated at creation (uploads.ts); absent: the configured default.
      const requested = upload.metadata?.extraCodecs != null ? parseExtraCodecs(upload.metadata.extraCodecs) : null;
      try {
        await acceptVideo(ctx, {
          id: videoId,
          sourceKey,
          sourceBytes: upload.size,
          sourceName: fileName,
          title: upload.metadata?.title ?? titleFromFileName(fileName),
          // Set by the server at creation (uploads.ts), never by the client.
          ownerId: upload.metadata?.[OWNER_ID_METADATA_KEY] ?? null,
          ...(isVisibility(upload.metadata?.visibility) && { visibility: upload.metadata.visibility }),
          ...(requested && 'codecs' in requested && { extraCodecs: requested.codecs }),
        });
      } catch (err) {
        // Another process won the race for the primary key: its video is ours too.
        if (!(await ctx.videos.get(videoId))) throw err;
      }
    }
    await this.markAccepted(uploadId, videoId);
    return videoId;
  }

  private async markAccepted(uploadId: string, videoId: string): Promise<void> {
    const { configstore } = this.options.datastore;
    const info = await configstore.get(uploadId);
    if (!info) return; // expired and swept meanwhile: nothing left to retry from
    await configstore.set(uploadId, new Upload({ ...info, metadata: { ...info.metadata, [VIDEO_ID_METADATA_KEY]: videoId } }));
  }
}
