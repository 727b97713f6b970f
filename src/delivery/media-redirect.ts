/**
 * Redirect delivery, for stores that browsers can reach themselves (S3): the origin answers a media
 * file (segment, init segment, MP4, image) with a 302 to a presigned URL of its blob, so its bytes
 * never pass through this process. Manifests and documents are still served by the origin: players
 * resolve a manifest's relative URIs against the URL it came from, which must stay ours (a presigned
 * URL signs one key only).
 *
 * URLs are signed as of the start of a window of half their lifetime, so every request in a window
 * gets the same URL — browsers and CDNs can cache the object under it — and every URL handed out has
 * at least half its lifetime left. The 302 may be cached until its window ends, when its URL still
 * has half its lifetime to run. Signing costs ≈ 0.5 ms of CPU (AWS SDK, measured here), so each key's
 * URL is kept for its window in a small LRU and a repeated request costs a Map lookup.
 */
import type { ServerResponse } from 'node:http';
import type { SignedUrlOptions } from '../storage/blob-store.js';
import { IMMUTABLE_CACHE_CONTROL } from './cache-policy.js';
import { SegmentCache } from './segment-cache.js';

export interface UrlSigner {
  signedUrl(key: string, options: SignedUrlOptions): Promise<string>;
}

export interface MediaRedirect {
  /** Answers the request for media blob `key` with a 302 to the store. */
  respond(res: ServerResponse, target: { key: string; contentType: string }, commonHeaders: readonly string[]): Promise<void>;
}

export interface MediaRedirectOptions {
  signer: UrlSigner;
  /** Lifetime of a presigned URL (config `s3PresignExpiresSeconds`); at least 2 s. */
  expiresInSeconds: number;
  /** Memory for signed URLs kept for reuse within their window; default 4 MiB (≈ 10 000 URLs). */
  cacheBytes?: number;
  /** Clock, for tests. */
  nowMs?: () => number;
}

interface SignedUrl {
  url: string;
  windowStart: number;
  bytes: number;
}

export function createMediaRedirect(options: MediaRedirectOptions): MediaRedirect {
  const { signer, expiresInSeconds } = options;
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 2) throw new RangeError('expiresInSeconds must be an integer of at least 2');
  const now = options.nowMs ?? Date.now;
  const windowSeconds = Math.floor(expiresInSeconds / 2);
  const signedUrls = new SegmentCache<SignedUrl>(options.cacheBytes ?? 4 * 1024 * 1024);

  return {
    async respond(res, target, commonHeaders) {
      const nowSeconds = Math.floor(now() / 1000);
      const windowStart = nowSeconds - (nowSeconds % windowSeconds);
      const kept = signedUrls.get(target.key);
      let url = kept?.windowStart === windowStart ? kept.url : undefined;
      if (url === undefined) {
        url = await signer.signedUrl(target.key, {
          expiresInSeconds,
          signedAt: new Date(windowStart * 1000),
          // The store answers with the headers the origin would have sent (media never change).
          contentType: target.contentType,
          cacheControl: IMMUTABLE_CACHE_CONTROL,
        });
        signedUrls.set(target.key, { url, windowStart, bytes: 2 * (url.length + target.key.length) + 64 });
      }
      const maxAgeSeconds = Math.max(1, windowStart + windowSeconds - nowSeconds);
      res.writeHead(302, [
        'Location', url,
        // private: CDNs often override lifetimes, and a 302 kept past its window points at a URL
        // about to expire.
        'Cache-Control', `private, max-age=${maxAgeSeconds}`,
        'Content-Length', '0',
        ...commonHeaders,
      ]);
      res.end();
    },
  };
}
