/**
 * `GET /metrics`: the Prometheus exposition of this process (API and worker roles alike). With
 * `metricsToken` set (STREAMFORGE_METRICS_TOKEN) a scrape must send `Authorization: Bearer <token>`;
 * without it the endpoint is open, as exporters usually are — then keep it off the public internet
 * at the proxy (docs/operations.md). Independent of user accounts: Prometheus has no session.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { StreamForgeError } from '../errors.js';
import type { AppMetrics } from './metrics.js';

export class MetricsTokenError extends StreamForgeError {
  override readonly statusCode = 401;
  override readonly code = 'unauthorized';
}

export interface MetricsEndpointOptions {
  metrics: AppMetrics;
  /** Bearer token a scrape must present; undefined: none needed. */
  token: string | undefined;
}

export function registerMetricsEndpoint(app: FastifyInstance, { metrics, token }: MetricsEndpointOptions): void {
  // Digests have one length, so timingSafeEqual compares them without leaking the token's length.
  const expected = token === undefined ? null : sha256(token);
  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics of this process (text exposition format)',
      description: 'Bearer token required when STREAMFORGE_METRICS_TOKEN is set. The metrics are listed in docs/operations.md.',
      tags: ['operations'],
    },
  }, async (request, reply) => {
    if (expected !== null) {
      const presented = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (presented === undefined || !timingSafeEqual(sha256(presented), expected)) {
        void reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
        throw new MetricsTokenError('/metrics needs Authorization: Bearer <STREAMFORGE_METRICS_TOKEN>');
      }
    }
    const { contentType, body } = await metrics.scrape();
    return reply.header('Cache-Control', 'no-store').type(contentType).send(body);
  });
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
