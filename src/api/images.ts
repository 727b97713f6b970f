/**
 * Images of a video over HTTP, shaped like Mux's image API:
 * - `GET /api/videos/:id/thumbnail.{jpg,png,webp}?time=&width=&height=&fit_mode=` — one frame,
 *   rendered on demand from the top rung and cached (src/pipeline/images/thumbnail-renderer.ts);
 *   without `time`, the best-scoring thumbnail's moment (a tenth in until the thumbnails stage is done);
 * - `GET /api/videos/:id/thumbnails` — the thumbnails stage's picks with their URLs and scores
 *   (a private video's carry the playback token the caller's browser needs: playback-tokens.ts);
 * - `GET /api/videos/:id/preview.{webp,gif,mp4}` — 302 to the preview stage's published file.
 */
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../app.js';
import { BadRequestError, NotFoundError, StreamForgeError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';
import {
  describeImageQueryProblems,
  ImageGeometryError,
  imageQuerySchema,
  planGeometry,
} from '../pipeline/images/image-request.js';
import { IMAGE_CONTENT_TYPES, type ImageFormat } from '../pipeline/images/rendition-frames.js';
import { ThumbnailRenderer } from '../pipeline/images/thumbnail-renderer.js';
import type { LadderPlan } from '../pipeline/ladder-types.js';
import type { PreviewResult } from '../pipeline/stages/preview.js';
import type { ThumbnailsResult } from '../pipeline/stages/thumbnails.js';
import type { VideoRow } from '../db/schema.js';
import { streamPath } from '../videos/video-repository.js';
import type { FastifyRequest } from 'fastify';
import { browserPlaybackToken, withToken, withTokenQuery } from './playback-tokens.js';
import { viewableVideo } from './request-auth.js';
import { playbackTokenOf } from './videos.js';

/** The video exists but has nothing to show yet (processing) or ever (failed). */
export class VideoNotReadyError extends StreamForgeError {
  override readonly statusCode = 409;
  override readonly code = 'video_not_ready';
}

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: ID_PATTERN } },
  required: ['id'],
} as const;

/**
 * An image at an explicit time never changes for a ready video (its version is fixed once ready);
 * the default time moves once the thumbnails stage finishes, so that answer is kept briefly.
 */
const EXPLICIT_TIME_CACHE_CONTROL = 'public, max-age=86400';
const DEFAULT_TIME_CACHE_CONTROL = 'public, max-age=300';

