/**
 * What the origin answered, as plain running totals: responses by method and status, body bytes by
 * kind of file. The origin is the hot path (bench/origin), so counting is a typed-array increment and
 * an addition per response, with no labels to hash; the metrics (src/observability/metrics.ts) read
 * these totals when scraped.
 */
import type { AssetKind } from './cache-policy.js';

/** The methods the origin distinguishes; anything else is answered 405 and counted as `other`. */
export type OriginMethod = 'GET' | 'HEAD' | 'OPTIONS' | 'other';
/** Bytes of error and redirect bodies count as `other`. */
export type TrafficKind = AssetKind | 'other';

export const ORIGIN_METHODS: readonly OriginMethod[] = ['GET', 'HEAD', 'OPTIONS', 'other'];
export const TRAFFIC_KINDS: readonly TrafficKind[] = ['media', 'manifest', 'document', 'other'];

/** Status codes are below 600 (RFC 9110 §15); an array slot each keeps the increment branch-free. */
const STATUS_SLOTS = 600;

export class OriginTraffic {
  /** Responses by method, indexed by status code. */
  readonly responses: Readonly<Record<OriginMethod, Float64Array>> = {
    GET: new Float64Array(STATUS_SLOTS),
    HEAD: new Float64Array(STATUS_SLOTS),
    OPTIONS: new Float64Array(STATUS_SLOTS),
    other: new Float64Array(STATUS_SLOTS),
  };
  /** Body bytes handed to Node for sending (a client that hangs up early may receive fewer). */
  readonly bytesSent: Record<TrafficKind, number> = { media: 0, manifest: 0, document: 0, other: 0 };

  record(method: string | undefined, status: number, kind: TrafficKind, bodyBytes: number): void {
    const byStatus =
      method === 'GET' ? this.responses.GET
      : method === 'HEAD' ? this.responses.HEAD
      : method === 'OPTIONS' ? this.responses.OPTIONS
      : this.responses.other;
    byStatus[status < STATUS_SLOTS ? status : 0]!++;
    if (bodyBytes > 0) this.bytesSent[kind] += bodyBytes;
  }
}
