/**
 * Maps a request URL to a blob key: `/stream/<videoId>/<version>/<relative path>` →
 * `videos/<videoId>/<version>/<relative path>`, or null for anything else.
 *
 * The rule is an allowlist, not a sanitiser: keys only ever contain `[A-Za-z0-9._-]` and `/`, so a URL
 * holding anything else — `%` in any form (%2f, %5c, %2e%2e, double encoding), `\`, `//`, a segment
 * that starts with a dot (`.`, `..`, dot files) — cannot name a real segment and is refused without
 * decoding it. Nothing here touches the file system: the key is handed to the BlobStore, which
 * validates it once more.
 */
import { contentTypeFor, extensionOf } from './mime-types.js';

export interface StreamPathOptions {
  /** URL prefix the origin owns, with both slashes: `/stream/`. */
  urlPrefix: string;
  /** Blob key prefix it maps to, ending in a slash: `videos/`. */
  keyPrefix: string;
}

export interface StreamTarget {
  /** Blob key, e.g. `videos/abc/1/v0/seg_00001.m4s`. */
  key: string;
  /** Lower-cased extension, always one of the servable ones. */
  extension: string;
  contentType: string;
}

/** Longest URL path we look at; real ones are well under 200 characters. */
const MAX_PATH_LENGTH = 512;

// <videoId>/<version>/<one or more path segments>; ids and versions are nanoid-like.
const RELATIVE_PATH = /^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/;

/** The path of a request target without its query string or fragment. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  const hash = url.indexOf('#');
  let end = url.length;
  if (query !== -1) end = query;
  if (hash !== -1 && hash < end) end = hash;
  return end === url.length ? url : url.slice(0, end);
}

/** The blob key a request path (already without its query) names, or null when it names none. */
export function resolveStreamPath(urlPath: string, options: StreamPathOptions): StreamTarget | null {
  if (urlPath.length > MAX_PATH_LENGTH || !urlPath.startsWith(options.urlPrefix)) return null;
  const relative = urlPath.slice(options.urlPrefix.length);
  if (!RELATIVE_PATH.test(relative)) return null;
  const extension = extensionOf(relative);
  const contentType = contentTypeFor(extension);
  if (contentType === undefined) return null;
  return { key: options.keyPrefix + relative, extension, contentType };
}
