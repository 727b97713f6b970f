/**
 * Signing in and the credentials of a signed-in user:
 * - `POST /api/auth/login {username, password}` → session cookie (web app); `POST /api/auth/logout`;
 *   `GET /api/auth/me` → `{ user }` (null when anonymous);
 * - `POST /api/auth/token {username, password}` → a bearer access token (JWT) for the API;
 * - `POST /api/auth/password {currentPassword, newPassword}`;
 * - `POST|GET /api/api-keys`, `DELETE /api/api-keys/:id`: API keys, shown once, stored hashed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { signAccessToken } from '../auth/access-token.js';
import { apiKeyJsonSchema, toApiKeyJson, toUserJson, userJsonSchema } from '../auth/account-repository.js';
import { SESSION_COOKIE } from '../auth/authenticator.js';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from '../auth/password.js';
import { RateLimiter } from '../auth/rate-limiter.js';
import { newApiKey, newSessionId, sha256Hex } from '../auth/secret-tokens.js';
import type { UserRow } from '../db/schema.js';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';
import { documented } from './api-docs.js';
import { isHttps, requireUser } from './request-auth.js';

export const passwordSchema = z.string().min(8, 'a password has 8 to 256 characters').max(256, 'a password has 8 to 256 characters');
const credentialsSchema = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
const apiKeyNameSchema = z.strictObject({ name: z.string().trim().min(1, 'name: 1 to 100 characters').max(100, 'name: 1 to 100 characters') });
const passwordChangeSchema = z.strictObject({ currentPassword: z.string().max(256), newPassword: passwordSchema });
const signedInSchema = z.strictObject({ user: userJsonSchema });
const accessTokenSchema = z.strictObject({ accessToken: z.string(), tokenType: z.literal('Bearer'), expiresAt: z.iso.datetime() });
const newApiKeySchema = apiKeyJsonSchema.extend({ key: z.string().describe('the key itself: shown this once, only its hash is kept') });
const apiKeysSchema = z.strictObject({ apiKeys: z.array(apiKeyJsonSchema.extend({ userId: z.string() })) });
const keyParams = { type: 'object', properties: { id: { type: 'string', pattern: ID_PATTERN } }, required: ['id'] } as const;
const tags = ['accounts'];

/** Parses a JSON body with a zod schema; every problem in one 400 message. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new BadRequestError(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  }
  return parsed.data;
}

/** The user with these credentials; the same 401 (and about the same time) for an unknown name and a wrong password. */
async function checkCredentials(ctx: AppContext, request: FastifyRequest, attempts: RateLimiter): Promise<UserRow> {
  // Counted before the (deliberately slow) hash: guessing costs the guesser, not our CPU.
  attempts.take(request.ip);
  const { username, password } = parseBody(credentialsSchema, request.body);
  const user = await ctx.auth.accounts.userByName(username);
  const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_PASSWORD_HASH);
  if (!user || !ok) throw new UnauthorizedError('wrong username or password');
  return user;
}

