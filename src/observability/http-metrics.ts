/**
 * Counts and times every request Fastify answers, labelled by the route *pattern*
 * (`/api/videos/:id`, not the URL), so the number of series stays bounded whatever clients send.
 * Requests no route matched share `route="unmatched"`. The /stream/ origin never reaches Fastify: its
 * requests are counted from its own totals (metrics.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { AppMetrics } from './metrics.js';

export const UNMATCHED_ROUTE = 'unmatched';

/** Register before the routes, so every route of every plugin inherits the hook. */
export function registerHttpMetrics(app: FastifyInstance, metrics: AppMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
