/**
 * The `users`, `sessions`, `api_keys` and `server_secrets` tables: the one place that reads and
 * writes accounts. Secrets arrive here already hashed (password.ts, secret-tokens.ts).
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { type ApiKeyRow, type Database, type Role, ROLES, type UserRow } from '../db/schema.js';
import { newId } from '../ids.js';

/** A user as the API shows it (the OpenAPI document shows this schema; the type follows it). */
export const userJsonSchema = z.strictObject({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  createdAt: z.iso.datetime(),
});
export type UserJson = z.infer<typeof userJsonSchema>;

export function toUserJson(row: UserRow): UserJson {
  return { id: row.id, username: row.username, role: row.role, createdAt: new Date(row.created_at).toISOString() };
}

/** An API key as listed: never the key itself, which is shown once, at creation. */
export const apiKeyJsonSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});
export type ApiKeyJson = z.infer<typeof apiKeyJsonSchema>;

export function toApiKeyJson(row: ApiKeyRow): ApiKeyJson {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return { id: row.id, name: row.name, createdAt: iso(row.created_at)!, lastUsedAt: iso(row.last_used_at), revokedAt: iso(row.revoked_at) };
}

export class AccountRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts the user unless the username is taken; returns the row, or null when it was. */
  async createUser(user: { username: string; passwordHash: string; role: Role }): Promise<UserRow | null> {
    const now = Date.now();
    const row = { id: newId(), username: user.username, password_hash: user.passwordHash, role: user.role, created_at: now, updated_at: now };
    const inserted = await this.db.insertInto('users').values(row).onConflict((oc) => oc.column('username').doNothing()).executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1 ? row : null;
  }

  async userById(id: string): Promise<UserRow | null> {
    return (await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async userByName(username: string): Promise<UserRow | null> {
    return (await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()) ?? null;
  }

  async setPassword(id: string, passwordHash: string): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: passwordHash, updated_at: Date.now() }).where('id', '=', id).execute();
    // A new password ends every other sign-in.
    await this.db.deleteFrom('sessions').where('user_id', '=', id).execute();
  }

  /** Deletes the user with their sessions and API keys; false when there was none. */
  async deleteUser(id: string): Promise<boolean> {
    await this.db.deleteFrom('sessions').where('user_id', '=', id).execute();
    await this.db.deleteFrom('api_keys').where('user_id', '=', id).execute();
    const result = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async listUsers(): Promise<UserRow[]> {
    return this.db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  /** The oldest admin: owner of what the bootstrap API key (STREAMFORGE_API_KEY) uploads. */
  async firstAdmin(): Promise<UserRow | null> {
    return (await this.db.selectFrom('users').selectAll().where('role', '=', 'admin').orderBy('created_at').orderBy('id').executeTakeFirst()) ?? null;
  }

  async createSession(session: { idHash: string; userId: string; expiresAt: number }): Promise<void> {
    await this.db.insertInto('sessions').values({ id_hash: session.idHash, user_id: session.userId, created_at: Date.now(), expires_at: session.expiresAt }).execute();
  }

  /** The user of a live session, or null (unknown or expired). */
  async sessionUser(idHash: string): Promise<UserRow | null> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('users')
      .where('sessions.id_hash', '=', idHash)
      .where('sessions.expires_at', '>', Date.now())
      .executeTakeFirst();
    return row ?? null;
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }

  async deleteExpiredSessions(): Promise<void> {
    await this.db.deleteFrom('sessions').where('expires_at', '<=', Date.now()).execute();
  }

  async createApiKey(key: { userId: string; name: string; keyHash: string }): Promise<ApiKeyRow> {
    const row: ApiKeyRow = { id: newId(), user_id: key.userId, name: key.name, key_hash: key.keyHash, created_at: Date.now(), last_used_at: null, revoked_at: null };
    await this.db.insertInto('api_keys').values(row).execute();
    return row;
  }

  /** The user of an unrevoked key, and the key's id. */
  async apiKeyUser(keyHash: string): Promise<{ user: UserRow; keyId: string; lastUsedAt: number | null } | null> {
    const row = await this.db
      .selectFrom('api_keys')
      .innerJoin('users', 'users.id', 'api_keys.user_id')
      .selectAll('users')
      .select(['api_keys.id as key_id', 'api_keys.last_used_at as key_last_used_at'])
      .where('api_keys.key_hash', '=', keyHash)
      .where('api_keys.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    const { key_id, key_last_used_at, ...user } = row;
    return { user, keyId: key_id, lastUsedAt: key_last_used_at };
  }

  async touchApiKey(id: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: Date.now() }).where('id', '=', id).execute();
  }

  /** Keys of a user (every user's for `userId` null), newest first. */
  async listApiKeys(userId: string | null): Promise<ApiKeyRow[]> {
    let query = this.db.selectFrom('api_keys').selectAll();
    if (userId !== null) query = query.where('user_id', '=', userId);
    return query.orderBy('created_at', 'desc').orderBy('id').execute();
  }

  async apiKey(id: string): Promise<ApiKeyRow | null> {
    return (await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async revokeApiKey(id: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  /** The named secret, made from `create()` by whichever process asks first (all agree on the stored one). */
  async secret(name: string, create: () => string): Promise<string> {
    await this.db
      .insertInto('server_secrets')
      .values({ name, value: create(), created_at: Date.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await this.db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
    return row.value;
  }
}
