/**
 * The segment origin: serves `/stream/<videoId>/<version>/<file>` straight from the BlobStore, as a raw
 * Node `http` handler that runs before Fastify (see README.md beside this file for the wiring), so the
 * hottest path of the platform pays no framework cost.
 *
 * Small files are held in a byte-bounded LRU with their response headers prebuilt: a hit is a Map
 * lookup, one `writeHead` and one `end(buffer)` — no stat, no path work. Concurrent misses of one file
 * share one read. Files above `cacheMaxFileBytes` are streamed with large reads and never cached.
 * Media and images are immutable once written; manifests and documents are re-checked on disk at most
 * every `revalidateAfterMs` (see cache-policy.ts).
 *
 * A store without local files (S3) is proxied through the same cache, or, with `redirectMedia`, media
 * files are answered with a 302 to the store (media-redirect.ts) and only manifests and documents
 * pass through here. Behind the shipped nginx, `accelRedirect` hands every authorised private file
 * to nginx to send from disk (accel-redirect.ts); public ones are still answered here, for its cache.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlobStore } from '../storage/blob-store.js';
import { openBlob, type OpenedBlob } from './blob-source.js';
import { assetKindOf, DEFAULT_REVALIDATE_AFTER_MS } from './cache-policy.js';
import type { AccelRedirect } from './accel-redirect.js';
import type { MediaRedirect } from './media-redirect.js';
import { privateView } from './private-served-file.js';
import { OriginTraffic } from './origin-traffic.js';
import { respondFromMemory, respondFromStream } from './respond.js';
import { SegmentCache } from './segment-cache.js';
import { buildServedFile, type ServedFile } from './served-file.js';
import { pathOf, resolveStreamPath, type StreamTarget } from './stream-path.js';
import type { StreamAccessCheck } from '../auth/stream-access.js';

/** The pino-compatible subset the origin logs through. */
export interface OriginLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OriginOptions {
  store: BlobStore;
  /** URL prefix the origin owns; default `/stream/`. */
  urlPrefix?: string;
  /** Blob key prefix the URL prefix maps to; default `videos/`. */
  keyPrefix?: string;
  /** Memory budget of the file cache (config `segmentCacheBytes`). */
  cacheBytes: number;
  /** Largest file held in memory; larger ones are streamed (config `segmentCacheMaxFileBytes`). */
  cacheMaxFileBytes: number;
  /** Access-Control-Allow-Origin of every answer (config `corsOrigin`). */
  corsOrigin: string;
  /** How stale a cached manifest or document may get before it is checked on disk; default 500 ms. */
  revalidateAfterMs?: number;
  /** Read size when streaming a file too large for the cache; default 1 MiB. */
  streamHighWaterMark?: number;
  /** Answer media files with a redirect to the store instead of their bytes (config `s3Delivery`). */
  redirectMedia?: MediaRedirect;
  /**
   * Answer authorised private requests with an X-Accel-Redirect for nginx to serve from disk instead
   * of their bytes (config `accelRedirectPrefix`; local stores only). Public files are unaffected.
   */
  accelRedirect?: AccelRedirect;
  /**
   * Who may read which video (src/auth/stream-access.ts): asked before anything else; a refusal is
   * a 404. Absent: every file is public.
   */
  access?: StreamAccessCheck;
  /** Requests per client before 429 (src/rate-limit/rate-limits.ts); asked first. Absent: none. */
  rateLimit?: OriginRateLimit;
  logger?: OriginLogger;
}

export interface OriginRateLimit {
  /** Counts the request: 0 to serve it, else the seconds to wait (Retry-After). Synchronous and cheap. */
  check(req: IncomingMessage): number;
}

export interface OriginStats {
  /** Requests answered from memory. */
  hits: number;
  /** Requests that had to go to the store (including revalidations and shared reads). */
  misses: number;
  bytesCached: number;
  entries: number;
}

