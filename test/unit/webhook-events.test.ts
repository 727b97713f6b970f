/**
 * Webhook events on a real (SQLite) database and SQL queue: one event per video change, recorded
 * with the change or not at all; a delivery whose enqueue failed is queued by the sweep; a lost job
 * is replaced, and the superseded one does nothing.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../../src/db/database.js';
import type { Queue } from '../../src/queue/queue.js';
import { SqlQueue } from '../../src/queue/sql-queue.js';
import { VideoRepository } from '../../src/videos/video-repository.js';
import { createWebhookDeliveryHandler } from '../../src/webhooks/webhook-delivery.js';
import { type WebhookDeliverPayload, WEBHOOK_DELIVER_JOB, WebhookEvents } from '../../src/webhooks/webhook-events.js';
import { WebhookRepository } from '../../src/webhooks/webhook-repository.js';

const logger = pino({ level: 'silent' });
let database: DatabaseHandle;
let queue: SqlQueue;
let repository: WebhookRepository;

function setUp(options: { queue?: Queue; withEndpoint?: boolean } = {}) {
  const events = new WebhookEvents({
    db: database.db, queue: options.queue ?? queue, configEndpoint: options.withEndpoint === false ? null : { url: 'http://127.0.0.1:9/hook' },
    maxAttempts: 3, retentionMs: 24 * 60 * 60 * 1000, stalledAfterMs: 60_000, unqueuedAfterMs: 0, logger,
  });
  const videos = new VideoRepository({ db: database.db, dialect: database.dialect, onTransition: events.observe });
  return { events, videos };
}

async function createVideo(videos: VideoRepository, id: string) {
  const now = Date.now();
  await videos.create({
    id, title: id, status: 'processing', error: null, source_key: `originals/${id}`, source_name: null, source_bytes: 1,
    media_json: null, ladder_json: null, output_prefix: null, duration_ms: null, progress_json: null, time_to_playable_ms: null,
    created_at: now, updated_at: now, ready_at: null, extra_codecs_json: null, owner_id: null, visibility: 'public',
  });
}

const eventTypes = async () => (await database.db.selectFrom('webhook_events').select('type').orderBy('created_at').execute()).map((r) => r.type);

beforeEach(async () => {
  database = openDatabase('sqlite::memory:');
  await migrateToLatest(database.db);
  queue = new SqlQueue({ db: database.db, dialect: database.dialect });
  repository = new WebhookRepository(database.db);
});
afterEach(async () => {
  await database.close();
});

describe('webhook events', () => {
  it('records one event per change, however often the change is attempted, each with a queued job', async () => {
    const { videos } = setUp();
    await createVideo(videos, 'v1');
    expect(await videos.markReady('v1', { output_prefix: 'videos/v1/a/', progress_json: '{}' })).toBe(true);
    // A duplicate run of an at-least-once job, and a late failure: no change, no event.
    expect(await videos.markReady('v1', { output_prefix: 'videos/v1/b/', progress_json: '{}' })).toBe(false);
    expect(await videos.markFailed('v1', 'late')).toBe(false);
    await videos.delete('v1');
    await videos.delete('v1');
    expect(await eventTypes()).toEqual(['video.uploaded', 'video.ready', 'video.deleted']);
    const deliveries = await repository.listDeliveries({ limit: 10 });
    expect(deliveries.every((d) => d.status === 'pending' && d.job_enqueued_at !== null)).toBe(true);
    expect((await queue.counts()).queued).toBe(3);
  });

  it('records nothing when no endpoint wants events', async () => {
    const { videos } = setUp({ withEndpoint: false });
    await createVideo(videos, 'v1');
    expect(await videos.markFailed('v1', 'bad input')).toBe(true);
    expect(await eventTypes()).toEqual([]);
  });

  it('rolls the change back with its event when recording fails', async () => {
    const { videos } = setUp();
    await createVideo(videos, 'v1');
    await database.db.schema.dropTable('webhook_attempts').execute();
    await database.db.schema.dropTable('webhook_deliveries').execute();
    await expect(videos.markReady('v1', { output_prefix: 'videos/v1/a/', progress_json: '{}' })).rejects.toThrow();
    expect((await videos.get('v1'))?.status).toBe('processing');
  });

  it('queues a delivery whose enqueue failed on the next sweep', async () => {
    const down: Queue = { ...queue, enqueue: async () => { throw new Error('redis is down'); } } as unknown as Queue;
    const { videos } = setUp({ queue: down });
    await createVideo(videos, 'v1');
    const [delivery] = await repository.listDeliveries({ limit: 1 });
    expect(delivery!.job_enqueued_at).toBeNull();
    await setUp().events.sweep();
    expect((await repository.delivery(delivery!.id))!.job_enqueued_at).not.toBeNull();
    expect((await queue.counts()).queued).toBe(1);
    // Again: the delivery is marked queued, and the dedupe key would hold anyway.
    await setUp().events.sweep();
    expect((await queue.counts()).queued).toBe(1);
  });

  it('replaces the job of a stalled delivery; the superseded job does nothing', async () => {
    const { videos, events } = setUp();
    await createVideo(videos, 'v1');
    const [delivery] = await repository.listDeliveries({ limit: 1 });
    await database.db.updateTable('webhook_deliveries').set({ updated_at: Date.now() - 120_000 }).execute();
    await events.sweep();
    const restarted = (await repository.delivery(delivery!.id))!;
    expect(restarted.generation).toBe(1);
    expect((await queue.counts()).queued).toBe(2);

    const handler = createWebhookDeliveryHandler({ repository, configSecret: 'secret-0123456789abcdef', timeoutMs: 1000, allowPrivate: true, logger });
    const context = { signal: new AbortController().signal, heartbeat: async () => {} };
    const job = (generation: number) => ({ id: 'j', type: WEBHOOK_DELIVER_JOB, payload: { deliveryId: delivery!.id, generation } satisfies WebhookDeliverPayload, attempt: 1, maxAttempts: 1, owner: 'o' });
    await handler(job(0), context);
    expect((await repository.delivery(delivery!.id))!.attempts).toBe(0);
    // The current one sends (port 9 refuses: on the last attempt, failed).
    await handler(job(1), context);
    expect(await repository.delivery(delivery!.id)).toMatchObject({ attempts: 1, status: 'failed' });
  });
});
