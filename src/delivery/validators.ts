/**
 * Validators (ETag, Last-Modified) and the conditional headers that use them (RFC 9110 §13):
 * If-None-Match and If-Modified-Since (→ 304) and If-Range (→ whether a Range applies).
 *
 * The ETag is strong and built like nginx's from the modification time and the size, but with
 * millisecond precision (nginx uses seconds), so two same-sized writes of a manifest within one second
 * still get different tags. Stores that keep a SHA-256 of each object (S3, whose modification times
 * have whole seconds only) give the tag from the content instead. If-Match and If-Unmodified-Since
 * are not evaluated: they guard writes, and the origin only reads.
 */
export interface Validators {
  /** Strong entity tag, quotes included: `"18c2f3a1b20-9a3c0"`. */
  etag: string;
  /** IMF-fixdate of the modification time. */
  lastModified: string;
  /** Modification time truncated to whole seconds, as HTTP dates carry it. */
  lastModifiedSeconds: number;
}

export function validatorsOf(stat: { size: number; mtimeMs: number; sha256?: string | undefined }): Validators {
  const mtimeMs = Math.floor(stat.mtimeMs);
  return {
    // 128 bits of the content hash identify a version as well as all 256 do.
    etag: stat.sha256 !== undefined ? `"${stat.sha256.slice(0, 32)}"` : `"${mtimeMs.toString(16)}-${stat.size.toString(16)}"`,
    lastModified: new Date(mtimeMs).toUTCString(),
    lastModifiedSeconds: Math.floor(mtimeMs / 1000),
  };
}

/** Whether a GET/HEAD may be answered 304 Not Modified. */
export function isNotModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  validators: Validators,
): boolean {
  if (ifNoneMatch !== undefined) return weakEtagListMatches(ifNoneMatch, validators.etag);
  // If-Modified-Since is ignored when If-None-Match is present (RFC 9110 §13.1.3).
  if (ifModifiedSince !== undefined) {
    const sinceMs = Date.parse(ifModifiedSince);
    return !Number.isNaN(sinceMs) && validators.lastModifiedSeconds <= Math.floor(sinceMs / 1000);
  }
  return false;
}

/** Whether the Range of a request still applies given its If-Range (absent → it applies). */
export function ifRangeAllowsRange(ifRange: string | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    // If-Range needs the strong comparison: a weak tag never matches.
    return value === validators.etag;
  }
  const dateMs = Date.parse(value);
  return !Number.isNaN(dateMs) && Math.floor(dateMs / 1000) === validators.lastModifiedSeconds;
}

/** `*` or a comma-separated list of entity tags, compared weakly (`W/"x"` matches `"x"`). */
function weakEtagListMatches(header: string, etag: string): boolean {
  const value = header.trim();
  if (value === '*') return true;
  if (value === etag) return true;
  for (const raw of value.split(',')) {
    const candidate = raw.trim();
    if (candidate === etag || (candidate.startsWith('W/') && candidate.slice(2) === etag)) return true;
  }
  return false;
}
