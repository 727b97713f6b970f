/**
 * Answers GET/HEAD for one ServedFile: conditional requests (304), If-Range, Range (206/416) and the
 * plain 200, from memory or by streaming from the store. The decision is shared; only the way bytes
 * leave differs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import type { BlobRange } from '../storage/blob-store.js';
import { contentRangeOf, decideRange, unsatisfiedContentRange } from './range.js';
import type { ServedFile } from './served-file.js';
import { ifRangeAllowsRange, isNotModified } from './validators.js';

export type ResponsePlan =
  | { status: 200 }
  | { status: 206; range: BlobRange }
  | { status: 304 }
  | { status: 416 };

const OK: ResponsePlan = { status: 200 };
const NOT_MODIFIED: ResponsePlan = { status: 304 };
const UNSATISFIABLE: ResponsePlan = { status: 416 };

/** RFC 9110 §13.2.2 order: If-None-Match / If-Modified-Since, then If-Range, then Range (GET only). */
export function planResponse(req: IncomingMessage, file: ServedFile): ResponsePlan {
  const headers = req.headers;
  if (isNotModified(headers['if-none-match'], headers['if-modified-since'], file.validators)) return NOT_MODIFIED;
  const range = headers.range;
  // Range is defined for GET only; a HEAD describes the whole representation.
  if (range === undefined || req.method !== 'GET') return OK;
  const ifRange = headers['if-range'];
  if (!ifRangeAllowsRange(typeof ifRange === 'string' ? ifRange : undefined, file.validators)) return OK;
  const decision = decideRange(range, file.size);
  if (decision.kind === 'whole') return OK;
  if (decision.kind === 'unsatisfiable') return UNSATISFIABLE;
  return { status: 206, range: { start: decision.start, end: decision.end } };
}

/**
 * The whole answer from `file.body`. The common case (no conditional, no Range) builds nothing.
 * Returns the body bytes sent (for the origin's traffic counters).
 */
export function respondFromMemory(req: IncomingMessage, res: ServerResponse, file: ServedFile, body: Buffer, errorHeaders: readonly string[]): number {
  const headers = req.headers;
  const plan =
    headers.range === undefined && headers['if-none-match'] === undefined && headers['if-modified-since'] === undefined
      ? OK
      : planResponse(req, file);
  switch (plan.status) {
    case 200:
      res.writeHead(200, file.okHeaders);
      if (req.method === 'HEAD') {
        res.end();
        return 0;
      }
      res.end(body);
      return body.length;
    case 206:
      res.writeHead(206, partialHeaders(file, plan.range));
      res.end(body.subarray(plan.range.start, plan.range.end + 1));
      return plan.range.end - plan.range.start + 1;
    case 304:
      res.writeHead(304, file.notModifiedHeaders);
      res.end();
      return 0;
    case 416:
      res.writeHead(416, unsatisfiableHeaders(file, errorHeaders));
      res.end();
      return 0;
  }
}

export interface StreamSource {
  stream(range?: BlobRange): Promise<Readable>;
  close(): void;
}

/**
 * The answer for a file too large for memory: headers now, bytes streamed from the store. Returns
 * the body bytes it set out to send (Content-Length).
 */
export async function respondFromStream(
  req: IncomingMessage,
  res: ServerResponse,
  file: ServedFile,
  source: StreamSource,
  errorHeaders: readonly string[],
  onStreamError: (err: Error) => void,
): Promise<number> {
  const plan = planResponse(req, file);
  if (plan.status === 304 || plan.status === 416 || req.method === 'HEAD') {
    source.close();
    if (plan.status === 304) res.writeHead(304, file.notModifiedHeaders);
    else if (plan.status === 416) res.writeHead(416, unsatisfiableHeaders(file, errorHeaders));
    else res.writeHead(200, file.okHeaders);
    res.end();
    return 0;
  }
  const range = plan.status === 206 ? plan.range : undefined;
  const stream = await source.stream(range);
  res.writeHead(plan.status, range === undefined ? file.okHeaders : partialHeaders(file, range));
  pipeline(stream, res, (err) => {
    if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') onStreamError(err);
  });
  return range === undefined ? file.size : range.end - range.start + 1;
}

function partialHeaders(file: ServedFile, range: BlobRange): string[] {
  return [
    ...file.entityHeaders,
    'Content-Range', contentRangeOf(range.start, range.end, file.size),
    'Content-Length', String(range.end - range.start + 1),
  ];
}

function unsatisfiableHeaders(file: ServedFile, errorHeaders: readonly string[]): string[] {
  return [...errorHeaders, 'Accept-Ranges', 'bytes', 'Content-Range', unsatisfiedContentRange(file.size), 'Content-Length', '0'];
}
