/**
 * The only file types the origin serves, and the Content-Type of each. Anything not listed here is a
 * 404: the store also holds originals and scratch files that must never leave through /stream/.
 * Types follow RFC 8216 (HLS), ISO/IEC 23009-1 (DASH) and RFC 6381 (`video/iso.segment` for CMAF/fMP4
 * media segments, as registered with IANA and used by Apple's and the DASH-IF's tooling).
 */
const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['.m3u8', 'application/vnd.apple.mpegurl'],
  ['.mpd', 'application/dash+xml'],
  ['.m4s', 'video/iso.segment'],
  ['.mp4', 'video/mp4'],
  ['.m4a', 'audio/mp4'],
  ['.jpg', 'image/jpeg'],
  ['.jpeg', 'image/jpeg'],
  ['.png', 'image/png'],
  ['.webp', 'image/webp'],
  ['.gif', 'image/gif'],
  // WebVTT is UTF-8 by definition; the parameter keeps old browsers from guessing.
  ['.vtt', 'text/vtt; charset=utf-8'],
  ['.json', 'application/json'],
]);

/** `.m4s` for `v0/seg_00001.m4s`; '' when the name has no extension. Lower-cased. */
export function extensionOf(fileName: string): string {
  const slash = fileName.lastIndexOf('/');
  const dot = fileName.lastIndexOf('.');
  return dot > slash ? fileName.slice(dot).toLowerCase() : '';
}

/** The Content-Type of a servable extension, or undefined when the origin must not serve it. */
export function contentTypeFor(extension: string): string | undefined {
  return CONTENT_TYPES.get(extension);
}

export const servableExtensions: readonly string[] = [...CONTENT_TYPES.keys()];
