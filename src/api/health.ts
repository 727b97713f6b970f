/**
 * Liveness (`/health`: the process answers) and readiness (`/ready`: database, storage and queue
 * reachable, and ffmpeg runnable where this process runs jobs). A failed check answers 503 with the
 * reason of every check, so an operator reads why from the probe itself.
 */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';

const readySchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    checks: { type: 'object', additionalProperties: { type: 'string' }, description: '"ok", or why the check failed' },
  },
} as const;

export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/health', {
    schema: {
      summary: 'Liveness: the process answers',
      tags: ['operations'],
      response: { 200: { type: 'object', properties: { status: { type: 'string' }, role: { type: 'string' } } } },
    },
  }, async () => ({ status: 'ok', role: ctx.config.role }));

  app.get('/ready', {
    schema: {
      summary: 'Readiness: database, storage, queue and (where jobs run) ffmpeg usable',
      tags: ['operations'],
      response: { 200: readySchema, 503: readySchema },
    },
  }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await sql`select 1`.execute(ctx.database.db);
      checks.database = 'ok';
    } catch (err) {
      checks.database = (err as Error).message;
    }
    try {
      await ctx.store.stat('health-check');
      checks.storage = 'ok';
    } catch (err) {
      checks.storage = (err as Error).message;
    }
    try {
      checks.queue = JSON.stringify(await ctx.queue.counts());
    } catch (err) {
      checks.queue = `error: ${(err as Error).message}`;
    }
    // An API process needs ffmpeg only for on-demand thumbnails: it reports it without failing on it.
    const needsFfmpeg = ctx.worker !== null || ctx.stageWorker !== null;
    const ffmpeg = await ctx.ffmpeg.check();
    checks.ffmpeg = needsFfmpeg || ffmpeg === 'ok' ? ffmpeg : `not needed (no job worker here): ${ffmpeg}`;
    const ok =
      checks.database === 'ok' && checks.storage === 'ok' && !checks.queue.startsWith('error') && (!needsFfmpeg || ffmpeg === 'ok');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
  });
}
