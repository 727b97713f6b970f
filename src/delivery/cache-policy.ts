/**
 * How long browsers, CDNs and the origin's own memory may keep each kind of file.
 *
 * - Media (segments, init segments, progressive MP4/M4A) and images: written once under a version
 *   directory and never changed in place, so `immutable` for a year, and kept in memory until evicted
 *   or invalidated (re-encoding creates a new version; deleting a video calls invalidatePrefix).
 * - Manifests are judged by their content: one still being written (an HLS playlist without
 *   `#EXT-X-ENDLIST`, a DASH MPD with `type="dynamic"`) gets `max-age=1`, so a player polling it sees
 *   new segments at once, like a live stream; a finished one gets `max-age=300`. A master playlist
 *   never carries ENDLIST, so it counts as in progress: players fetch it once per session, so the short
 *   lifetime costs next to nothing and a rung added late is seen at once.
 * - Documents (WebVTT captions, JSON such as storyboard indexes) may be regenerated in place (caption
 *   edits): `max-age=300`.
 *
 * Manifests and documents are re-checked on disk (one stat) at most every `revalidateAfterMs`, so an
 * update is served within that time even when the file was cached.
 */
export type AssetKind = 'media' | 'manifest' | 'document';

export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
export const IN_PROGRESS_MANIFEST_CACHE_CONTROL = 'public, max-age=1';
export const FINISHED_MANIFEST_CACHE_CONTROL = 'public, max-age=300';
export const DOCUMENT_CACHE_CONTROL = 'public, max-age=300';

/** Default bound on how stale a cached manifest or document may be, in the origin's memory. */
export const DEFAULT_REVALIDATE_AFTER_MS = 500;

export function assetKindOf(extension: string): AssetKind {
  switch (extension) {
    case '.m3u8':
    case '.mpd':
      return 'manifest';
    case '.vtt':
    case '.json':
      return 'document';
    default:
      return 'media';
  }
}

/** Whether a manifest's content says it is finished (see the module comment). */
export function isFinishedManifest(extension: string, body: Buffer): boolean {
  if (extension === '.m3u8') return body.includes('#EXT-X-ENDLIST');
  // MPD@type is an attribute of the root element, which sits near the start; `static` is its default.
  const head = body.subarray(0, 8192).toString('latin1');
  const root = /<(?:[A-Za-z_][\w.-]*:)?MPD\b[^>]*>/.exec(head);
  return root === null ? false : !/\stype\s*=\s*["']dynamic["']/.test(root[0]);
}

/** The Cache-Control of one file; `body` is only read for manifests. */
export function cacheControlFor(kind: AssetKind, extension: string, body: Buffer | undefined): string {
  switch (kind) {
    case 'media':
      return IMMUTABLE_CACHE_CONTROL;
    case 'document':
      return DOCUMENT_CACHE_CONTROL;
    case 'manifest':
      // A manifest too large to hold in memory is unusual; treat it as still changing.
      return body !== undefined && isFinishedManifest(extension, body)
        ? FINISHED_MANIFEST_CACHE_CONTROL
        : IN_PROGRESS_MANIFEST_CACHE_CONTROL;
  }
}