/** `"<version>/images/f…"`: the cache key without the video prefix, unique per rendered image. */
function etagOf(key: string): string {
  return `"${key.split('/').slice(2).join('/')}"`;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  return (header ?? '').split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

interface ReadyVideo {
  row: VideoRow;
  plan: LadderPlan;
  outputPrefix: string;
  durationSec: number;
}

/** A ready video the caller may see (a playback token in `?token=` counts: it authorises this video's images). */
async function readyVideo(ctx: AppContext, request: FastifyRequest, id: string): Promise<ReadyVideo> {
  const row = await viewableVideo(ctx, request, id, { token: playbackTokenOf(request.query) });
  if (row.status !== 'ready' || !row.output_prefix || !row.ladder_json) {
    throw new VideoNotReadyError(
      row.status === 'failed'
        ? `video ${id} failed to process: it has no images`
        : `video ${id} is ${row.status}: images are available once it is ready`,
    );
  }
  const plan = JSON.parse(row.ladder_json) as LadderPlan;
  if (plan.video.length === 0) throw new NotFoundError(`video ${id} is audio only: it has no images`);
  return { row, plan, outputPrefix: row.output_prefix, durationSec: (row.duration_ms ?? 0) / 1000 };
}

/** The thumbnails stage's latest finished result, if any. */
async function thumbnailsResult(ctx: AppContext, video: ReadyVideo): Promise<{ result: ThumbnailsResult; filesPrefix: string } | null> {
  const record = await ctx.stageRecords.get(video.row.id, 'thumbnails');
  if (!record?.result_json || !record.result_run_id || `videos/${video.row.id}/${record.version}/` !== video.outputPrefix) return null;
  return {
    result: JSON.parse(record.result_json) as ThumbnailsResult,
    filesPrefix: streamPath(video.row.id, video.outputPrefix, `thumbnails/${record.result_run_id}/`),
  };
}

export function registerImageRoutes(app: FastifyInstance, ctx: AppContext): void {
  const renderer = new ThumbnailRenderer({
    store: ctx.store,
    ffmpegPath: ctx.config.ffmpegPath,
    workDir: path.join(ctx.config.dataDir, 'work', 'images'),
  });

  for (const format of Object.keys(IMAGE_CONTENT_TYPES) as ImageFormat[]) {
    app.get(`/api/videos/:id/thumbnail.${format}`, { schema: { summary: `One frame as ${format.toUpperCase()} (query: time, width, height, fit_mode)`, tags: ['images'], params: idParams } }, async (request, reply) => {
      const { id } = request.params as { id: string };
      const { token, ...imageQuery } = (request.query ?? {}) as Record<string, unknown>;
      const parsed = imageQuerySchema.safeParse(imageQuery);
      if (!parsed.success) throw new BadRequestError(describeImageQueryProblems(parsed.error));
      const query = parsed.data;
      const video = await readyVideo(ctx, request, id);
      // A private video's images must not sit in shared caches (src/delivery/private-served-file.ts).
      const cachePrivately = video.row.visibility === 'private' || token !== undefined;
      if (query.time !== undefined && query.time > video.durationSec) {
        throw new BadRequestError(`time ${query.time} is past the end of the video (${video.durationSec} s)`);
      }
      const top = video.plan.video[0]!;
      let geometry;
      try {
        geometry = planGeometry({ source: top, width: query.width, height: query.height, fitMode: query.fit_mode });
      } catch (err) {
        if (err instanceof ImageGeometryError) throw new BadRequestError(err.message);
        throw err;
      }
      let timeSec = query.time;
      if (timeSec === undefined) {
        const thumbnails = await thumbnailsResult(ctx, video);
        const best = thumbnails?.result.thumbnails.reduce((a, b) => (b.total > a.total ? b : a), thumbnails.result.thumbnails[0]!);
        timeSec = best?.time ?? video.durationSec / 10;
      }
      const imageRequest = { outputPrefix: video.outputPrefix, plan: video.plan, timeSec, geometry, format };
      reply
        .header('Cache-Control', cachePrivately ? 'private, no-store' : query.time === undefined ? DEFAULT_TIME_CACHE_CONTROL : EXPLICIT_TIME_CACHE_CONTROL)
        .header('Access-Control-Allow-Origin', ctx.config.corsOrigin);
      // The ETag names the version, frame, geometry and format: a revalidation needs no render.
      const located = await renderer.locate(imageRequest);
      const etag = etagOf(located.key);
      reply.header('ETag', etag).header('X-Frame-Time', located.frameTimeSec.toFixed(3));
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
      const image = await renderer.render(imageRequest);
      reply.header('X-Image-Cache', image.cache);
      return reply.type(IMAGE_CONTENT_TYPES[format]).send(image.body);
    });
  }

  app.get('/api/videos/:id/thumbnails', { schema: { summary: 'The thumbnails stage\'s picks, with URLs and scores', tags: ['images'], params: idParams } }, async (request) => {
    const { id } = request.params as { id: string };
    const video = await readyVideo(ctx, request, id);
    const record = await ctx.stageRecords.get(id, 'thumbnails');
    const done = await thumbnailsResult(ctx, video);
    // A private video's URLs carry the playback token the caller's browser needs, if it needs one.
    const token = done && (await browserPlaybackToken(ctx, request, video.row, playbackTokenOf(request.query)));
    const streamUrl = (url: string) => (token ? withToken(url, token) : url);
    const imageUrl = (url: string) => (token ? withTokenQuery(url, token) : url);
    return {
      status: record?.status ?? 'none',
      error: record?.error ?? null,
      method: done?.result.method ?? null,
      thumbnails: (done?.result.thumbnails ?? []).map((t) => ({
        url: streamUrl(`${done!.filesPrefix}${t.file}`),
        imageUrl: imageUrl(`/api/videos/${id}/thumbnail.jpg?time=${t.time}`),
        time: t.time,
        width: t.width,
        height: t.height,
        total: t.total,
        scores: t.scores,
      })),
    };
  });

  const previewFiles = { webp: 'webp', gif: 'gif', mp4: 'clip' } as const;
  for (const [extension, kind] of Object.entries(previewFiles)) {
    app.get(`/api/videos/:id/preview.${extension}`, { schema: { summary: `302 to the preview stage's ${extension}`, tags: ['images'], params: idParams } }, async (request, reply: FastifyReply) => {
      const { id } = request.params as { id: string };
      const video = await readyVideo(ctx, request, id);
      const record = await ctx.stageRecords.get(id, 'preview');
      if (!record?.result_json || !record.result_run_id) {
        throw new NotFoundError(`video ${id} has no preview yet (preview stage: ${record?.status ?? 'not run'})`);
      }
      const result = JSON.parse(record.result_json) as PreviewResult;
      const file = kind === 'clip' ? result.clip.file : kind === 'webp' ? result.animated.webp.file : result.animated.gif?.file;
      if (!file) {
        throw new NotFoundError(`video ${id} has no GIF preview: request one with POST /api/videos/${id}/stages/preview {"gif":true}`);
      }
      // 302: the target names this run of the stage, which a re-run replaces.
      const target = streamPath(id, video.outputPrefix, `preview/${record.result_run_id}/${file}`);
      const token = playbackTokenOf(request.query);
      return reply.redirect(token ? withToken(target, token) : target, 302);
    });
  }
}
