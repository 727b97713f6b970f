/**
 * The videos resource: upload (multipart, streamed straight into the blob store; optional fields
 * `title` and `extraCodecs`), read, list
 * (filter, search, sort), edit details, delete, follow processing over Server-Sent Events, and find
 * the storyboard (redirects to the published VTT/JSON, for automation that knows only the video id).
 * Who may do what: src/api/request-auth.ts (uploads: creators and admins; changes: the owner or an
 * admin; reads: anyone for public and unlisted videos, the owner and admins for private ones).
 * A private video's file URLs are answered in a form the caller's browser can fetch
 * (playback-tokens.ts `browserPlaybackToken`).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { VIDEO_VISIBILITIES, type VideoVisibility } from '../db/schema.js';
import { BadRequestError, NotFoundError, UploadTooLargeError } from '../errors.js';
import { ID_PATTERN, newId } from '../ids.js';
import type { ExtraVideoCodec, LadderPlan } from '../pipeline/ladder-types.js';
import { videoKeyPrefix } from '../pipeline/process-video.js';
import { assertFreeSpace } from '../storage/free-space.js';
import { describeDetailsProblems, videoDetailsSchema } from '../videos/video-details.js';
import { acceptVideo, parseExtraCodecs, titleFromFileName, titleSchema } from '../videos/video-intake.js';
import { publishedExtras, streamPath, toVideoJson, VIDEO_SORTS, type VideoSearch } from '../videos/video-repository.js';
import { documented } from './api-docs.js';
import { videoJsonForBrowser, withToken } from './playback-tokens.js';
import { editableVideo, requireUploader, viewableVideo } from './request-auth.js';
import { streamVideoEvents } from './video-events-stream.js';

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: ID_PATTERN } },
  required: ['id'],
} as const;

/** The multipart form of an upload, for the document (the handler reads the parts as they stream in). */
const uploadFormSchema = z.object({
  file: z.file().describe('the video or audio file: identified by probing its bytes, never by its name'),
  title: titleSchema.optional().describe('default: from the file name'),
  visibility: z.enum(VIDEO_VISIBILITIES).optional().describe('default: public'),
  extraCodecs: z.string().optional().describe('comma-separated extra ladders beside H.264, e.g. "av1" (STREAMFORGE_EXTRA_CODECS lists the allowed)'),
});

