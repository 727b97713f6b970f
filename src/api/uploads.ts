/**
 * Resumable uploads: a tus 1.0 endpoint at /api/uploads (@tus/server over @tus/file-store, partial
 * uploads under STREAMFORGE_UPLOADS_DIR, default <dataDir>/uploads/) with the creation, creation-with-upload, creation-defer-length,
 * termination, expiration and checksum (sha1, sha256, md5) extensions, and GET
 * /api/uploads/:uploadId as JSON for clients that want to know where an upload stands and which
 * video it became.
 *
 * Mounted the way @tus/server documents for Fastify: a content-type parser that leaves the body
 * alone, and every method under the path handed to the tus server as raw Node request/response.
 * Checksum is ours (tus-checksum.ts): @tus/server 2.x and @tus/file-store do not implement it.
 * Creation and PATCH are refused with 507 up front when the bytes would eat into the disk's
 * reserve (STREAMFORGE_MIN_FREE_BYTES, src/storage/free-space.ts).
 *
 * Many API processes (docs/scale-out.md): they share the uploads directory (a shared volume) and,
 * when REDIS_URL is set, one lock per upload in Redis (redis-upload-locker.ts), so consecutive
 * PATCHes of an upload may reach different processes and a resuming client cuts a stale PATCH
 * wherever it runs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs/promises';
import { ERRORS, type Locker, MemoryLocker, Server, type Upload } from '@tus/server';
import { Redis } from 'ioredis';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';
import { InsufficientStorageError, NotFoundError } from '../errors.js';
import { ID_PATTERN, newId } from '../ids.js';
import { assertFreeSpace } from '../storage/free-space.js';
import { storageErrorOf } from '../storage/storage-errors.js';
import { OWNER_ID_METADATA_KEY, UploadAcceptance, VIDEO_ID_METADATA_KEY } from '../videos/upload-acceptance.js';
import type { Principal } from '../auth/principal.js';
import { VIDEO_VISIBILITIES } from '../db/schema.js';
import { corsAllows, corsAllowsCredentials } from './cors.js';
import { requireUploader, requireUser } from './request-auth.js';
import { parseExtraCodecs, titleSchema } from '../videos/video-intake.js';
import { RedisUploadLocker } from './redis-upload-locker.js';
import {
  CHECKSUM_ALGORITHM_HEADER,
  CHECKSUM_ALGORITHMS,
  CHECKSUM_HEADER,
  ChecksumFileStore,
  nameChecksumMismatchStatus,
} from './tus-checksum.js';

export const UPLOADS_PATH = '/api/uploads';
/** Response header of the completing request naming the video the upload became. */
export const VIDEO_ID_HEADER = 'StreamForge-Video-Id';

/** Headers of every counted API answer (rate-limit-hook.ts, request-id.ts), for pages on other origins. */
const HOOK_HEADERS_TO_EXPOSE = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Request-Id'];

/** Upload ids are video ids (see upload-acceptance.ts). */
const UPLOAD_ID = new RegExp(ID_PATTERN);

