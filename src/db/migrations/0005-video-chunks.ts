import type { Kysely } from 'kysely';

/**
 * Chunked encoding (docs/chunked-encoding.md): one plan per video — the output version every chunk
 * writes under, and the ladder and probe the chunk jobs work from, frozen so that a re-run of
 * `video.process` reuses it instead of starting over — and one row per chunk job (the video
 * chunks and the whole-track audio job) with its status and the segments it produced.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('video_chunk_plans')
    .addColumn('video_id', 'text', (c) => c.primaryKey().references('videos.id').onDelete('cascade'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('plan_json', 'text', (c) => c.notNull())
    .addColumn('media_json', 'text', (c) => c.notNull())
    .addColumn('grid_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('video_chunks')
    .addColumn('video_id', 'text', (c) => c.notNull().references('videos.id').onDelete('cascade'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('start_frame', 'integer', (c) => c.notNull())
    .addColumn('end_frame', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempt_owner', 'text')
    .addColumn('result_json', 'text')
    .addColumn('error', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('video_chunks_pk', ['video_id', 'version', 'kind', 'idx'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('video_chunks').execute();
  await db.schema.dropTable('video_chunk_plans').execute();
}
