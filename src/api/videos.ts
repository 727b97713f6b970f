/**
 * The videos resource: upload (multipart, streamed straight into the blob store; optional fields
 * `title` and `extraCodecs`), read, list
 * (filter, search, sort), edit details, delete, follow processing over Server-Sent Events, and find
 * the storyboard (redirects to the published VTT/JSON, for automation that knows only the video id).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';
import { BadRequestError, NotFoundError, UploadTooLargeError } from '../errors.js';
import { ID_PATTERN, newId } from '../ids.js';
import type { LadderPlan } from '../pipeline/ladder-types.js';
import { videoKeyPrefix } from '../pipeline/process-video.js';
import { assertFreeSpace } from '../storage/free-space.js';
import { describeDetailsProblems, videoDetailsSchema } from '../videos/video-details.js';
import { acceptVideo, parseExtraCodecs, titleFromFileName, titleSchema } from '../videos/video-intake.js';
import type { ExtraVideoCodec } from '../pipeline/ladder-types.js';
import { publishedExtras, streamPath, toVideoJson, VIDEO_SORTS, type VideoSearch } from '../videos/video-repository.js';
import { streamVideoEvents } from './video-events-stream.js';

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: ID_PATTERN } },
  required: ['id'],
} as const;

export function registerVideoRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { store, videos } = ctx;

  app.post('/api/videos', async (request, reply) => {
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
    });
    return reply.code(201).header('Location', `/api/videos/${id}`).send(toVideoJson(row));
  });

  app.get('/api/videos', {
    schema: {
      querystring: {
        type: 'object',
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
          offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
          status: { type: 'string', enum: ['processing', 'ready', 'failed'] },
          q: { type: 'string', maxLength: 200 },
          sort: { type: 'string', enum: VIDEO_SORTS, default: 'newest' },
        },
        additionalProperties: false,
      },
    },
  }, async (request) => {
    const query = request.query as VideoSearch;
    const { rows, total } = await videos.search(query);
    return { videos: rows.map(toVideoJson), total, limit: query.limit, offset: query.offset };
  });

  // Details only; any status (an owner fixes a title while the video still transcodes).
  app.patch('/api/videos/:id', { schema: { params: idParams } }, async (request) => {
    const { id } = request.params as { id: string };
    if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body)) {
      throw new BadRequestError('expected a JSON object with any of title, description, tags');
    }
    const parsed = videoDetailsSchema.safeParse(request.body);
    if (!parsed.success) throw new BadRequestError(describeDetailsProblems(parsed.error));
    const row = await videos.updateDetails(id, parsed.data);
    if (!row) throw new NotFoundError(`no video ${id}`);
    return toVideoJson(row);
  });

  app.get('/api/videos/:id', { schema: { params: idParams } }, async (request) => {
    const { id } = request.params as { id: string };
    const row = await videos.get(id);
    if (!row) throw new NotFoundError(`no video ${id}`);
    return toVideoJson(row);
  });

  app.delete('/api/videos/:id', { schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const row = await videos.get(id);
    if (!row) throw new NotFoundError(`no video ${id}`);
    // A running job notices on its next step (markReady fails) and discards its outputs.
    await videos.delete(id);
    await ctx.stageRecords.deleteForVideo(id);
    // The store announces each deletion to every process's origin (deletion-announcing-store.ts).
    await store.deletePrefix(videoKeyPrefix(id));
    await store.delete(row.source_key);
    return reply.code(204).send();
  });

  app.get('/api/videos/:id/events', { schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await videos.get(id))) throw new NotFoundError(`no video ${id}`);
    streamVideoEvents({ request, reply, videoId: id, ctx });
  });

  // 302, not 301: the target names this processing attempt's version, which changes on re-encode.
  const storyboardIndexes = [['storyboard.vtt', 'storyboardVtt'], ['storyboard.json', 'storyboardJson']] as const;
  for (const [file, extra] of storyboardIndexes) {
    app.get(`/api/videos/:id/${file}`, { schema: { params: idParams } }, async (request, reply) => {
      const { id } = request.params as { id: string };
      const row = await videos.get(id);
      if (!row) throw new NotFoundError(`no video ${id}`);
      if (row.status !== 'ready' || !row.ladder_json || !row.output_prefix) {
        throw new NotFoundError(`video ${id} has no storyboard (yet): it is ${row.status}`);
      }
      const published = publishedExtras(JSON.parse(row.ladder_json) as LadderPlan)[extra];
      if (!published) throw new NotFoundError(`video ${id} is audio only: it has no storyboard`);
      return reply.redirect(streamPath(id, row.output_prefix, published), 302);
    });
  }
}

function tooLarge(limit: number): UploadTooLargeError {
  return new UploadTooLargeError(`upload exceeds the ${limit} byte limit (STREAMFORGE_MAX_UPLOAD_BYTES)`);
}
