/**
 * What StreamForge tells webhook endpoints, and when. An event is recorded in the same transaction as
 * the video change it reports (VideoRepository's transition observer), together with one pending
 * delivery per endpoint that wants it: the change and its deliveries exist together or not at all,
 * and since a change happens once (markReady/markFailed are conditional), so does its event — however
 * many processes run, and whatever they hear on the event bus. After the commit each delivery gets a
 * `webhook.deliver` job; a process that dies in between leaves the delivery unqueued, and the sweep
 * queues it (the dedupe key makes a second enqueue a no-op).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, VideoRow } from '../db/schema.js';
import { newId } from '../ids.js';
import type { Queue } from '../queue/queue.js';
import type { VideoTransition, VideoTransitionObserver } from '../videos/video-repository.js';
import { WebhookRepository } from './webhook-repository.js';

export const WEBHOOK_EVENT_TYPES = ['video.uploaded', 'video.ready', 'video.failed', 'video.deleted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** Subscribes an endpoint to every type, including those added later. */
export const ALL_EVENTS = '*';

export const WEBHOOK_DELIVER_JOB = 'webhook.deliver';
export interface WebhookDeliverPayload {
  deliveryId: string;
  /** The delivery's generation when queued: a job of an older one (superseded by a redelivery) does nothing. */
  generation: number;
}

/** The endpoint of STREAMFORGE_WEBHOOK_URL: it gets every event. */
export const CONFIG_ENDPOINT_ID = 'config';

/** The JSON body of every delivery (its bytes are stored, so every attempt sends the same). */
export interface WebhookPayload {
  /** Also the Idempotency-Key header. */
  id: string;
  type: WebhookEventType;
  /** ISO 8601. */
  createdAt: string;
  data: { video: WebhookVideo };
}

export interface WebhookVideo {
  id: string;
  title: string;
  status: VideoRow['status'];
  visibility: VideoRow['visibility'];
  ownerId: string | null;
  durationMs: number | null;
  /** Why it failed (video.failed). */
  error: string | null;
  /** The API resource, relative to the server. */
  url: string;
}

const TRANSITION_EVENTS: Record<VideoTransition['type'], WebhookEventType> = {
  uploaded: 'video.uploaded',
  ready: 'video.ready',
  failed: 'video.failed',
  deleted: 'video.deleted',
};

export interface WebhookEventsOptions {
  db: Kysely<Database>;
  queue: Queue;
  /** STREAMFORGE_WEBHOOK_URL, when set. */
  configEndpoint: { url: string } | null;
  /** Attempts of each delivery job (STREAMFORGE_WEBHOOK_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Events (with their deliveries) older than this are deleted by the sweep. */
  retentionMs: number;
  /** A pending delivery untouched this long has lost its job: the sweep gives it a new one. */
  stalledAfterMs: number;
  logger: Logger;
  /** How often the sweep runs (default 1 min) … */
  sweepIntervalMs?: number;
  /** … and how long a delivery must have been left unqueued for it to queue it (default 1 min). */
  unqueuedAfterMs?: number;
}

export class WebhookEvents {
  private readonly repository: WebhookRepository;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: WebhookEventsOptions) {
    this.repository = new WebhookRepository(options.db);
  }

  /** The VideoRepository's transition observer (src/app.ts wires it). */
  readonly observe: VideoTransitionObserver = async (trx, transition) => {
    const type = TRANSITION_EVENTS[transition.type];
    const targets = await this.targets(trx, type);
    // No endpoint wants it: nothing to keep.
    if (targets.length === 0) return;
    const createdAt = Date.now();
    const id = newId();
    const payload: WebhookPayload = { id, type, createdAt: new Date(createdAt).toISOString(), data: { video: toWebhookVideo(transition.video) } };
    const deliveryIds = await new WebhookRepository(trx).createEvent(
      { id, type, video_id: transition.video.id, payload_json: JSON.stringify(payload), created_at: createdAt },
      targets,
    );
    return async () => {
      for (const deliveryId of deliveryIds) await this.enqueue(deliveryId, 0);
    };
  };

  private async targets(trx: Kysely<Database>, type: WebhookEventType): Promise<Array<{ endpointId: string; url: string }>> {
    const targets = this.options.configEndpoint ? [{ endpointId: CONFIG_ENDPOINT_ID, url: this.options.configEndpoint.url }] : [];
    for (const endpoint of await new WebhookRepository(trx).listEndpoints()) {
      const types = JSON.parse(endpoint.event_types_json) as string[];
      if (types.includes(ALL_EVENTS) || types.includes(type)) targets.push({ endpointId: endpoint.id, url: endpoint.url });
    }
    return targets;
  }

  /** Queues the job of one (re)delivery; never throws (the sweep retries what failed here). */
  async enqueue(deliveryId: string, generation: number): Promise<void> {
    try {
      await this.options.queue.enqueue<WebhookDeliverPayload>({
        type: WEBHOOK_DELIVER_JOB,
        payload: { deliveryId, generation },
        dedupeKey: `webhook:${deliveryId}:${generation}`,
        maxAttempts: this.options.maxAttempts,
      });
      await this.repository.markEnqueued(deliveryId, generation);
    } catch (err) {
      this.options.logger.warn({ err, deliveryId }, 'could not queue a webhook delivery; the sweep will');
    }
  }

  /** Sends a delivery again (same event, same Idempotency-Key); false when there is none or it is still pending. */
  async redeliver(deliveryId: string): Promise<boolean> {
    const row = await this.repository.restart(deliveryId);
    if (!row) return false;
    await this.enqueue(row.id, row.generation);
    return true;
  }

  /** Queues deliveries left unqueued for a minute, restarts stalled ones, and forgets events past their retention. */
  async sweep(): Promise<void> {
    const now = Date.now();
    for (const row of await this.repository.unqueued({ createdBefore: now - (this.options.unqueuedAfterMs ?? 60_000), limit: 100 })) {
      await this.enqueue(row.id, row.generation);
    }
    for (const row of await this.repository.stalled({ updatedBefore: now - this.options.stalledAfterMs, limit: 100 })) {
      const restarted = await this.repository.restart(row.id, { pendingFrom: row.generation });
      if (!restarted) continue;
      this.options.logger.warn({ deliveryId: row.id }, 'webhook delivery lost its job; queued it again');
      await this.enqueue(restarted.id, restarted.generation);
    }
    const deleted = await this.repository.deleteEventsBefore(now - this.options.retentionMs);
    if (deleted > 0) this.options.logger.info({ deleted }, 'deleted webhook events past their retention');
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.options.logger.error({ err }, 'webhook sweep failed'));
    }, this.options.sweepIntervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

function toWebhookVideo(row: VideoRow): WebhookVideo {
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    visibility: row.visibility,
    ownerId: row.owner_id,
    durationMs: row.duration_ms,
    error: row.error,
    url: `/api/videos/${row.id}`,
  };
}
