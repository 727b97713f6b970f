/**
 * The `webhook.deliver` job: one attempt to POST a delivery's event to its endpoint, signed
 * (webhook-signature.ts), with the event id as Idempotency-Key on every attempt, each attempt
 * recorded. The queue's Worker retries a thrown attempt with exponential back-off; the outcome:
 *
 * - 2xx: delivered.
 * - 408, 429, 5xx, no answer (refused, reset, timeout): retried, `failed` after the last attempt.
 * - any other status (3xx: redirects are not followed; 4xx: the receiver refuses these exact bytes and
 *   would refuse them again), a refused target, a deleted endpoint: `failed` at once. An admin can
 *   redeliver once the receiver is fixed.
 *
 * A final outcome completes the job (it is recorded on the delivery, which is what admins read).
 */
import type { Logger } from 'pino';
import type { JobHandler } from '../queue/worker.js';
import { CONFIG_ENDPOINT_ID, type WebhookDeliverPayload } from './webhook-events.js';
import type { WebhookRepository } from './webhook-repository.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.js';
import { postWebhook, WebhookTargetRefusedError } from './webhook-target.js';

export interface WebhookDeliveryOptions {
  repository: WebhookRepository;
  /** The secret of STREAMFORGE_WEBHOOK_URL's endpoint (`config`), when set. */
  configSecret: string | null;
  timeoutMs: number;
  allowPrivate: boolean;
  logger: Logger;
}

/** An attempt that may succeed later: the worker retries it. */
export class WebhookAttemptError extends Error {
  override name = 'WebhookAttemptError';
}

const RETRIED_STATUSES = new Set([408, 429]);

export function createWebhookDeliveryHandler(options: WebhookDeliveryOptions): JobHandler {
  const { repository, logger } = options;
  return async (job, ctx) => {
    const { deliveryId, generation } = job.payload as WebhookDeliverPayload;
    const delivery = await repository.deliveryToSend(deliveryId);
    // Gone with its event (retention), settled by an earlier run of an at-least-once job, or redelivered since.
    if (!delivery || delivery.status !== 'pending' || delivery.generation !== generation) return;
    const secret = delivery.endpoint_id === CONFIG_ENDPOINT_ID ? options.configSecret : (await repository.endpoint(delivery.endpoint_id))?.secret;
    if (!secret) {
      await repository.finish(deliveryId, 'failed', 'the endpoint was deleted');
      return;
    }
    const attempt = await repository.beginAttempt(deliveryId);
    const startedAt = Date.now();
    const body = delivery.payload_json;
    let statusCode: number | null = null;
    let error: string | null = null;
    let retry = false;
    try {
      ({ statusCode } = await postWebhook({
        url: delivery.url,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'StreamForge-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader({ secret, body, timestampSec: Math.floor(startedAt / 1000) }),
          'idempotency-key': delivery.event_id,
          'streamforge-event': delivery.event_type,
          'streamforge-delivery': delivery.id,
        },
        allowPrivate: options.allowPrivate,
        timeoutMs: options.timeoutMs,
        signal: ctx.signal,
      }));
      if (statusCode < 200 || statusCode > 299) {
        retry = statusCode >= 500 || RETRIED_STATUSES.has(statusCode);
        error = statusCode >= 300 && statusCode < 400 ? `HTTP ${statusCode}: redirects are not followed` : `HTTP ${statusCode}`;
      }
    } catch (err) {
      error = (err as Error).message || String(err);
      retry = !(err instanceof WebhookTargetRefusedError);
    }
    const lastAttempt = job.attempt >= job.maxAttempts;
    // Stopped by our own worker (shutdown, lost lease): not the receiver's doing, the job runs again.
    const interrupted = ctx.signal.aborted;
    const status = error === null ? 'delivered' : interrupted || (retry && !lastAttempt) ? 'pending' : 'failed';
    await repository.recordAttempt(
      { delivery_id: deliveryId, attempt, started_at: startedAt, duration_ms: Date.now() - startedAt, status_code: statusCode, error },
      status,
    );
    const log = { deliveryId, eventType: delivery.event_type, attempt, statusCode };
    if (status === 'pending') throw new WebhookAttemptError(`webhook delivery ${deliveryId}: ${error}`);
    if (status === 'failed') logger.warn({ ...log, error }, 'webhook delivery failed');
    else logger.debug(log, 'webhook delivered');
  };
}