export function registerVideoRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { store, videos } = ctx;

  app.post('/api/videos', {
    schema: { summary: 'Upload a video (multipart: file, optional title, visibility, extraCodecs); 201 with the record', tags: ['videos'], consumes: ['multipart/form-data'] },
    config: documented({ body: uploadFormSchema }),
  }, async (request, reply) => {
    const uploader = requireUploader(request);
    if (!request.isMultipart()) {
      throw new BadRequestError('expected multipart/form-data with the video in a field named "file"');
    }
    // A chunked request declares no length: then only the reserve is checked (the size cap still holds).
    const declaredBytes = Number(request.headers['content-length'] ?? 0);
    await assertFreeSpace({ directory: ctx.config.dataDir, incomingBytes: declaredBytes, minFreeBytes: ctx.config.minFreeBytes });
    const id = newId();
    const sourceKey = `originals/${id}`;
    let title: string | undefined;
    let extraCodecs: ExtraVideoCodec[] | undefined;
    let visibility: VideoVisibility | undefined;
    let fileName: string | undefined;
    let bytes = -1;
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          if (part.fieldname !== 'file' || bytes >= 0) {
            throw new BadRequestError(`unexpected file field "${part.fieldname}": send one file, in the field "file"`);
          }
          fileName = part.filename;
          ({ bytes } = await store.putStream(sourceKey, part.file));
          if (part.file.truncated) throw tooLarge(ctx.config.maxUploadBytes);
        } else if (part.fieldname === 'title') {
          const parsed = titleSchema.safeParse(part.value);
          if (!parsed.success) throw new BadRequestError('title: 1 to 200 characters');
          title = parsed.data;
        } else if (part.fieldname === 'extraCodecs') {
          const parsed = parseExtraCodecs(String(part.value));
          if ('error' in parsed) throw new BadRequestError(parsed.error);
          extraCodecs = parsed.codecs;
        } else if (part.fieldname === 'visibility') {
          const value = String(part.value);
          if (!(VIDEO_VISIBILITIES as readonly string[]).includes(value)) throw new BadRequestError(`visibility: one of ${VIDEO_VISIBILITIES.join(', ')}`);
          visibility = value as VideoVisibility;
        }
      }
    } catch (err) {
      await store.delete(sourceKey).catch(() => {});
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(ctx.config.maxUploadBytes);
      throw err;
    }
    if (bytes < 0) throw new BadRequestError('no file: send the video in a multipart field named "file"');
    if (bytes === 0) {
      await store.delete(sourceKey);
      throw new BadRequestError('the uploaded file is empty');
    }

    const row = await acceptVideo(ctx, {
      id,
      sourceKey,
      sourceBytes: bytes,
      sourceName: fileName ?? null,
      title: title ?? titleFromFileName(fileName),
      extraCodecs,
      ownerId: uploader.userId,
      visibility,
    });
    return reply.code(201).header('Location', `/api/videos/${id}`).send(toVideoJson(row));
  });

  app.get('/api/videos', {
    schema: {
      summary: 'List and search videos',
      tags: ['videos'],
      querystring: {
        type: 'object',
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
          offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
          status: { type: 'string', enum: ['processing', 'ready', 'failed'] },
          q: { type: 'string', maxLength: 200 },
          sort: { type: 'string', enum: VIDEO_SORTS, default: 'newest' },
          // `me`: only the caller's own videos, whatever their visibility.
          owner: { type: 'string', enum: ['me'] },
        },
        additionalProperties: false,
      },
    },
  }, async (request) => {
    const { owner, ...query } = request.query as VideoSearch & { owner?: 'me' };
    // Ajv coerces `limit=Infinity` to a number its minimum/maximum never check (they test finite
    // numbers only): SQL then failed on it, a 500 (found by test/fuzz/http.test.ts).
    if (!Number.isFinite(query.limit) || !Number.isFinite(query.offset)) throw new BadRequestError('limit and offset must be whole numbers');
    const principal = request.principal;
    const visibleTo = principal?.role === 'admin' ? 'all' : { userId: principal?.userId ?? null };
    if (owner === 'me' && !principal) return { videos: [], total: 0, limit: query.limit, offset: query.offset };
    const { rows, total } = await videos.search({ ...query, visibleTo, ...(owner === 'me' && principal && { ownerId: principal.userId }) });
    return { videos: await Promise.all(rows.map((row) => videoJsonForBrowser(ctx, request, row))), total, limit: query.limit, offset: query.offset };
  });

  // Details only; any status (an owner fixes a title while the video still transcodes).
  app.patch('/api/videos/:id', {
    schema: { summary: 'Edit details (JSON: title, description, tags, visibility)', tags: ['videos'], params: idParams },
    config: documented({ body: videoDetailsSchema }),
  }, async (request) => {
    const { id } = request.params as { id: string };
    const before = await editableVideo(ctx, request, id);
    if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body)) {
      throw new BadRequestError('expected a JSON object with any of title, description, tags, visibility');
    }
    const parsed = videoDetailsSchema.safeParse(request.body);
    if (!parsed.success) throw new BadRequestError(describeDetailsProblems(parsed.error));
    const row = await videos.updateDetails(id, parsed.data);
    if (!row) throw new NotFoundError(`no video ${id}`);
    // Every process's /stream/ access check drops what it knew of this video (src/auth/stream-access.ts).
    // The bus also empties the origins' caches of its files: a small price for a rare change.
    if (row.visibility !== before.visibility) ctx.invalidations.publish(`videos/${id}/`);
    return videoJsonForBrowser(ctx, request, row);
  });

  app.get('/api/videos/:id', { schema: { summary: 'One video: status, progress, playback URLs', tags: ['videos'], params: idParams } }, async (request) => {
    const { id } = request.params as { id: string };
    // A private video's URLs carry a playback token where the caller's browser would need one.
    return videoJsonForBrowser(ctx, request, await viewableVideo(ctx, request, id));
  });

  app.delete('/api/videos/:id', { schema: { summary: 'Delete a video and everything published for it', tags: ['videos'], params: idParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const row = await editableVideo(ctx, request, id);
    // A running job notices on its next step (markReady fails) and discards its outputs.
    await videos.delete(id);
    await ctx.stageRecords.deleteForVideo(id);
    // The store announces each deletion to every process's origin (deletion-announcing-store.ts).
    await store.deletePrefix(videoKeyPrefix(id));
    await store.delete(row.source_key);
    return reply.code(204).send();
  });

  app.get('/api/videos/:id/events', { schema: { summary: 'Processing progress as Server-Sent Events until ready or failed', tags: ['videos'], params: idParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    await viewableVideo(ctx, request, id);
    streamVideoEvents({ request, reply, videoId: id, ctx });
  });

  // 302, not 301: the target names this processing attempt's version, which changes on re-encode.
  const storyboardIndexes = [['storyboard.vtt', 'storyboardVtt'], ['storyboard.json', 'storyboardJson']] as const;
  for (const [file, extra] of storyboardIndexes) {
    app.get(`/api/videos/:id/${file}`, { schema: { summary: `302 to the published ${file}`, tags: ['images'], params: idParams } }, async (request, reply) => {
      const { id } = request.params as { id: string };
      const token = playbackTokenOf(request.query);
      const row = await viewableVideo(ctx, request, id, { token });
      if (row.status !== 'ready' || !row.ladder_json || !row.output_prefix) {
        throw new NotFoundError(`video ${id} has no storyboard (yet): it is ${row.status}`);
      }
      const published = publishedExtras(JSON.parse(row.ladder_json) as LadderPlan)[extra];
      if (!published) throw new NotFoundError(`video ${id} is audio only: it has no storyboard`);
      const target = streamPath(id, row.output_prefix, published);
      return reply.redirect(token ? withToken(target, token) : target, 302);
    });
  }
}

/** The `token` query parameter (a playback token), if any. */
export function playbackTokenOf(query: unknown): string | undefined {
  const token = (query as { token?: unknown } | undefined)?.token;
  return typeof token === 'string' && token.length > 0 && token.length <= 2048 ? token : undefined;
}

function tooLarge(limit: number): UploadTooLargeError {
  return new UploadTooLargeError(`upload exceeds the ${limit} byte limit (STREAMFORGE_MAX_UPLOAD_BYTES)`);
}
