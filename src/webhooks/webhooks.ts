/**
 * Webhooks of one process, built once by createAppContext (src/app.ts): the tables, the event
 * recorder the VideoRepository calls on every status change, and the `webhook.deliver` job handler.
 * docs/webhooks.md describes what receivers get.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Queue } from '../queue/queue.js';
import type { JobHandler } from '../queue/worker.js';
import { createWebhookDeliveryHandler } from './webhook-delivery.js';
import { WebhookEvents } from './webhook-events.js';
import { WebhookRepository } from './webhook-repository.js';

export interface Webhooks {
  repository: WebhookRepository;
  events: WebhookEvents;
  /** Handler of WEBHOOK_DELIVER_JOB, for the worker that runs deliveries. */
  deliver: JobHandler;
}

export function openWebhooks(options: { config: Config; database: DatabaseHandle; queue: Queue; logger: Logger }): Webhooks {
  const { config, logger } = options;
  const repository = new WebhookRepository(options.database.db);
  const events = new WebhookEvents({
    db: options.database.db,
    queue: options.queue,
    configEndpoint: config.webhookUrl ? { url: config.webhookUrl } : null,
    maxAttempts: config.webhookMaxAttempts,
    retentionMs: config.webhookRetentionDays * 24 * 60 * 60 * 1000,
    // Twice the longest a live delivery waits between attempts, lease expiry included.
    stalledAfterMs: 2 * (config.webhookMaxBackoffMs + config.webhookTimeoutMs + config.jobLeaseMs),
    logger,
  });
  const deliver = createWebhookDeliveryHandler({
    repository,
    configSecret: config.webhookSecret ?? null,
    timeoutMs: config.webhookTimeoutMs,
    allowPrivate: config.webhookAllowPrivate,
    logger,
  });
  return { repository, events, deliver };
}