export function registerAuthRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { accounts } = ctx.auth;
  const attempts = new RateLimiter({ limit: ctx.config.authAttemptsPerMinute, windowMs: 60_000 });

  app.post('/api/auth/login', {
    schema: { summary: 'Sign in: sets the session cookie (web app)', tags },
    config: documented({ body: credentialsSchema, responses: { 200: { description: 'Signed in', body: signedInSchema } } }),
  }, async (request, reply) => {
    const user = await checkCredentials(ctx, request, attempts);
    const sessionId = newSessionId();
    const expiresAt = Date.now() + ctx.config.sessionTtlMs;
    await accounts.createSession({ idHash: sha256Hex(sessionId), userId: user.id, expiresAt });
    // Now and then, not on a timer: expired rows are harmless, only clutter.
    if (Math.random() < 0.05) await accounts.deleteExpiredSessions();
    reply.setCookie(SESSION_COOKIE, sessionId, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: isHttps(request),
      expires: new Date(expiresAt),
    });
    return { user: toUserJson(user) };
  });

  app.post('/api/auth/logout', {
    schema: { summary: 'Sign out: ends the session', tags },
    config: documented({ responses: { 204: { description: 'Signed out' } } }),
  }, async (request, reply) => {
    const sessionId = request.cookies[SESSION_COOKIE];
    if (sessionId) await accounts.deleteSession(sha256Hex(sessionId));
    clearSessionCookie(request, reply);
    return reply.code(204).send();
  });

  app.get('/api/auth/me', {
    schema: { summary: 'Who the credentials belong to (user null when anonymous)', tags },
    config: documented({ responses: { 200: { description: 'The caller', body: z.strictObject({ user: userJsonSchema.nullable() }) } } }),
  }, async (request) => {
    const principal = request.principal;
    const user = principal ? await accounts.userById(principal.userId) : null;
    return { user: user ? toUserJson(user) : null };
  });

  app.post('/api/auth/token', {
    schema: { summary: 'A bearer access token (JWT) for the API, from a username and password', tags },
    config: documented({ body: credentialsSchema, responses: { 200: { description: 'Send it as `Authorization: Bearer …`', body: accessTokenSchema } } }),
  }, async (request) => {
    const user = await checkCredentials(ctx, request, attempts);
    const { token, expiresAt } = await signAccessToken({ key: ctx.auth.keys.access, userId: user.id, expiresInSec: ctx.config.accessTokenTtlSec });
    return { accessToken: token, tokenType: 'Bearer', expiresAt: expiresAt.toISOString() };
  });

  app.post('/api/auth/password', {
    schema: { summary: 'Change the signed-in user\'s password', tags },
    config: documented({ body: passwordChangeSchema, responses: { 204: { description: 'Changed' } } }),
  }, async (request, reply) => {
    const principal = requireUser(request);
    attempts.take(request.ip);
    const { currentPassword, newPassword } = parseBody(passwordChangeSchema, request.body);
    const user = await accounts.userById(principal.userId);
    if (!user || !(await verifyPassword(currentPassword, user.password_hash))) throw new UnauthorizedError('the current password is wrong');
    await accounts.setPassword(user.id, await hashPassword(newPassword));
    return reply.code(204).send();
  });

  app.post('/api/api-keys', {
    schema: { summary: 'Create an API key; 201 with the key, shown once', tags },
    config: documented({ body: apiKeyNameSchema, responses: { 201: { description: 'Created', body: newApiKeySchema } } }),
  }, async (request, reply) => {
    const principal = requireUser(request);
    const { name } = parseBody(apiKeyNameSchema, request.body);
    const key = newApiKey();
    const row = await accounts.createApiKey({ userId: principal.userId, name, keyHash: sha256Hex(key) });
    // The only time the key is shown: only its hash is kept.
    return reply.code(201).send({ ...toApiKeyJson(row), key });
  });

  app.get('/api/api-keys', {
    schema: { summary: 'The caller\'s API keys (every key, for admins)', tags },
    config: documented({ responses: { 200: { description: 'API keys, without the keys themselves', body: apiKeysSchema } } }),
  }, async (request) => {
    const principal = requireUser(request);
    const rows = await accounts.listApiKeys(principal.role === 'admin' ? null : principal.userId);
    return { apiKeys: rows.map((row) => ({ ...toApiKeyJson(row), userId: row.user_id })) };
  });

  app.delete('/api/api-keys/:id', {
    schema: { summary: 'Revoke an API key', tags, params: keyParams },
    config: documented({ responses: { 204: { description: 'Revoked' } } }),
  }, async (request, reply) => {
    const principal = requireUser(request);
    const { id } = request.params as { id: string };
    const row = await accounts.apiKey(id);
    if (!row || (row.user_id !== principal.userId && principal.role !== 'admin')) throw new NotFoundError(`no API key ${id}`);
    await accounts.revokeApiKey(id);
    return reply.code(204).send();
  });
}

function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: isHttps(request) });
}
