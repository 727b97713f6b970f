/** Liveness (`/health`: the process answers) and readiness (`/ready`: database and storage reachable). */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/health', async () => ({ status: 'ok', role: ctx.config.role }));
  app.get('/ready', async (_request, reply) => {
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
    const ok = checks.database === 'ok' && checks.storage === 'ok' && !checks.queue.startsWith('error');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
  });
}