export async function registerUploadRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const logger = ctx.logger.child({ component: 'uploads' });
  // A volume every API process mounts when there are several (STREAMFORGE_UPLOADS_DIR).
  const directory = ctx.config.uploadsDir;
  // FileStore creates its directory asynchronously in its constructor; listing needs it now.
  await fs.mkdir(directory, { recursive: true });
  const datastore = new ChecksumFileStore({ directory, expirationPeriodInMilliseconds: ctx.config.uploadExpiryMs });
  const acceptance = new UploadAcceptance({ ctx, datastore, logger });
  const locker = openUploadLocker(ctx, logger);
  app.addHook('onClose', async () => {
    if (locker instanceof RedisUploadLocker) await locker.close();
  });

  const tus = new Server({
    path: UPLOADS_PATH,
    datastore,
    locker,
    maxSize: ctx.config.maxUploadBytes,
    relativeLocation: true,
    respectForwardedHeaders: false,
    allowedHeaders: [CHECKSUM_HEADER],
    // tus's list replaces the one cors.ts sends: name again what the API's hooks put on its answers.
    exposedHeaders: [VIDEO_ID_HEADER, CHECKSUM_ALGORITHM_HEADER, ...HOOK_HEADERS_TO_EXPOSE],
    // tus writes its own CORS headers (past Fastify's): the same decision as cors.ts, so none by default.
    allowedOrigins: (origin) => corsAllows(ctx.config, origin),
    allowedCredentials: corsAllowsCredentials(ctx.config),
    // Our ids, so the upload id can be the video id (see upload-acceptance.ts).
    namingFunction: () => newId(),
    // Before an upload is created or a byte is written: nothing to undo when we refuse.
    onIncomingRequest: async (req) => {
      if (req.method !== 'POST' && req.method !== 'PATCH') return;
      datastore.expectedChecksum(); // throws 400 for a malformed or unsupported Upload-Checksum
      // Creation needs room for the whole upload, a PATCH for its body; unknown lengths check the reserve only.
      const declared = Number(
        (req.method === 'POST'
          ? (req.headers.get('upload-length') ?? req.headers.get('content-length'))
          : req.headers.get('content-length')) ?? 0,
      );
      // More than an upload may hold is the client's mistake, not a full disk: tus answers it with
      // 413 before writing a byte (it was a 507: a PATCH with Content-Length 10^15, test/fuzz/http.test.ts).
      if (declared > ctx.config.maxUploadBytes) return;
      try {
        await assertFreeSpace({ directory, incomingBytes: declared, minFreeBytes: ctx.config.minFreeBytes });
      } catch (err) {
        if (err instanceof InsufficientStorageError) throw { status_code: err.statusCode, body: `${err.message}\n` };
        throw err;
      }
    },
    // The owner comes from the request's credentials (handOver), never from the client's metadata.
    onUploadCreate: async (_req, upload) => ({ metadata: { ...validatedMetadata(upload), [OWNER_ID_METADATA_KEY]: uploader.getStore()!.userId } }),
    onResponseError: (_req, err) => {
      if ('status_code' in err && err.status_code === 413) {
        return { status_code: 413, body: `upload exceeds the ${ctx.config.maxUploadBytes} byte limit (STREAMFORGE_MAX_UPLOAD_BYTES)\n` };
      }
      // A full or read-only disk mid-PATCH: what was written stays, the offset says where to resume.
      const storage = storageErrorOf(err);
      return storage ? { status_code: storage.statusCode, body: `${storage.message}\n` } : undefined;
    },
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
  // Expired uploads are swept by the janitor (src/maintenance/upload-garbage.ts), not by
  // tus's cleanUpExpiredUploads: @tus/file-store judges completeness by the offset in its .json
  // file, which stays 0 after creation, so its sweep also deleted finished uploads that had not
  // yet become a video — the only copy.

  /**
   * Creating an upload needs the creator or admin role; touching one (HEAD, PATCH, DELETE, GET) its
   * creator or an admin — anyone else gets the 404 of an upload that does not exist. Preflights pass.
   */
  const authorise = async (request: FastifyRequest, uploadId: string | null): Promise<Principal | null> => {
    if (request.method === 'OPTIONS') return null;
    if (uploadId === null) return request.method === 'POST' ? requireUploader(request) : requireUser(request);
    const principal = requireUser(request);
    if (principal.role === 'admin') return principal;
    const info = UPLOAD_ID.test(uploadId) ? await datastore.configstore.get(uploadId) : undefined;
    // An unknown upload is tus's to answer (404); another user's looks the same.
    if (info && info.metadata?.[OWNER_ID_METADATA_KEY] !== principal.userId) throw new NotFoundError(`no upload ${uploadId}`);
    return principal;
  };
  const uploader = new AsyncLocalStorage<Principal>();

  const handOver = async (request: FastifyRequest, reply: FastifyReply) => {
    const uploadId = request.url.split('?')[0]!.slice(UPLOADS_PATH.length + 1) || null;
    const principal = await authorise(request, uploadId);
    reply.hijack();
    // A hijacked reply is written by tus straight to the socket: Fastify no longer sends the headers
    // the onRequest hooks set (RateLimit-*, rate-limit-hook.ts; X-Request-Id; CORS), nor runs our
    // onSend hook. Hand both on, so tus answers carry what every other API answer does.
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    reply.raw.setHeader('X-Content-Type-Options', 'nosniff');
    if (request.method === 'OPTIONS') reply.raw.setHeader(CHECKSUM_ALGORITHM_HEADER, CHECKSUM_ALGORITHMS.join(','));
    nameChecksumMismatchStatus(reply.raw);
    // Node joins a repeated header with ", ", which parses as malformed (400).
    const checksum = request.headers['upload-checksum'];
    const checksumHeader = Array.isArray(checksum) ? checksum.join(', ') : checksum;
    const handle = () => datastore.withRequestChecksum(checksumHeader, () => tus.handle(request.raw, reply.raw));
    await (principal ? uploader.run(principal, handle) : handle());
  };

  await app.register(async (scope) => {
    // The body is the upload's bytes: tus streams it to disk, Fastify must not read it.
    scope.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));

    // HEAD stays tus's (the upload offset), so no HEAD twin of this route.
    scope.get(`${UPLOADS_PATH}/:uploadId`, { exposeHeadRoute: false, schema: { summary: 'State of a resumable upload: offset, size, complete, videoId', tags: ['uploads'] } }, async (request) => {
      const { uploadId } = request.params as { uploadId: string };
      if (!UPLOAD_ID.test(uploadId)) throw new NotFoundError(`no upload ${uploadId}`);
      await authorise(request, uploadId);
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
    const tusDocs = { schema: { summary: 'tus 1.0.0: POST creates, PATCH appends, HEAD gives the offset, DELETE ends, OPTIONS discovers', tags: ['uploads'] } };
    scope.all(UPLOADS_PATH, tusDocs, handOver);
    scope.all(`${UPLOADS_PATH}/*`, tusDocs, handOver);
  });
}

/**
 * One process owns every upload in embedded mode (MemoryLocker); with Redis, the lock of an upload
 * is shared by every API process, whichever receives its requests.
 */
function openUploadLocker(ctx: AppContext, logger: AppContext['logger']): Locker {
  if (!ctx.config.redisUrl) return new MemoryLocker();
  return new RedisUploadLocker({
    redis: new Redis(ctx.config.redisUrl, { connectionName: `${ctx.config.redisPrefix}:tus-locker` }),
    keyPrefix: ctx.config.redisPrefix,
    logger: logger.child({ component: 'upload-locker' }),
  });
}

/**
 * Upload-Metadata: display text (`filename`, `title`) and the processing option `extraCodecs`
 * (av1,vp9 | none); our reserved key is dropped.
 */
function validatedMetadata(upload: Upload): Record<string, string | null> {
  if (upload.size === 0) throw { status_code: 400, body: 'the uploaded file is empty\n' };
  const { [VIDEO_ID_METADATA_KEY]: _reserved, [OWNER_ID_METADATA_KEY]: _owner, ...metadata } = upload.metadata ?? {};
  if (metadata.visibility != null && !(VIDEO_VISIBILITIES as readonly string[]).includes(metadata.visibility)) {
    throw { status_code: 400, body: `visibility: one of ${VIDEO_VISIBILITIES.join(', ')}\n` };
  }
  if (metadata.title != null) {
    const title = titleSchema.safeParse(metadata.title);
    if (!title.success) throw { status_code: 400, body: 'title: 1 to 200 characters\n' };
    metadata.title = title.data;
  }
  // PostgreSQL refuses NUL in text: such a name would fail the completed upload's video (500) for good.
  if (metadata.filename != null && (metadata.filename.length > 255 || metadata.filename.includes('\u0000'))) {
    throw { status_code: 400, body: 'filename: at most 255 characters, no NUL\n' };
  }
  if (metadata.extraCodecs != null) {
    const parsed = parseExtraCodecs(metadata.extraCodecs);
    if ('error' in parsed) throw { status_code: 400, body: `${parsed.error}\n` };
    metadata.extraCodecs = parsed.codecs.join(',') || 'none';
  }
  return metadata;
}
