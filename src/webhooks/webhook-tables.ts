/**
 * Kysely types of the webhook tables (migration 0008-webhooks), merged into `Database` (src/db/schema.ts).
 * Times are epoch milliseconds, as everywhere.
 */
import type { Generated, Selectable } from 'kysely';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookEndpointsTable {
  id: string;
  /** http:// or https:// (docs/webhooks.md, "Targets"). */
  url: string;
  /** HMAC key of StreamForge-Signature; shown once, at creation. */
  secret: string;
  /** JSON array of the event types sent there; ["*"] for all. */
  event_types_json: string;
  description: string;
  created_at: number;
}

export interface WebhookEventsTable {
  /** Also the Idempotency-Key of every delivery of the event. */
  id: string;
  type: string;
  video_id: string | null;
  /** The exact body POSTed, the same bytes on every attempt. */
  payload_json: string;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  event_id: string;
  /** A webhook_endpoints id, or `config` (STREAMFORGE_WEBHOOK_URL). */
  endpoint_id: string;
  url: string;
  status: WebhookDeliveryStatus;
  /** Attempts over every (re)delivery. */
  attempts: Generated<number>;
  /** Bumped by each redelivery: part of its job's dedupe key. */
  generation: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  /** Null until its `webhook.deliver` job is queued (the sweep queues those left behind). */
  job_enqueued_at: number | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  /** HTTP status of the answer; null when there was none (refused, timed out). */
  status_code: number | null;
  error: string | null;
}

export interface WebhookTables {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookEventRow = Selectable<WebhookEventsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;
