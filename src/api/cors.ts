/**
 * CORS for /api (STREAMFORGE_API_CORS_ORIGINS), so pages on other origins — a separate front end, a
 * CMS embedding uploads — may call the API from the browser. Listed origins are echoed back
 * (`Vary: Origin`) with credentials allowed (cookies, Authorization); `*` lets any page in but never
 * with credentials, which browsers would refuse anyway. With no setting, /api sends no CORS headers
 * at all: same-origin only. /stream/ has its own setting (STREAMFORGE_CORS_ORIGIN, origin.ts).
 *
 * Preflights (OPTIONS with Access-Control-Request-Method) are answered here, tus uploads included;
 * tus's own answers are written by @tus/server past Fastify (uploads.ts hijacks the reply), so it
 * is handed the same decision: corsAllows.
 */
import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';

/** Request headers the API and tus take (beyond the CORS-safelisted ones). */
const ALLOWED_HEADERS = [
  'Authorization', 'Content-Type', 'If-None-Match', 'X-Request-Id', 'X-Requested-With', 'X-HTTP-Method-Override',
  'Tus-Resumable', 'Upload-Length', 'Upload-Offset', 'Upload-Metadata', 'Upload-Defer-Length', 'Upload-Concat', 'Upload-Checksum',
];
/** Response headers a page may read (tus adds its own on its answers). */
const EXPOSED_HEADERS = [
  'Location', 'ETag', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Request-Id', 'StreamForge-Video-Id',
  'Tus-Resumable', 'Upload-Offset', 'Upload-Length',
];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Whether a page on `origin` may call the API (false without the setting). */
export function corsAllows(config: Pick<Config, 'apiCorsOrigins'>, origin: string | undefined): boolean {
  if (origin === undefined) return false;
  return config.apiCorsOrigins.includes('*') || config.apiCorsOrigins.includes(origin);
}

/** Whether credentialed cross-origin requests are allowed: only for a list of exact origins. */
export function corsAllowsCredentials(config: Pick<Config, 'apiCorsOrigins'>): boolean {
  return config.apiCorsOrigins.length > 0 && !config.apiCorsOrigins.includes('*');
}

export async function registerApiCors(app: FastifyInstance, config: Config): Promise<void> {
  if (config.apiCorsOrigins.length === 0) return;
  const wildcard = config.apiCorsOrigins.includes('*');
  await app.register(fastifyCors, {
    // Per request: nothing outside /api, nothing for an origin not listed (the browser then refuses).
    delegator: (request, callback) => {
      const inApi = request.url === '/api' || request.url.startsWith('/api/') || request.url.startsWith('/api?');
      if (!inApi || !corsAllows(config, request.headers.origin)) {
        callback(null, { origin: false });
        return;
      }
      callback(null, {
        origin: wildcard ? '*' : request.headers.origin!,
        credentials: !wildcard,
        methods: METHODS,
        allowedHeaders: ALLOWED_HEADERS,
        exposedHeaders: EXPOSED_HEADERS,
        maxAge: 600,
        // A tus client's OPTIONS without Origin is protocol discovery, not a preflight: tus answers it.
        strictPreflight: false,
      });
    },
  });
}
