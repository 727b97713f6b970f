/**
 * `GET /api/videos/:id/quality`: the quality report of a video (src/quality/, docs/quality.md) —
 * score, issues, gate, the source's measures and every rendition's `psnr` and `ssim` — with the
 * state of the `quality` stage that made it. Until a run of the stage has produced a report the
 * answer is 404, saying what the stage is doing (queued, running with its percent, failed and why).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';
import { NotFoundError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';
import { QUALITY_STAGE } from '../pipeline/stages/quality.js';
import type { VideoStageRow } from '../db/schema.js';
import { viewableVideo } from './request-auth.js';

const params = {
  type: 'object',
  properties: { id: { type: 'string', pattern: ID_PATTERN } },
  required: ['id'],
} as const;

function stageState(row: VideoStageRow | null) {
  return row
    ? { status: row.status, percent: row.percent, error: row.error, finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null }
    : null;
}

function notReadyMessage(id: string, row: VideoStageRow | null, videoStatus: string): string {
  if (!row) {
    return videoStatus === 'ready'
      ? `video ${id} has no quality report: its ${QUALITY_STAGE} stage has not been queued (POST /api/videos/${id}/stages/${QUALITY_STAGE} runs it)`
      : `video ${id} has no quality report yet: the ${QUALITY_STAGE} stage runs once the video is ready (it is ${videoStatus})`;
  }
  switch (row.status) {
    case 'queued':
      return `the quality report of video ${id} is not ready: its ${QUALITY_STAGE} stage is queued${row.error ? ` (retrying after: ${row.error})` : ''}`;
    case 'running':
      return `the quality report of video ${id} is not ready: its ${QUALITY_STAGE} stage is running (${Math.round(row.percent)} %)`;
    case 'failed':
      return `video ${id} has no quality report: its ${QUALITY_STAGE} stage failed: ${row.error ?? 'unknown reason'}`;
    default:
      return `video ${id} has no quality report`;
  }
}

export function registerQualityRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/videos/:id/quality', { schema: { summary: 'Quality report of a video (404 until its quality stage has produced one)', tags: ['quality'], params } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const video = await viewableVideo(ctx, request, id);
    const row = await ctx.stageRecords.get(id, QUALITY_STAGE);
    // A re-run keeps the last report until it finishes: serve it, with the stage's current state.
    if (!row?.result_json) {
      return reply.code(404).send({ error: { code: 'not_found', message: notReadyMessage(id, row, video.status) }, stage: stageState(row) });
    }
    const report = JSON.parse(row.result_json) as Record<string, unknown>;
    return { videoId: id, stage: stageState(row), ...report };
  });
}
