/**
 * Authentication for every Fastify route: `request.principal` is the caller (src/auth/principal.ts)
 * or null, set by one onRequest hook; routes then ask the helpers below, which throw the typed
 * errors error-handler.ts turns into 401/403/404.
 *
 * CSRF: the session cookie is SameSite=Lax (no cookie on cross-site POST/PATCH/DELETE in current
 * browsers), and, for browsers that still send it, a state-changing request authenticated by the
 * cookie is refused unless its `Origin` (or `Sec-Fetch-Site`) says it came from our own pages.
 * Bearer credentials are not sent by browsers on their own, so they need no such check.
 */
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';
import type { Principal } from '../auth/principal.js';
import { canEdit, canUpload, canView } from '../auth/principal.js';
import { grantAllows, normaliseIp, verifyPlaybackToken } from '../auth/playback-token.js';
import type { VideoRow } from '../db/schema.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js';
import { corsAllows, corsAllowsCredentials } from './cors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, or null (anonymous). */
    principal: Principal | null;
    /** Why the credentials sent were refused (bad key, expired token); reported when a route needs them. */
    authProblem: string | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function registerRequestAuth(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(fastifyCookie);
  app.decorateRequest('principal', null);
  app.decorateRequest('authProblem', null);
  app.addHook('onRequest', async (request) => {
    // The web app's hashed files are the same for everyone.
    if (request.url.startsWith('/assets/')) return;
    const auth = await ctx.auth.authenticator.authenticate(request.headers);
    // Not thrown here: routes that need no account (or read another scheme, like /metrics) still answer.
    if ('invalid' in auth) {
      request.authProblem = auth.invalid;
      return;
    }
    request.principal = auth.principal;
    // Pages on origins listed in STREAMFORGE_API_CORS_ORIGINS are trusted with credentials (cors.ts).
    const trustedOrigin = corsAllowsCredentials(ctx.config) && corsAllows(ctx.config, request.headers.origin);
    if (auth.principal?.via === 'session' && !SAFE_METHODS.has(request.method) && !isSameOrigin(request) && !trustedOrigin) {
      throw new ForbiddenError('cross-site request refused: send it from this site, or use an API key or access token');
    }
  });
}

/** True unless the browser says the request came from another site (requests without those headers come from no browser page). */
export function isSameOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** Whether the request reached us over https (directly, or through a proxy that says so). */
export function isHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
}

export function requireUser(request: FastifyRequest): Principal {
  if (request.authProblem !== null) throw new UnauthorizedError(request.authProblem);
  if (request.principal === null) throw new UnauthorizedError('sign in, or send an API key or access token (Authorization: Bearer …)');
  return request.principal;
}

export function requireAdmin(request: FastifyRequest): Principal {
  const principal = requireUser(request);
  if (principal.role !== 'admin') throw new ForbiddenError('only admins may do this');
  return principal;
}

export function requireUploader(request: FastifyRequest): Principal {
  const principal = requireUser(request);
  if (!canUpload(principal)) throw new ForbiddenError('uploading needs the creator or admin role');
  return principal;
}

/**
 * The video if the caller may watch it: public and unlisted for anyone, private for the owner, admins
 * and — where `token` is given (the image API) — a playback token for this video. 404 otherwise,
 * exactly as for a video that does not exist.
 */
export async function viewableVideo(ctx: AppContext, request: FastifyRequest, id: string, options: { token?: string } = {}): Promise<VideoRow> {
  const row = await ctx.videos.get(id);
  if (row && canView(request.principal, row)) return row;
  if (row && options.token) {
    const grant = await verifyPlaybackToken({ key: ctx.auth.keys.playback, token: options.token });
    if (grant && grantAllows(grant, id, normaliseIp(request.ip))) return row;
  }
  // Bad credentials say so, rather than pass for anonymous; without any, a 404 hides whether the video exists.
  if (request.authProblem !== null) throw new UnauthorizedError(request.authProblem);
  throw new NotFoundError(`no video ${id}`);
}

/** The video if the caller may change it (owner with the creator role, or an admin); 404 when they cannot even see it. */
export async function editableVideo(ctx: AppContext, request: FastifyRequest, id: string): Promise<VideoRow> {
  const row = await ctx.videos.get(id);
  if (!row || !canView(request.principal, row)) throw new NotFoundError(`no video ${id}`);
  requireUser(request);
  if (!canEdit(request.principal, row)) throw new ForbiddenError(`only the owner of video ${id} or an admin may change it`);
  return row;
}
