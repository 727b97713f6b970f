/**
 * Resumable uploads: a tus 1.0 endpoint at /api/uploads (@tus/server over @tus/file-store, partial
 * uploads under <dataDir>/uploads/) with the creation, creation-with-upload, creation-defer-length,
 * termination and expiration extensions, and GET /api/uploads/:uploadId as JSON for clients that
 * want to know where an upload stands and which video it became.
 *
 * Mounted the way @tus/server documents for Fastify: a content-type parser that leaves the body
 * alone, and every method under the path handed to the tus server as raw Node request/response.
 * Checksum is not offered: @tus/server 2.x (and @tus/file-store) do not implement that extension.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { ERRORS, MemoryLocker, Server, type Upload } from '@tus/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';
import { NotFoundError } from '../errors.js';
import { ID_PATTERN, newId } from '../ids.js';
import { UploadAcceptance, VIDEO_ID_METADATA_KEY } from '../videos/upload-acceptance.js';
import { titleSchema } from '../videos/video-intake.js';

export const UPLOADS_PATH = '/api/uploads';
/** Response header of the completing request naming the video the upload became. */
export const VIDEO_ID_HEADER = 'StreamForge-Video-Id';

/** Upload ids are video ids (see upload-acceptance.ts). */
const UPLOAD_ID = new RegExp(ID_PATTERN);

export async function registerUploadRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const logger = ctx.logger.child({ component: 'uploads' });
  const directory = path.join(ctx.config.dataDir, 'uploads');
  // FileStore creates its directory asynchronously in its constructor; listing needs it now.
  await fs.mkdir(directory, { recursive: true });
  const datastore = new FileStore({ directory, expirationPeriodInMilliseconds: ctx.config.uploadExpiryMs });
  const acceptance = new UploadAcceptance({ ctx, datastore, logger });

  const tus = new Server({
    path: UPLOADS_PATH,
    datastore,
    // Embedded mode: one process owns every upload. Scale-out needs a shared locker (#5).
    locker: new MemoryLocker(),
    maxSize: ctx.config.maxUploadBytes,
    relativeLocation: true,
    respectForwardedHeaders: false,
    exposedHeaders: [VIDEO_ID_HEADER],
    // Our ids, so the upload id can be the video id (see upload-acceptance.ts).
    namingFunction: () => newId(),
    onUploadCreate: async (_req, upload) => ({ metadata: validatedMetadata(upload) }),
    onResponseError: (_req, err) =>
      'status_code' in err && err.status_code === 413
        ? { status_code: 413, body: `upload exceeds the ${ctx.config.maxUploadBytes} byte limit (STREAMFORGE_MAX_UPLOAD_BYTES)\n` }
        : undefined,
    onUploadFinish: async (_req, upload) => {
      try {
        return { headers: { [VIDEO_ID_HEADER]: await acceptance.accept(upload.id) } };
      } catch (err) {
        logger.error({ err, uploadId: upload.id }, 'could not accept a completed upload');
        // The client retries the final PATCH (offset = size, empty body), which accepts again.
        throw { status_code: 500, body: 'the upload is stored but could not become a video; retry\n' };
      }
    },
  });

  // The server may have died between an upload's last byte and its video: finish those first.
  const recovered = await acceptance.acceptPending();
  if (recovered > 0) logger.info({ recovered }, 'accepted uploads completed before a restart');
  const sweep = setInterval(() => {
    tus.cleanUpExpiredUploads().then(
      (removed) => removed > 0 && logger.info({ removed }, 'expired uploads removed'),
      (err: unknown) => logger.warn({ err }, 'expired-upload sweep failed'),
    );
  }, ctx.config.uploadCleanupIntervalMs);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  const handOver = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    // Hijacked replies skip our onSend hook; keep its header.
    reply.raw.setHeader('X-Content-Type-Options', 'nosniff');
    await tus.handle(request.raw, reply.raw);
  };

  await app.register(async (scope) => {
    // The body is the upload's bytes: tus streams it to disk, Fastify must not read it.
    scope.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));

    // HEAD stays tus's (the upload offset), so no HEAD twin of this route.
    scope.get(`${UPLOADS_PATH}/:uploadId`, { exposeHeadRoute: false }, async (request) => {
      const { uploadId } = request.params as { uploadId: string };
      if (!UPLOAD_ID.test(uploadId)) throw new NotFoundError(`no upload ${uploadId}`);
      let upload: Upload;
      try {
        upload = await datastore.getUpload(uploadId);
      } catch (err) {
        if (err === ERRORS.FILE_NOT_FOUND || err === ERRORS.FILE_NO_LONGER_EXISTS) {
          throw new NotFoundError(`no upload ${uploadId}`);
        }
        throw err;
      }
      const size = upload.size ?? null;
      const complete = size !== null && upload.offset === size;
      // Also the lazy path of acceptance: a complete upload reported here always has its video.
      const videoId = complete ? await acceptance.accept(uploadId) : null;
      return { uploadId, offset: upload.offset, size, complete, videoId };
    });
    scope.all(UPLOADS_PATH, handOver);
    scope.all(`${UPLOADS_PATH}/*`, handOver);
  });
}

/** Upload-Metadata is display text only: `filename` and `title`; our reserved key is dropped. */
function validatedMetadata(upload: Upload): Record<string, string | null> {
  if (upload.size === 0) throw { status_code: 400, body: 'the uploaded file is empty\n' };
  const { [VIDEO_ID_METADATA_KEY]: _reserved, ...metadata } = upload.metadata ?? {};
  if (metadata.title != null) {
    const title = titleSchema.safeParse(metadata.title);
    if (!title.success) throw { status_code: 400, body: 'title: 1 to 200 characters\n' };
    metadata.title = title.data;
  }
  if (metadata.filename != null && metadata.filename.length > 255) {
    throw { status_code: 400, body: 'filename: at most 255 characters\n' };
  }
  return metadata;
}