export interface Origin {
  /** Answers the request and returns true when its URL is under the prefix; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Forgets every cached file whose blob key starts with `keyPrefix` (e.g. `videos/<id>/`). */
  invalidatePrefix(keyPrefix: string): void;
  stats(): OriginStats;
  /** Running totals of the answers (read by the metrics when scraped). */
  readonly traffic: OriginTraffic;
}

type LoadOutcome =
  | { kind: 'file'; file: ServedFile }
  | { kind: 'large'; file: ServedFile; blob: OpenedBlob }
  | { kind: 'missing' }
  | { kind: 'failed'; error: unknown };

const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';
const NOT_FOUND_BODY = Buffer.from('Not Found\n');
const NOT_ALLOWED_BODY = Buffer.from('Method Not Allowed\n');
const SERVER_ERROR_BODY = Buffer.from('Internal Server Error\n');
// The shape of the API's errors (src/api/error-handler.ts), for clients that read both.
const RATE_LIMITED_BODY = Buffer.from('{"error":{"code":"rate_limited","message":"too many requests from this address"}}');

export function createOrigin(options: OriginOptions): Origin {
  const urlPrefix = options.urlPrefix ?? '/stream/';
  const keyPrefix = options.keyPrefix ?? 'videos/';
  if (!urlPrefix.startsWith('/') || !urlPrefix.endsWith('/')) throw new TypeError('urlPrefix must start and end with "/"');
  if (keyPrefix !== '' && !keyPrefix.endsWith('/')) throw new TypeError('keyPrefix must end with "/"');
  const { store, corsOrigin, redirectMedia, accelRedirect, logger, access, rateLimit } = options;
  const maxFileBytes = Math.min(options.cacheMaxFileBytes, options.cacheBytes);
  const revalidateAfterMs = options.revalidateAfterMs ?? DEFAULT_REVALIDATE_AFTER_MS;
  const streamHighWaterMark = options.streamHighWaterMark ?? 1024 * 1024;

  const cache = new SegmentCache<ServedFile>(options.cacheBytes);
  const inFlight = new Map<string, Promise<LoadOutcome>>();
  // Bumped by invalidatePrefix: a read that started before must not refill the cache.
  let generation = 0;
  let hits = 0;
  let misses = 0;
  const traffic = new OriginTraffic();

  const corsHeaders = [
    'Access-Control-Allow-Origin', corsOrigin,
    'Access-Control-Expose-Headers', 'Content-Length, Content-Range, ETag',
  ];
  const commonHeaders = ['Accept-Ranges', 'bytes', 'X-Content-Type-Options', 'nosniff', ...corsHeaders];
  const errorHeaders = ['X-Content-Type-Options', 'nosniff', ...corsHeaders, 'Cache-Control', 'no-store'];
  // A cross-origin player follows a redirect only if the redirect itself passes CORS (and nginx copies
  // these from an X-Accel-Redirect answer: deploy/nginx/streamforge-edge.conf).
  const redirectHeaders = ['X-Content-Type-Options', 'nosniff', ...corsHeaders];
  const plainText = ['Content-Type', 'text/plain; charset=utf-8'];
  const notFoundHeaders = [...plainText, 'Content-Length', String(NOT_FOUND_BODY.length), ...errorHeaders];
  const notAllowedHeaders = [...plainText, 'Content-Length', String(NOT_ALLOWED_BODY.length), 'Allow', ALLOWED_METHODS, ...errorHeaders];
  const serverErrorHeaders = [...plainText, 'Content-Length', String(SERVER_ERROR_BODY.length), ...errorHeaders];
  const rateLimitedHeaders = ['Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(RATE_LIMITED_BODY.length), ...errorHeaders];
  const preflightHeaders = [
    'X-Content-Type-Options', 'nosniff',
    ...corsHeaders,
    'Access-Control-Allow-Methods', ALLOWED_METHODS,
    'Access-Control-Allow-Headers', 'Range',
    'Access-Control-Max-Age', '86400',
    'Allow', ALLOWED_METHODS,
  ];

  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (url === undefined || !url.startsWith(urlPrefix)) return false;
    const method = req.method;
    if (method === 'GET' || method === 'HEAD') {
      const retryAfterSec = rateLimit === undefined ? 0 : rateLimit.check(req);
      if (retryAfterSec === 0) serve(req, res, url);
      else sendRateLimited(req, res, retryAfterSec);
    } else if (method === 'OPTIONS') {
      res.writeHead(204, preflightHeaders);
      res.end();
      traffic.record(method, 204, 'other', 0);
    } else {
      res.writeHead(405, notAllowedHeaders);
      res.end(NOT_ALLOWED_BODY);
      traffic.record(method, 405, 'other', NOT_ALLOWED_BODY.length);
    }
    return true;
  }

  function serve(req: IncomingMessage, res: ServerResponse, url: string): void {
    if (access === undefined) {
      serveGranted(req, res, pathOf(url), false);
      return;
    }
    // Public and unlisted videos are answered synchronously (a Map lookup); private ones wait for a check.
    const grant = access.check(req, url);
    if (grant === null) {
      sendNotFound(req, res);
    } else if (grant instanceof Promise) {
      grant.then(
        (granted) => (granted === null ? sendNotFound(req, res) : serveGranted(req, res, granted.path, granted.private)),
        (err: unknown) => fail(req, res, pathOf(url), err),
      );
    } else {
      serveGranted(req, res, grant.path, grant.private);
    }
  }

  /** Serves `urlPath` (any token prefix removed); `privately`: with private caching headers. */
  function serveGranted(req: IncomingMessage, res: ServerResponse, urlPath: string, privately: boolean): void {
    if (privately && accelRedirect !== undefined) {
      serveByNginx(req, res, accelRedirect, urlPath);
      return;
    }
    // Only keys of validated paths are ever stored, so a hit needs no validation.
    const hit = cache.get(keyPrefix + urlPath.slice(urlPrefix.length));
    if (hit !== undefined && (hit.revalidateAtMs === Infinity || hit.revalidateAtMs > Date.now())) {
      hits++;
      const cached = privately ? privateView(hit) : hit;
      // The status is known only once respondFromMemory has written the head.
      const bodyBytes = respondFromMemory(req, res, cached, cached.body!, errorHeaders);
      traffic.record(req.method, res.statusCode, cached.kind, bodyBytes);
      return;
    }
    const target = resolveStreamPath(urlPath, { urlPrefix, keyPrefix });
    if (redirectMedia !== undefined && target !== null && assetKindOf(target.extension) === 'media') {
      redirectMedia
        .respond(res, target, redirectHeaders)
        .then(() => traffic.record(req.method, res.statusCode, 'other', 0), (err: unknown) => fail(req, res, target.key, err));
      return;
    }
    misses++;
    if (target === null) {
      sendNotFound(req, res);
      return;
    }
    serveFromStore(req, res, target, privately).catch((err: unknown) => fail(req, res, target.key, err));
  }

  /**
   * A private file sent by nginx (accel-redirect.ts). Range and conditional headers are nginx's to
   * answer, on the file. Counted as an answer of status 200 with no body: its bytes leave from nginx,
   * whose access log has them ($body_bytes_sent), and counting them here would be guessing (a Range,
   * a 304, a client gone early).
   */
  function serveByNginx(req: IncomingMessage, res: ServerResponse, accel: AccelRedirect, urlPath: string): void {
    const target = resolveStreamPath(urlPath, { urlPrefix, keyPrefix });
    if (target === null) {
      sendNotFound(req, res);
      return;
    }
    // Not Accept-Ranges: nginx keeps ours and adds its own, which would make two.
    accel.respond(res, target, redirectHeaders).then(
      (handed) => (handed ? traffic.record(req.method, 200, assetKindOf(target.extension), 0) : sendNotFound(req, res)),
      (err: unknown) => fail(req, res, target.key, err),
    );
  }

  async function serveFromStore(req: IncomingMessage, res: ServerResponse, target: StreamTarget, privately: boolean): Promise<void> {
    let outcome: LoadOutcome;
    const shared = inFlight.get(target.key);
    if (shared === undefined) {
      const own = load(target);
      inFlight.set(target.key, own);
      outcome = await own;
      if (inFlight.get(target.key) === own) inFlight.delete(target.key);
    } else {
      outcome = await shared;
      // The opened blob of a large file belongs to the request that opened it: open our own.
      if (outcome.kind === 'large') outcome = await load(target);
    }
    switch (outcome.kind) {
      case 'file': {
        const file = privately ? privateView(outcome.file) : outcome.file;
        const bodyBytes = respondFromMemory(req, res, file, file.body!, errorHeaders);
        traffic.record(req.method, res.statusCode, outcome.file.kind, bodyBytes);
        return;
      }
      case 'large': {
        const bodyBytes = await respondFromStream(req, res, privately ? privateView(outcome.file) : outcome.file, outcome.blob, errorHeaders, (err) =>
          logger?.warn({ err, key: target.key }, 'origin: stream failed'),
        );
        traffic.record(req.method, res.statusCode, outcome.file.kind, bodyBytes);
        return;
      }
      case 'missing':
        sendNotFound(req, res);
        return;
      case 'failed':
        fail(req, res, target.key, outcome.error);
        return;
    }
  }

  /** Never rejects: the outcome is shared by every request waiting on it. */
  async function load(target: StreamTarget): Promise<LoadOutcome> {
    const startedAt = generation;
    try {
      const blob = await openBlob({ store, key: target.key, maxBufferBytes: maxFileBytes, streamHighWaterMark });
      if (blob === null) {
        cache.delete(target.key);
        return { kind: 'missing' };
      }
      const file = buildServedFile({
        key: target.key,
        kind: assetKindOf(target.extension),
        extension: target.extension,
        contentType: target.contentType,
        size: blob.size,
        mtimeMs: blob.mtimeMs,
        sha256: blob.sha256,
        body: blob.body,
        commonHeaders,
        revalidateAfterMs,
      });
      if (blob.body === undefined) return { kind: 'large', file, blob };
      if (startedAt === generation) cache.set(target.key, file);
      return { kind: 'file', file };
    } catch (error) {
      return { kind: 'failed', error };
    }
  }

  function sendNotFound(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(404, notFoundHeaders);
    res.end(NOT_FOUND_BODY);
    traffic.record(req.method, 404, 'other', NOT_FOUND_BODY.length);
  }

  function sendRateLimited(req: IncomingMessage, res: ServerResponse, retryAfterSec: number): void {
    res.writeHead(429, [...rateLimitedHeaders, 'Retry-After', String(retryAfterSec)]);
    res.end(req.method === 'HEAD' ? undefined : RATE_LIMITED_BODY);
    traffic.record(req.method, 429, 'other', req.method === 'HEAD' ? 0 : RATE_LIMITED_BODY.length);
  }

  function fail(req: IncomingMessage, res: ServerResponse, key: string, err: unknown): void {
    logger?.error({ err, key }, 'origin: cannot serve');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(500, serverErrorHeaders);
    res.end(SERVER_ERROR_BODY);
    traffic.record(req.method, 500, 'other', SERVER_ERROR_BODY.length);
  }

  return {
    handle,
    invalidatePrefix(prefix: string): void {
      generation++;
      cache.deletePrefix(prefix);
      for (const key of inFlight.keys()) if (key.startsWith(prefix)) inFlight.delete(key);
    },
    stats: () => ({ hits, misses, bytesCached: cache.bytes, entries: cache.size }),
    traffic,
  };
}
