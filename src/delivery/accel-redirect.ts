/**
 * nginx X-Accel-Redirect delivery of private files (config `accelRedirectPrefix`), for local-disk
 * stores behind the shipped nginx (deploy/nginx/streamforge-edge.conf): the origin decides who may
 * read a file, nginx sends it. An authorised private request is answered with an empty 200 naming
 * the blob (`X-Accel-Redirect: <prefix><blob key>`); nginx then serves that file from its `internal`
 * location with sendfile, and evaluates Range, If-Range and If-None-Match / If-Modified-Since on the
 * file itself (its own ETag and Last-Modified), so none of that is done here. The idea is nginx's
 * (https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ignore_headers, "X-Accel-Redirect")
 * as Rails' Rack::Sendfile and Django's protected downloads use it.
 *
 * What reaches the client: on an X-Accel-Redirect nginx keeps only Content-Type, Cache-Control,
 * Expires, Content-Disposition, Accept-Ranges and Set-Cookie of this answer (the `redirect` flag of
 * ngx_http_upstream_headers_in; `proxy_hide_header` does not apply to them), so we send the
 * Content-Type and `Cache-Control: private, no-store`, never a cookie; the CORS and nosniff headers
 * are sent too, for the internal location to copy with `$upstream_http_…` (nginx drops them).
 *
 * S3 stores have no file for nginx to open: config validation refuses the setting with S3, whose
 * own offload is redirect delivery (media-redirect.ts).
 */
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { InvalidBlobKeyError } from '../storage/blob-store.js';
import { PRIVATE_CACHE_CONTROL } from './private-served-file.js';
import type { StreamTarget } from './stream-path.js';

export interface AccelRedirectOptions {
  /** URI prefix of nginx's internal location, both slashes included: `/_streamforge_blobs/`. */
  uriPrefix: string;
  /** The file of a blob key (LocalBlobStore.localPath): only files that exist are handed to nginx. */
  localPath(key: string): string;
}

export interface AccelRedirect {
  /**
   * Answers an authorised request for `target` with an X-Accel-Redirect to its file; false (nothing
   * written) when there is no such file, for the origin to answer 404 as it would have.
   */
  respond(res: ServerResponse, target: StreamTarget, extraHeaders: readonly string[]): Promise<boolean>;
}

// A blob key's segments as stream-path.ts admits them; anything else is a bug upstream of here.
const KEY_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** What `accelRedirectPrefix` may be (config.ts validates the setting with it). */
export const ACCEL_URI_PREFIX = /^\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)+$/;

export function createAccelRedirect(options: AccelRedirectOptions): AccelRedirect {
  const { uriPrefix, localPath } = options;
  if (!ACCEL_URI_PREFIX.test(uriPrefix)) throw new TypeError('uriPrefix must be a path of [A-Za-z0-9._-] segments starting and ending with "/"');

  return {
    async respond(res, target, extraHeaders) {
      let filePath: string;
      let uri: string;
      try {
        uri = accelRedirectUri(uriPrefix, target.key);
        filePath = localPath(target.key);
      } catch (err) {
        if (err instanceof InvalidBlobKeyError) return false;
        throw err;
      }
      // One stat, so that a missing file gets the origin's own 404 and nginx is only ever pointed at
      // regular files; cheap next to the bytes it no longer sends.
      const found = await stat(filePath).then(
        (s) => s.isFile(),
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return false;
          throw err;
        },
      );
      if (!found) return false;
      res.writeHead(200, [
        'X-Accel-Redirect', uri,
        'Content-Type', target.contentType,
        'Cache-Control', PRIVATE_CACHE_CONTROL,
        'Content-Length', '0',
        ...extraHeaders,
      ]);
      res.end();
      return true;
    },
  };
}

/**
 * `<prefix><blob key>`, each segment percent-encoded: nginx cuts the URI at a raw `?` (arguments)
 * and decodes `%XX` once before mapping it to a file (ngx_http_parse_unsafe_uri, which also refuses
 * `..` segments, before and after decoding: checked with nginx 1.22). Keys admitted by
 * stream-path.ts hold `[A-Za-z0-9._-]` segments only, so the encoding changes nothing today; a key
 * that breaks that rule is refused here rather than trusted to nginx.
 */
export function accelRedirectUri(uriPrefix: string, key: string): string {
  const segments = key.split('/');
  for (const segment of segments) if (!KEY_SEGMENT.test(segment)) throw new InvalidBlobKeyError(`not a key to hand to nginx: ${JSON.stringify(key)}`);
  return uriPrefix + segments.map(encodeURIComponent).join('/');
}
