/**
 * The HTTP server: a plain Node http.Server whose requests under /stream/ go straight to the
 * origin (the hot path pays no framework cost), and everything else to Fastify.
 */
import http from 'node:http';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';
import { registerHttpMetrics } from '../observability/http-metrics.js';
import { registerMetricsEndpoint } from '../observability/metrics-endpoint.js';
import { registerRequestIdHeader, requestIdOf } from '../observability/request-id.js';
import { registerApiDocs, registerApiDocsUi } from './api-docs.js';
import { registerAuthRoutes } from './auth.js';
import { registerApiCors } from './cors.js';
import { registerErrorHandler } from './error-handler.js';
import { registerHealthRoutes } from './health.js';
import { registerImageRoutes } from './images.js';
import { registerPlaybackTokenRoutes } from './playback-tokens.js';
import { registerQualityRoutes } from './quality.js';
import { registerRateLimits } from './rate-limit-hook.js';
import { registerRequestAuth } from './request-auth.js';
import { registerStageRoutes } from './stages.js';
import { registerUploadRoutes } from './uploads.js';
import { registerUserRoutes } from './users.js';
import { registerVideoRoutes } from './videos.js';
import { registerWebApp } from './web-app.js';
import { registerWebhookRoutes } from './webhooks.js';

export async function buildServer(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    genReqId: requestIdOf,
    // The same rule as the origin's (src/auth/client-ip.ts): request.ip is the client behind trusted proxies.
    trustProxy: ctx.clientIp.trust,
    serverFactory: (handler) =>
      http.createServer((req, res) => {
        if (!ctx.origin.handle(req, res)) handler(req, res);
      }),
  });
  registerErrorHandler(app);
  // Before any route: the hook must reach every route, and the OpenAPI document sees only later ones.
  registerHttpMetrics(app, ctx.metrics);
  registerRequestIdHeader(app);
  if (ctx.config.apiDocs) await registerApiDocs(app);
  await app.register(multipart, {
    limits: { fileSize: ctx.config.maxUploadBytes, files: 1, fields: 10, fieldSize: 16 * 1024, parts: 20 },
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
  });
  // Before authentication: preflights carry no credentials, and refusals must be readable cross-origin.
  await registerApiCors(app, ctx.config);
  registerHealthRoutes(app, ctx);
  registerMetricsEndpoint(app, { metrics: ctx.metrics, token: ctx.config.metricsToken });
  // Every route below knows its caller (request.principal); each decides what that caller may do.
  await registerRequestAuth(app, ctx);
  // After authentication: the limits count per API key or user where there is one.
  registerRateLimits(app, ctx);
  registerAuthRoutes(app, ctx);
  registerUserRoutes(app, ctx);
  registerVideoRoutes(app, ctx);
  registerPlaybackTokenRoutes(app, ctx);
  registerStageRoutes(app, ctx);
  registerImageRoutes(app, ctx);
  registerQualityRoutes(app, ctx);
  registerWebhookRoutes(app, ctx);
  await registerUploadRoutes(app, ctx);
  await registerWebApp(app);
  if (ctx.config.apiDocs) await registerApiDocsUi(app);
  return app;
}

/** The HTTP face of a `--role worker` process: /health, /ready and /metrics, for process managers and Prometheus. */
export async function buildHealthServer(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: ctx.logger as FastifyBaseLogger, genReqId: requestIdOf });
  registerErrorHandler(app);
  registerHttpMetrics(app, ctx.metrics);
  registerRequestIdHeader(app);
  registerHealthRoutes(app, ctx);
  registerMetricsEndpoint(app, { metrics: ctx.metrics, token: ctx.config.metricsToken });
  return app;
}
