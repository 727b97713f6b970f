/**
 * `POST /api/videos/:id/playback-token {expiresInSec?, ip?, bindToClientIp?}` (owner or admin): a
 * signed playback token for one video (src/auth/playback-token.ts), with the video's playback URLs
 * already carrying it in their `/stream/t/<token>/` prefix — hand those to any player.
 *
 * Also what the other routes use to answer a private video's URLs in a form a browser can fetch
 * (`browserPlaybackToken`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { grantAllows, MAX_PLAYBACK_TOKEN_TTL_SEC, normaliseIp, signPlaybackToken, verifyPlaybackToken } from '../auth/playback-token.js';
import { canView } from '../auth/principal.js';
import type { VideoRow } from '../db/schema.js';
import { ID_PATTERN } from '../ids.js';
import { toVideoJson, type VideoJson } from '../videos/video-repository.js';
import { documented } from './api-docs.js';
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

/** `/api/videos/<id>/thumbnail.jpg?…` → the same with `token=<token>` in its query (the image API's form). */
export function withTokenQuery(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}token=${token}`;
}

/** The video's /stream/ URLs (playback and subtitles) with `token` in their path prefix. */
export function videoUrlsWithToken(video: VideoJson, token: string): Pick<VideoJson, 'playback' | 'subtitles'> {
  const playback = video.playback && {
    hls: withToken(video.playback.hls, token),
    dash: withToken(video.playback.dash, token),
    mp4: video.playback.mp4 && withToken(video.playback.mp4, token),
    poster: video.playback.poster && withToken(video.playback.poster, token),
    storyboard: video.playback.storyboard && withToken(video.playback.storyboard, token),
  };
  return { playback, subtitles: video.subtitles.map((s) => ({ ...s, url: withToken(s.url, token) })) };
}

/**
 * The playback token a private video's URLs must carry for this caller's browser to fetch them, or
 * null when plain URLs already work: public and unlisted files need nothing, and a session cookie
 * travels with every same-site request of the page (the shipped nginx edge forwards it on /stream/
 * too), and stops working when the user signs out. Otherwise, in this order: the token the request
 * carried (`?token=`), when it grants this video to this client — passed on, never replaced; or, for
 * the owner or an admin who authenticated with a bearer credential (an API key, an access token), a
 * new token in their name with the mint route's default lifetime, not bound to an address (the
 * JSON's reader and the browser that fetches the URLs need not be one client). A caller who may not
 * see the video, anonymous ones included, never gets one: the routes answer them 404 before this.
 */
export async function browserPlaybackToken(ctx: AppContext, request: FastifyRequest, row: VideoRow, requestToken?: string): Promise<string | null> {
  if (row.visibility !== 'private') return null;
  if (requestToken !== undefined) {
    const grant = await verifyPlaybackToken({ key: ctx.auth.keys.playback, token: requestToken });
    if (grant && grantAllows(grant, row.id, normaliseIp(request.ip))) return requestToken;
  }
  const principal = request.principal;
  if (principal === null || principal.via === 'session' || !canView(principal, row)) return null;
  const { token } = await signPlaybackToken({ key: ctx.auth.keys.playback, videoId: row.id, expiresInSec: DEFAULT_TTL_SEC, viewer: principal.userId });
  return token;
}

/** The video's JSON as `toVideoJson`, its /stream/ URLs fetchable by the caller's browser (browserPlaybackToken). */
export async function videoJsonForBrowser(ctx: AppContext, request: FastifyRequest, row: VideoRow): Promise<VideoJson> {
  const video = toVideoJson(row);
  // Nothing published yet (an upload, a video still processing): no URL to carry a token.
  if (video.playback === null && video.subtitles.length === 0) return video;
  const token = await browserPlaybackToken(ctx, request, row);
  return token === null ? video : { ...video, ...videoUrlsWithToken(video, token) };
}

export function registerPlaybackTokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  const params = { type: 'object', properties: { id: { type: 'string', pattern: ID_PATTERN } }, required: ['id'] } as const;
  app.post('/api/videos/:id/playback-token', {
    schema: { summary: 'A signed playback token for a private video (owner or admin), with its URLs carrying it', tags: ['videos'], params },
    config: documented({ body: requestSchema }),
  }, async (request) => {
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
    return {
      videoId: id,
      token,
      expiresAt: expiresAt.toISOString(),
      ...videoUrlsWithToken(toVideoJson(row), token),
      thumbnail: withTokenQuery(`/api/videos/${id}/thumbnail.jpg`, token),
    };
  });
}
