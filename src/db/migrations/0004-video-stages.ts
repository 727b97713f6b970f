import type { Kysely } from 'kysely';

/**
 * One row per (video, stage) of the enrichment stages that run after a video is ready
 * (src/pipeline/stages/): status, attempts, progress, the error or the result.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('video_stages')
    .addColumn('video_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('percent', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('options_json', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('result_json', 'text')
    .addColumn('result_run_id', 'text')
    .addColumn('error', 'text')
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('video_stages_pk', ['video_id', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('video_stages').execute();
}
