/**
 * One file as the origin answers it: its bytes (when held in memory), validators and the response
 * headers, built once so that a cache hit costs a Map lookup and a `writeHead` with a ready array.
 * Header arrays are flat `[name, value, name, value, …]`, which Node's `writeHead` takes without
 * building a header object.
 */
import { cacheControlFor, DEFAULT_REVALIDATE_AFTER_MS, type AssetKind } from './cache-policy.js';
import { validatorsOf, type Validators } from './validators.js';

export interface ServedFile {
  key: string;
  kind: AssetKind;
  size: number;
  /** Memory charged to the cache (the body). */
  bytes: number;
  /** The whole content; undefined for files streamed from the store. */
  body: Buffer | undefined;
  validators: Validators;
  /** Headers of a 200, Content-Length included. */
  okHeaders: string[];
  /** Headers shared by a 200 and a 206, without Content-Length. */
  entityHeaders: string[];
  /** Headers of a 304. */
  notModifiedHeaders: string[];
  /** Epoch ms after which a cached copy must be checked against the store; Infinity for media. */
  revalidateAtMs: number;
}

export interface BuildServedFileOptions {
  key: string;
  kind: AssetKind;
  extension: string;
  contentType: string;
  size: number;
  mtimeMs: number;
  /** Hex SHA-256 of the content when the store keeps one: the ETag is then made from it. */
  sha256?: string | undefined;
  body: Buffer | undefined;
  /** Headers every stream response carries (CORS, nosniff, Accept-Ranges). */
  commonHeaders: readonly string[];
  revalidateAfterMs?: number;
  nowMs?: number;
}

export function buildServedFile(options: BuildServedFileOptions): ServedFile {
  const { body, size } = options;
  const validators = validatorsOf({ size, mtimeMs: options.mtimeMs, sha256: options.sha256 });
  const cacheControl = cacheControlFor(options.kind, options.extension, body);
  const notModifiedHeaders = [
    'Cache-Control', cacheControl,
    'ETag', validators.etag,
    'Last-Modified', validators.lastModified,
    ...options.commonHeaders,
  ];
  const entityHeaders = ['Content-Type', options.contentType, ...notModifiedHeaders];
  const revalidateAfterMs = options.revalidateAfterMs ?? DEFAULT_REVALIDATE_AFTER_MS;
  return {
    key: options.key,
    kind: options.kind,
    size,
    bytes: body?.length ?? 0,
    body,
    validators,
    okHeaders: [...entityHeaders, 'Content-Length', String(size)],
    entityHeaders,
    notModifiedHeaders,
    revalidateAtMs: options.kind === 'media' ? Infinity : (options.nowMs ?? Date.now()) + revalidateAfterMs,
  };
}
