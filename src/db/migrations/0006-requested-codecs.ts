import type { Kysely } from 'kysely';

// The extra codec ladders asked for with the upload (JSON array), kept on the record so the
// reconciler can re-enqueue a video's job with them if the queue was unreachable when it arrived.
// Null: the configured default (videos from before this column behave as they always did).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('videos').addColumn('extra_codecs_json', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('videos').dropColumn('extra_codecs_json').execute();
}
