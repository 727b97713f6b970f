/**
 * The `video_stages` table: one record per (video, stage) of the enrichment stages. Every write
 * after the request is conditional on the run id, so a superseded run (a newer request, or a newer
 * processing version) can never overwrite the record of the run that replaced it.
 */
import type { Kysely } from 'kysely';
import type { Database, StageStatus, VideoStageRow } from '../db/schema.js';

export interface StageJson {
  name: string;
  status: StageStatus;
  percent: number;
  attempts: number;
  options: unknown;
  /** What the stage produced (its own shape), once `done`. */
  result: unknown;
  /** URL path under which the result's files are served, e.g. `/stream/<id>/<version>/thumbnails/<run>/`. */
  filesUrl: string | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export class StageRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records a new requested run (replacing the previous one's status, keeping its result until this one finishes). */
  async request(row: { videoId: string; name: string; version: string; runId: string; options: unknown }): Promise<void> {
    const now = Date.now();
    const fresh = {
      version: row.version,
      run_id: row.runId,
      status: 'queued' as const,
      attempts: 0,
      percent: 0,
      options_json: JSON.stringify(row.options ?? {}),
      error: null,
      started_at: null,
      finished_at: null,
      updated_at: now,
    };
    // A result of an older output version describes files that are gone.
    const previous = await this.get(row.videoId, row.name);
    const keepResult = previous !== null && previous.version === row.version;
    const update = keepResult ? fresh : { ...fresh, result_json: null, result_run_id: null };
    await this.db
      .insertInto('video_stages')
      .values({ video_id: row.videoId, name: row.name, ...fresh, result_json: null, result_run_id: null })
      .onConflict((oc) => oc.columns(['video_id', 'name']).doUpdateSet(update))
      .execute();
  }

  async get(videoId: string, name: string): Promise<VideoStageRow | null> {
    return (await this.db.selectFrom('video_stages').selectAll().where('video_id', '=', videoId).where('name', '=', name).executeTakeFirst()) ?? null;
  }

  async list(videoId: string): Promise<VideoStageRow[]> {
    return this.db.selectFrom('video_stages').selectAll().where('video_id', '=', videoId).orderBy('name').execute();
  }

  /** queued|failed → running for this run; false when the run was superseded. */
  async start(videoId: string, name: string, runId: string): Promise<boolean> {
    const now = Date.now();
    const result = await this.db
      .updateTable('video_stages')
      .set((eb) => ({ status: 'running', attempts: eb('attempts', '+', 1), percent: 0, started_at: now, updated_at: now }))
      .where('video_id', '=', videoId)
      .where('name', '=', name)
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async progress(videoId: string, name: string, runId: string, percent: number): Promise<void> {
    await this.db
      .updateTable('video_stages')
      .set({ percent: Math.max(0, Math.min(100, percent)), updated_at: Date.now() })
      .where('video_id', '=', videoId)
      .where('name', '=', name)
      .where('run_id', '=', runId)
      .where('status', '=', 'running')
      .execute();
  }

  /** running → done with the result; false when the run was superseded meanwhile. */
  async finish(videoId: string, name: string, runId: string, result: unknown): Promise<boolean> {
    return this.end(videoId, name, runId, { status: 'done', percent: 100, result_json: JSON.stringify(result ?? null), result_run_id: runId, error: null });
  }

  /** → failed (for good) or queued again (a retry follows), with the reason. */
  async fail(videoId: string, name: string, runId: string, error: string, options: { final: boolean }): Promise<boolean> {
    return this.end(videoId, name, runId, { status: options.final ? 'failed' : 'queued', error: error.slice(0, 2000) });
  }

  async deleteForVideo(videoId: string): Promise<void> {
    await this.db.deleteFrom('video_stages').where('video_id', '=', videoId).execute();
  }

  private async end(
    videoId: string,
    name: string,
    runId: string,
    changes: { status: StageStatus; percent?: number; result_json?: string; result_run_id?: string; error: string | null },
  ): Promise<boolean> {
    const now = Date.now();
    const result = await this.db
      .updateTable('video_stages')
      .set({ ...changes, finished_at: changes.status === 'queued' ? null : now, updated_at: now })
      .where('video_id', '=', videoId)
      .where('name', '=', name)
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

export function toStageJson(row: VideoStageRow): StageJson {
  return {
    name: row.name,
    status: row.status,
    percent: row.percent,
    attempts: row.attempts,
    options: JSON.parse(row.options_json) as unknown,
    result: row.result_json ? (JSON.parse(row.result_json) as unknown) : null,
    // The result is that of the run that finished last; its files sit under that run's id.
    filesUrl: row.result_run_id ? `/stream/${row.video_id}/${row.version}/${row.name}/${row.result_run_id}/` : null,
    error: row.error,
    startedAt: row.started_at ? new Date(row.started_at).toISOString() : null,
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
  };
}
