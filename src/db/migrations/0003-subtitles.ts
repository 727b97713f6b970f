import type { Kysely } from 'kysely';

// Nullable: videos processed before subtitles existed simply have none recorded.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('videos').addColumn('subtitles_json', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('videos').dropColumn('subtitles_json').execute();
}
