/** Accounts, for admins: `POST /api/users {username, password, role}`, `GET /api/users`, `DELETE /api/users/:id`. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { toUserJson, userJsonSchema } from '../auth/account-repository.js';
import { hashPassword } from '../auth/password.js';
import { ROLES } from '../db/schema.js';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';
import { documented } from './api-docs.js';
import { parseBody, passwordSchema } from './auth.js';
import { requireAdmin } from './request-auth.js';

const newUserSchema = z.strictObject({
  username: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, 'username: 3 to 64 of A-Z a-z 0-9 . _ -'),
  password: passwordSchema,
  role: z.enum(ROLES, { error: `role: one of ${ROLES.join(', ')}` }).default('creator'),
});

const userParams = { type: 'object', properties: { id: { type: 'string', pattern: ID_PATTERN } }, required: ['id'] } as const;
const tags = ['accounts'];

export function registerUserRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { accounts } = ctx.auth;

  app.post('/api/users', {
    schema: { summary: 'Create an account (admins)', tags },
    config: documented({ body: newUserSchema, responses: { 201: { description: 'Created', body: userJsonSchema } } }),
  }, async (request, reply) => {
    requireAdmin(request);
    const { username, password, role } = parseBody(newUserSchema, request.body);
    const row = await accounts.createUser({ username, passwordHash: await hashPassword(password), role });
    if (!row) throw new ConflictError(`the username ${username} is taken`);
    return reply.code(201).header('Location', `/api/users/${row.id}`).send(toUserJson(row));
  });

  app.get('/api/users', {
    schema: { summary: 'Every account (admins)', tags },
    config: documented({ responses: { 200: { description: 'Accounts', body: z.strictObject({ users: z.array(userJsonSchema) }) } } }),
  }, async (request) => {
    requireAdmin(request);
    return { users: (await accounts.listUsers()).map(toUserJson) };
  });

  app.delete('/api/users/:id', {
    schema: { summary: 'Delete an account (admins); its sessions and keys go, its videos stay', tags, params: userParams },
    config: documented({ responses: { 204: { description: 'Deleted' } } }),
  }, async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = request.params as { id: string };
    if (id === admin.userId) throw new BadRequestError('an admin cannot delete their own account');
    // Their sessions and API keys go with them (foreign keys); their videos stay, for admins to manage.
    if (!(await accounts.deleteUser(id))) throw new NotFoundError(`no user ${id}`);
    return reply.code(204).send();
  });
}
