/**
 * Webhooks, for admins (docs/webhooks.md):
 * - `GET /api/webhooks`: endpoints (the one of STREAMFORGE_WEBHOOK_URL, if set, as id `config`);
 * - `POST /api/webhooks {url, events?, description?, secret?}` → 201 with the secret, shown once;
 * - `DELETE /api/webhooks/:id`;
 * - `GET /api/webhooks/deliveries?limit=&cursor=`: deliveries, newest first, with their attempts;
 * - `POST /api/webhooks/deliveries/:id/redeliver` → 202: the same event (same Idempotency-Key) again.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';
import { ALL_EVENTS, CONFIG_ENDPOINT_ID, WEBHOOK_EVENT_TYPES } from '../webhooks/webhook-events.js';
import type { DeliveryCursor, WebhookDeliveryDetails } from '../webhooks/webhook-repository.js';
import { newWebhookSecret } from '../webhooks/webhook-signature.js';
import type { WebhookEndpointRow } from '../webhooks/webhook-tables.js';
import { parseWebhookUrl, refusedLiteralHost, WebhookTargetRefusedError } from '../webhooks/webhook-target.js';
import { documented } from './api-docs.js';
import { parseBody } from './auth.js';
import { requireAdmin } from './request-auth.js';

/** Who may manage webhooks: the one access check of this file. */
const requireWebhookAdmin = (request: FastifyRequest) => requireAdmin(request);

const newEndpointSchema = z.strictObject({
  url: z.string().max(2048, 'url: at most 2048 characters'),
  events: z
    .array(z.enum([ALL_EVENTS, ...WEBHOOK_EVENT_TYPES], { error: `events: each one of ${[ALL_EVENTS, ...WEBHOOK_EVENT_TYPES].join(', ')}` }))
    .min(1, 'events: at least one')
    .default([ALL_EVENTS]),
  description: z.string().trim().max(200, 'description: at most 200 characters').default(''),
  secret: z.string().min(16, 'secret: 16 to 200 characters').max(200, 'secret: 16 to 200 characters').optional(),
});

const deliveriesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

const idParams = { type: 'object', properties: { id: { type: 'string', pattern: ID_PATTERN } }, required: ['id'] } as const;

export function registerWebhookRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { repository, events } = ctx.webhooks;

  app.get('/api/webhooks', { schema: { summary: 'Webhook endpoints (admins)', tags: ['webhooks'] } }, async (request) => {
    requireWebhookAdmin(request);
    const rows = await repository.listEndpoints();
    const fromConfig = ctx.config.webhookUrl
      ? [{ id: CONFIG_ENDPOINT_ID, url: ctx.config.webhookUrl, events: [ALL_EVENTS], description: 'STREAMFORGE_WEBHOOK_URL', createdAt: null, source: 'config' }]
      : [];
    return { endpoints: [...fromConfig, ...rows.map(toEndpointJson)] };
  });

  app.post('/api/webhooks', {
    schema: { summary: 'Add a webhook endpoint; 201 with its signing secret (shown once)', tags: ['webhooks'] },
    config: documented({ body: newEndpointSchema }),
  }, async (request, reply) => {
    requireWebhookAdmin(request);
    const body = parseBody(newEndpointSchema, request.body);
    const url = checkedUrl(body.url, ctx.config.webhookAllowPrivate);
    const events = body.events.includes(ALL_EVENTS) ? [ALL_EVENTS] : [...new Set(body.events)];
    const row = await repository.createEndpoint({ url, secret: body.secret ?? newWebhookSecret(), eventTypes: events, description: body.description });
    return reply.code(201).header('Location', `/api/webhooks/${row.id}`).send({ ...toEndpointJson(row), secret: row.secret });
  });

  app.delete('/api/webhooks/:id', { schema: { summary: 'Remove a webhook endpoint (its pending deliveries then fail)', tags: ['webhooks'], params: idParams } }, async (request, reply) => {
    requireWebhookAdmin(request);
    const { id } = request.params as { id: string };
    if (!(await repository.deleteEndpoint(id))) throw new NotFoundError(`no webhook endpoint ${id}`);
    return reply.code(204).send();
  });

  app.get('/api/webhooks/deliveries', { schema: { summary: 'Webhook deliveries, newest first, with their attempts', tags: ['webhooks'] } }, async (request) => {
    requireWebhookAdmin(request);
    const parsed = deliveriesQuerySchema.safeParse(request.query);
    if (!parsed.success) throw new BadRequestError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const { limit, cursor } = parsed.data;
    const rows = await repository.listDeliveries({ limit, cursor: cursor === undefined ? undefined : decodeCursor(cursor) });
    const last = rows.at(-1);
    return {
      deliveries: rows.map(toDeliveryJson),
      nextCursor: rows.length === limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
    };
  });

  app.post('/api/webhooks/deliveries/:id/redeliver', { schema: { summary: 'Send a delivery again (same event and Idempotency-Key); 202', tags: ['webhooks'], params: idParams } }, async (request, reply) => {
    requireWebhookAdmin(request);
    const { id } = request.params as { id: string };
    if (!(await events.redeliver(id))) {
      if (await repository.delivery(id)) throw new ConflictError(`delivery ${id} is still being sent`);
      throw new NotFoundError(`no webhook delivery ${id}`);
    }
    return reply.code(202).send({ id, status: 'pending' });
  });
}

function checkedUrl(raw: string, allowPrivate: boolean): string {
  try {
    const url = parseWebhookUrl(raw);
    const refused = refusedLiteralHost(url, allowPrivate);
    if (refused) throw new WebhookTargetRefusedError(`${refused} is not a public address (allowed only with STREAMFORGE_WEBHOOK_ALLOW_PRIVATE=true)`);
    return url.href;
  } catch (err) {
    if (err instanceof WebhookTargetRefusedError) throw new BadRequestError(`url: ${err.message}`);
    throw err;
  }
}

function toEndpointJson(row: WebhookEndpointRow) {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.event_types_json) as string[],
    description: row.description,
    createdAt: new Date(row.created_at).toISOString(),
    source: 'api',
  };
}

function toDeliveryJson(row: WebhookDeliveryDetails) {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    videoId: row.video_id,
    endpointId: row.endpoint_id,
    url: row.url,
    status: row.status,
    attemptCount: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
    attempts: row.attempt_rows.map((a) => ({
      attempt: a.attempt,
      startedAt: new Date(a.started_at).toISOString(),
      durationMs: a.duration_ms,
      statusCode: a.status_code,
      error: a.error,
    })),
  };
}

function encodeCursor(cursor: DeliveryCursor): string {
  return Buffer.from(`${cursor.createdAt}.${cursor.id}`).toString('base64url');
}

function decodeCursor(raw: string): DeliveryCursor {
  const match = /^(\d{1,15})\.([0-9A-Za-z]{12})$/.exec(Buffer.from(raw, 'base64url').toString());
  if (!match) throw new BadRequestError('cursor: not one this API gave out');
  return { createdAt: Number(match[1]), id: match[2]! };
}
