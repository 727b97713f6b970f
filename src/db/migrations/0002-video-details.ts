import type { Kysely } from 'kysely';

// One column per ALTER TABLE: SQLite accepts a single ADD COLUMN per statement. NOT NULL with a
// default fills existing rows on both dialects.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('videos').addColumn('description', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('videos').addColumn('tags_json', 'text', (c) => c.notNull().defaultTo('[]')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('videos').dropColumn('tags_json').execute();
  await db.schema.alterTable('videos').dropColumn('description').execute();
}
