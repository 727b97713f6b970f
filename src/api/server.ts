/**
 * The HTTP server: a plain Node http.Server whose requests under /stream/ go straight to the
 * origin (the hot path pays no framework cost), and everything else to Fastify.
 */
import http from 'node:http';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';
import { registerErrorHandler } from './error-handler.js';
import { registerHealthRoutes } from './health.js';
import { registerImageRoutes } from './images.js';
import { registerQualityRoutes } from './quality.js';
import { registerStageRoutes } from './stages.js';
import { registerUploadRoutes } from './uploads.js';
import { registerVideoRoutes } from './videos.js';
import { registerWebApp } from './web-app.js';

export async function buildServer(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    serverFactory: (handler) =>
      http.createServer((req, res) => {
        if (!ctx.origin.handle(req, res)) handler(req, res);
      }),
  });
  registerErrorHandler(app);
  await app.register(multipart, {
    limits: { fileSize: ctx.config.maxUploadBytes, files: 1, fields: 10, fieldSize: 16 * 1024, parts: 20 },
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
  });
  registerHealthRoutes(app, ctx);
  registerVideoRoutes(app, ctx);
  registerStageRoutes(app, ctx);
  registerImageRoutes(app, ctx);
  registerQualityRoutes(app, ctx);
  await registerUploadRoutes(app, ctx);
  await registerWebApp(app);
  return app;
}

/** The HTTP face of a `--role worker` process: /health and /ready only, for process managers. */
export async function buildHealthServer(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: ctx.logger as FastifyBaseLogger });
  registerErrorHandler(app);
  registerHealthRoutes(app, ctx);
  return app;
}
