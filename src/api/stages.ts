/**
 * Enrichment stages of a video over HTTP: their state and results, and re-running one with
 * options (e.g. `POST /api/videos/:id/stages/thumbnails {"method":"keyframes"}`).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { NotFoundError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';
import { requestStage } from '../pipeline/stages/stage-runner.js';
import type { AnyVideoStage } from '../pipeline/stages/video-stage.js';
import { toStageJson } from '../videos/stage-repository.js';
import { documented } from './api-docs.js';
import { editableVideo, viewableVideo } from './request-auth.js';

const params = {
  type: 'object',
  properties: { id: { type: 'string', pattern: ID_PATTERN }, name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } },
  required: ['id'],
} as const;

export function registerStageRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/videos/:id/stages', { schema: { summary: 'Enrichment stages of a video: state and results', tags: ['stages'], params } }, async (request) => {
    const { id } = request.params as { id: string };
    await viewableVideo(ctx, request, id);
    const records = await ctx.stageRecords.list(id);
    return { stages: records.map(toStageJson), available: ctx.stageDeps.stages.map((s) => s.name) };
  });

  app.get('/api/videos/:id/stages/:name', { schema: { summary: 'One enrichment stage of a video', tags: ['stages'], params } }, async (request) => {
    const { id, name } = request.params as { id: string; name: string };
    await viewableVideo(ctx, request, id);
    const record = await ctx.stageRecords.get(id, name);
    if (!record) throw new NotFoundError(`video ${id} has no ${name} stage`);
    return toStageJson(record);
  });

  app.post('/api/videos/:id/stages/:name', {
    schema: { summary: 'Re-run one stage with options (JSON body); 202 with its runId', tags: ['stages'], params },
    config: documented({
      body: stageOptionsSchema(ctx.stageDeps.stages),
      responses: { 202: { description: 'Queued; GET the stage to follow it', body: z.strictObject({ runId: z.string() }) } },
    }),
  }, async (request, reply) => {
    const { id, name } = request.params as { id: string; name: string };
    await editableVideo(ctx, request, id);
    const runId = await requestStage(ctx.stageDeps, { videoId: id, stage: name, options: request.body ?? {} });
    return reply.code(202).header('Location', `/api/videos/${id}/stages/${name}`).send({ runId });
  });
}

/** The body of a re-run: the named stage's own options schema (each titled with its stage's name). */
function stageOptionsSchema(stages: readonly AnyVideoStage[]): z.ZodType {
  const each = stages.map((stage) => stage.options.meta({ title: stage.name, description: `options of the ${stage.name} stage` }));
  if (each.length === 0) return z.strictObject({});
  return each.length === 1 ? each[0]! : z.union(each as [z.ZodType, z.ZodType, ...z.ZodType[]]);
}
