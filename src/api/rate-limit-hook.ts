/**
 * Applies the `api` and `upload` rate limits (src/rate-limit/rate-limits.ts) to every /api request,
 * after request-auth.ts has named the caller: each API key, else each user, else each client
 * address has its own bucket. Past the limit: 429 with Retry-After (error-handler.ts); every counted
 * answer carries RateLimit-Limit, -Remaining and -Reset (seconds), as in the IETF draft — tus's too,
 * which uploads.ts copies onto the hijacked reply.
 *
 * Which bucket: creating an upload (multipart POST /api/videos, tus POST /api/uploads) is `upload`;
 * tus PATCHes are not counted at all — a big upload is many chunks, and each can only write bytes
 * its creation already declared (and was counted for) — nor are CORS preflights; the rest is `api`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../app.js';
import { TooManyRequestsError } from '../errors.js';
import type { RateDecision } from '../rate-limit/gcra.js';
import { type ApiRateBucket, retryAfterSecOf } from '../rate-limit/rate-limits.js';
import { UPLOADS_PATH } from './uploads.js';

export function registerRateLimits(app: FastifyInstance, ctx: AppContext): void {
  const { rateLimits } = ctx;
  if (rateLimits.limitOf('api') === 0 && rateLimits.limitOf('upload') === 0) return;
  app.addHook('onRequest', async (request, reply) => {
    const bucket = bucketOf(request.method, request.url);
    if (bucket === null || rateLimits.isExempt(request.principal)) return;
    const decision = await rateLimits.take(bucket, rateLimits.keyOf(request.principal, request.ip));
    if (decision === null) return;
    setRateLimitHeaders(reply, rateLimits.limitOf(bucket), decision);
    if (!decision.allowed) {
      const retryAfterSec = retryAfterSecOf(decision);
      throw new TooManyRequestsError(`rate limit of ${rateLimits.limitOf(bucket)} ${bucket} requests per ${ctx.config.rateLimitWindowMs / 1000} s reached: retry in ${retryAfterSec} s`, retryAfterSec);
    }
  });
}

export function bucketOf(method: string, url: string): ApiRateBucket | null {
  if (method === 'OPTIONS' || !(url.startsWith('/api/') || url === '/api' || url.startsWith('/api?'))) return null;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (method === 'POST' && (path === '/api/videos' || path === UPLOADS_PATH)) return 'upload';
  if (method === 'PATCH' && path.startsWith(`${UPLOADS_PATH}/`)) return null;
  return 'api';
}

function setRateLimitHeaders(reply: FastifyReply, limit: number, decision: RateDecision): void {
  void reply.header('RateLimit-Limit', String(limit));
  void reply.header('RateLimit-Remaining', String(decision.remaining));
  void reply.header('RateLimit-Reset', String(Math.ceil(decision.resetMs / 1000)));
}
