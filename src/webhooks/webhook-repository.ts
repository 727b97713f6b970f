/**
 * The webhook tables (webhook-tables.ts): endpoints, events, deliveries and their attempts. Built
 * over a Kysely handle, so webhook-events.ts can make one over the transaction of a video's status
 * change and record its event there.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { newId } from '../ids.js';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookDeliveryStatus, WebhookEndpointRow, WebhookEventRow } from './webhook-tables.js';

/** A delivery with what the admin page shows of it. */
export interface WebhookDeliveryDetails extends WebhookDeliveryRow {
  event_type: string;
  video_id: string | null;
  attempt_rows: WebhookAttemptRow[];
}

/** Where a page of deliveries (newest first) continues. */
export interface DeliveryCursor {
  createdAt: number;
  id: string;
}

export class WebhookRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async createEndpoint(endpoint: { url: string; secret: string; eventTypes: string[]; description: string }): Promise<WebhookEndpointRow> {
    const row: WebhookEndpointRow = {
      id: newId(),
      url: endpoint.url,
      secret: endpoint.secret,
      event_types_json: JSON.stringify(endpoint.eventTypes),
      description: endpoint.description,
      created_at: Date.now(),
    };
    await this.db.insertInto('webhook_endpoints').values(row).execute();
    return row;
  }

  async listEndpoints(): Promise<WebhookEndpointRow[]> {
    return this.db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  async endpoint(id: string): Promise<WebhookEndpointRow | null> {
    return (await this.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  /** False when there was no such endpoint. Its deliveries stay, for the record; pending ones then fail. */
  async deleteEndpoint(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** The event and one pending delivery per target; returns the deliveries' ids. */
  async createEvent(event: WebhookEventRow, targets: Array<{ endpointId: string; url: string }>): Promise<string[]> {
    await this.db.insertInto('webhook_events').values(event).execute();
    const deliveries = targets.map((target) => ({
      id: newId(),
      event_id: event.id,
      endpoint_id: target.endpointId,
      url: target.url,
      status: 'pending' as const,
      last_status_code: null,
      last_error: null,
      job_enqueued_at: null,
      created_at: event.created_at,
      updated_at: event.created_at,
      finished_at: null,
    }));
    if (deliveries.length > 0) await this.db.insertInto('webhook_deliveries').values(deliveries).execute();
    return deliveries.map((d) => d.id);
  }

  /** A delivery with its event's type and body, for sending. */
  async deliveryToSend(id: string): Promise<(WebhookDeliveryRow & { event_type: string; payload_json: string }) | null> {
    const row = await this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .selectAll('d')
      .select(['e.type as event_type', 'e.payload_json'])
      .where('d.id', '=', id)
      .executeTakeFirst();
    return row ?? null;
  }

  async delivery(id: string): Promise<WebhookDeliveryRow | null> {
    return (await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async markEnqueued(id: string, generation: number): Promise<void> {
    await this.db.updateTable('webhook_deliveries').set({ job_enqueued_at: Date.now() }).where('id', '=', id).where('generation', '=', generation).execute();
  }

  /** Pending deliveries whose job was never queued (the process died between commit and enqueue), oldest first. */
  async unqueued(options: { createdBefore: number; limit: number }): Promise<WebhookDeliveryRow[]> {
    // Inclusive, so that a zero delay means "everything up to now", even within the same millisecond.
    return this.oldestPending({ jobEnqueued: false, updatedAt: ['<=', options.createdBefore], limit: options.limit });
  }

  /**
   * Pending deliveries with a job that has not touched them since `updatedBefore`: their job is gone
   * (e.g. its last attempt was interrupted by a shutdown, which used it up). Retries touch a delivery
   * at least every max back-off, so a live one is never this idle.
   */
  async stalled(options: { updatedBefore: number; limit: number }): Promise<WebhookDeliveryRow[]> {
    return this.oldestPending({ jobEnqueued: true, updatedAt: ['<', options.updatedBefore], limit: options.limit });
  }

  /** The sweeps' query: pending deliveries with or without a queued job, last touched before a time, oldest first. */
  private oldestPending(filter: { jobEnqueued: boolean; updatedAt: ['<' | '<=', number]; limit: number }): Promise<WebhookDeliveryRow[]> {
    const [comparison, time] = filter.updatedAt;
    return this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('job_enqueued_at', filter.jobEnqueued ? 'is not' : 'is', null)
      .where('updated_at', comparison, time)
      .orderBy('created_at')
      .limit(filter.limit)
      .execute();
  }

  /** Counts one more attempt and returns its number (over every redelivery). */
  async beginAttempt(id: string): Promise<number> {
    const row = await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), updated_at: Date.now() }))
      .where('id', '=', id)
      .returning('attempts')
      .executeTakeFirstOrThrow();
    return row.attempts;
  }

  /** One attempt's outcome; `status` moves the delivery on (pending: another attempt follows). */
  async recordAttempt(attempt: Omit<WebhookAttemptRow, 'id'>, status: WebhookDeliveryStatus): Promise<void> {
    const now = Date.now();
    await this.db.insertInto('webhook_attempts').values({ id: newId(), ...attempt }).execute();
    await this.db
      .updateTable('webhook_deliveries')
      .set({ status, last_status_code: attempt.status_code, last_error: attempt.error, updated_at: now, finished_at: status === 'pending' ? null : now })
      .where('id', '=', attempt.delivery_id)
      .execute();
  }

  /** Ends a delivery without an attempt (its endpoint is gone). */
  async finish(id: string, status: Exclude<WebhookDeliveryStatus, 'pending'>, error: string): Promise<void> {
    const now = Date.now();
    await this.db.updateTable('webhook_deliveries').set({ status, last_error: error, updated_at: now, finished_at: now }).where('id', '=', id).execute();
  }

  /**
   * pending again under a new generation, so a new job (and any older job of it does nothing); null
   * when there is no such delivery, or it is pending and `pendingFrom` is not the generation seen.
   */
  async restart(id: string, options: { pendingFrom?: number } = {}): Promise<WebhookDeliveryRow | null> {
    const row = await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({ status: 'pending', generation: eb('generation', '+', 1), job_enqueued_at: null, finished_at: null, updated_at: Date.now() }))
      .where('id', '=', id)
      .where((eb) =>
        options.pendingFrom === undefined
          ? eb('status', '!=', 'pending')
          : eb.and([eb('status', '=', 'pending'), eb('generation', '=', options.pendingFrom)]),
      )
      .returningAll()
      .executeTakeFirst();
    return row ?? null;
  }

  /** Newest first, each with its attempts (oldest first). */
  async listDeliveries(options: { limit: number; cursor?: DeliveryCursor }): Promise<WebhookDeliveryDetails[]> {
    let query = this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .selectAll('d')
      .select(['e.type as event_type', 'e.video_id']);
    const { cursor } = options;
    if (cursor) {
      query = query.where((eb) =>
        eb.or([eb('d.created_at', '<', cursor.createdAt), eb.and([eb('d.created_at', '=', cursor.createdAt), eb('d.id', '<', cursor.id)])]),
      );
    }
    const rows = await query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(options.limit).execute();
    if (rows.length === 0) return [];
    const attempts = await this.db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_id', 'in', rows.map((r) => r.id))
      .orderBy('attempt')
      .execute();
    return rows.map((row) => ({ ...row, attempt_rows: attempts.filter((a) => a.delivery_id === row.id) }));
  }

  /** Forgets events (their deliveries and attempts go with them) older than `before`. */
  async deleteEventsBefore(before: number): Promise<number> {
    const result = await this.db.deleteFrom('webhook_events').where('created_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
