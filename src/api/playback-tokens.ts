/**
 * `POST /api/videos/:id/playback-token {expiresInSec?, ip?, bindToClientIp?}` (owner or admin): a
 * signed playback token for one video (src/auth/playback-token.ts), with the video's playback URLs
 * already carrying it in their `/stream/t/<token>/` prefix — hand those to any player.
 */
import type { FastifyInstance } from 'fastify';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { MAX_PLAYBACK_TOKEN_TTL_SEC, normaliseIp, signPlaybackToken } from '../auth/playback-token.js';
import { ID_PATTERN } from '../ids.js';
import { toVideoJson } from '../videos/video-repository.js';
import { parseBody } from './auth.js';
import { editableVideo } from './request-auth.js';

const DEFAULT_TTL_SEC = 6 * 60 * 60;

const requestSchema = z.strictObject({
  expiresInSec: z.number().int().min(10).max(MAX_PLAYBACK_TOKEN_TTL_SEC).default(DEFAULT_TTL_SEC),
  /** Bind the token to this client address … */
  ip: z.string().refine((ip) => isIP(ip) !== 0, 'ip: an IPv4 or IPv6 address').optional(),
  /** … or to the address of the caller. */
  bindToClientIp: z.boolean().default(false),
  /** Who it is for (a user id or any label of yours, ≤ 64 characters); recorded in the token. */
  viewer: z.string().min(1).max(64).optional(),
});

/** `/stream/<id>/…` → `/stream/t/<token>/<id>/…`. */
export function withToken(url: string, token: string): string {
  return url.replace(/^\/stream\//, `/stream/t/${token}/`);
}

export function registerPlaybackTokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  const params = { type: 'object', properties: { id: { type: 'string', pattern: ID_PATTERN } }, required: ['id'] } as const;
  app.post('/api/videos/:id/playback-token', { schema: { params } }, async (request) => {
    const { id } = request.params as { id: string };
    const row = await editableVideo(ctx, request, id);
    const body = parseBody(requestSchema, request.body);
    const ip = body.ip ?? (body.bindToClientIp ? normaliseIp(request.ip) : undefined);
    const { token, expiresAt } = await signPlaybackToken({
      key: ctx.auth.keys.playback,
      videoId: id,
      expiresInSec: body.expiresInSec,
      ...(ip !== undefined && { ip: normaliseIp(ip) }),
      ...(body.viewer !== undefined && { viewer: body.viewer }),
    });
    const video = toVideoJson(row);
    const playback = video.playback && {
      hls: withToken(video.playback.hls, token),
      dash: withToken(video.playback.dash, token),
      mp4: video.playback.mp4 && withToken(video.playback.mp4, token),
      poster: video.playback.poster && withToken(video.playback.poster, token),
      storyboard: video.playback.storyboard && withToken(video.playback.storyboard, token),
    };
    return {
      videoId: id,
      token,
      expiresAt: expiresAt.toISOString(),
      playback,
      subtitles: video.subtitles.map((s) => ({ ...s, url: withToken(s.url, token) })),
      thumbnail: `/api/videos/${id}/thumbnail.jpg?token=${token}`,
    };
  });
}
