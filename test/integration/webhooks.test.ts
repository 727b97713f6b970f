/**
 * Webhooks end to end, against a real receiver on 127.0.0.1: signed deliveries of video.ready and
 * video.failed, retries with the same Idempotency-Key, a receiver that is down, redelivery, the
 * STREAMFORGE_WEBHOOK_URL endpoint, the admin API that lists it all, and the sweep's queries on the
 * server's own database (PostgreSQL in the scale-out run).
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { WebhookRepository } from '../../src/webhooks/webhook-repository.js';
import { verifySignature } from '../../src/webhooks/webhook-signature.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; createdAt: string; data: { video: { id: string; status: string; error: string | null } } };
}

/** Records every request; `answer` picks the status from what it got so far. */
function startReceiver(answer: (request: Received, earlier: Received[]) => number) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const request: Received = { path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) };
      const status = answer(request, received.filter((r) => r.json.id === request.json.id && r.path === request.path));
      received.push(request);
      res.writeHead(status).end();
    });
  });
  return {
    received,
    listening: new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const CONFIG_SECRET = 'config-webhook-secret-0123456789';
const API_SECRET = 'api-webhook-secret-0123456789';
const MAX_ATTEMPTS = 3;

// The API endpoint's first ready delivery is answered 500 twice; everything else 200.
const receiver = startReceiver((request, earlier) => (request.path === '/api-hook' && request.json.type === 'video.ready' && earlier.length < 2 ? 500 : 200));
let receiverUrl: string;
let server: TestServer;

beforeAll(async () => {
  receiverUrl = await receiver.listening;
  server = await startTestServer({
    // Loopback receivers; small retry numbers so the down-receiver case ends in seconds.
    webhookAllowPrivate: true,
    webhookUrl: `${receiverUrl}/config-hook`,
    webhookSecret: CONFIG_SECRET,
    webhookMaxAttempts: MAX_ATTEMPTS,
    webhookBackoffMs: 200,
    webhookMaxBackoffMs: 400,
    webhookTimeoutMs: 2000,
  });
});
afterAll(async () => {
  await server?.close();
  await receiver.close();
});

async function api(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = authHeaders) {
  const res = await fetch(`${server.baseUrl}${urlPath}`, {
    method,
    headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

type DeliveryJson = {
  id: string; eventId: string; eventType: string; videoId: string; endpointId: string; status: string;
  attemptCount: number; lastStatusCode: number | null; lastError: string | null;
  attempts: Array<{ attempt: number; statusCode: number | null; error: string | null; durationMs: number }>;
};

async function deliveries(): Promise<DeliveryJson[]> {
  const { status, body } = await api('GET', '/api/webhooks/deliveries?limit=100');
  expect(status).toBe(200);
  return body.deliveries;
}

/** Polls until `find` returns a delivery in a final state (or `until` holds). */
async function settledDelivery(find: (d: DeliveryJson) => boolean, until: (d: DeliveryJson) => boolean = (d) => d.status !== 'pending'): Promise<DeliveryJson> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = (await deliveries()).find(find);
    if (found && until(found)) return found;
    if (Date.now() > deadline) throw new Error(`no settled delivery; last seen: ${JSON.stringify(found)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let apiEndpointId: string;

describe('webhook endpoints API', () => {
  it('is for admins only', async () => {
    expect((await api('GET', '/api/webhooks', undefined, {})).status).toBe(401);
    expect((await api('POST', '/api/webhooks', { url: `${receiverUrl}/x` }, {})).status).toBe(401);
    expect((await api('GET', '/api/webhooks/deliveries', undefined, {})).status).toBe(401);
  });

  it('refuses what is not an http(s) URL or an event type', async () => {
    for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1/', 'ftp://example.com/', 'nonsense']) {
      const { status, body } = await api('POST', '/api/webhooks', { url });
      expect(status, url).toBe(400);
      expect(body.error.message).toMatch(/^url: /);
    }
    expect((await api('POST', '/api/webhooks', { url: `${receiverUrl}/x`, events: ['video.exploded'] })).status).toBe(400);
    expect((await api('POST', '/api/webhooks', { url: `${receiverUrl}/x`, extra: 1 })).status).toBe(400);
  });

  it('adds an endpoint, shows its secret once, lists it with the configured one', async () => {
    const created = await api('POST', '/api/webhooks', { url: `${receiverUrl}/api-hook`, events: ['video.ready', 'video.failed'], secret: API_SECRET, description: 'test receiver' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: `${receiverUrl}/api-hook`, events: ['video.ready', 'video.failed'], secret: API_SECRET, source: 'api' });
    apiEndpointId = created.body.id;
    const generated = await api('POST', '/api/webhooks', { url: `${receiverUrl}/unused` });
    expect(generated.body.secret).toMatch(/^whsec_/);
    expect(generated.body.events).toEqual(['*']);
    expect((await api('DELETE', `/api/webhooks/${generated.body.id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/webhooks/${generated.body.id}`)).status).toBe(404);

    const { body } = await api('GET', '/api/webhooks');
    expect(body.endpoints.map((e: { id: string }) => e.id)).toEqual(['config', apiEndpointId]);
    expect(JSON.stringify(body)).not.toContain(API_SECRET);
    expect(JSON.stringify(body)).not.toContain(CONFIG_SECRET);
  });
});

describe('deliveries', () => {
  let readyVideoId: string;

  it('signs video.ready, retries a 500 with the same Idempotency-Key, and records every attempt', async () => {
    const clip = generatedClip({ seconds: 2, width: 320, height: 240, fps: 25, audio: true });
    const { status, body } = await uploadFile(server.baseUrl, clip, 'webhook clip');
    expect(status).toBe(201);
    readyVideoId = body.id;
    expect((await followEvents(server.baseUrl, readyVideoId)).at(-1)!.event).toBe('ready');

    const delivery = await settledDelivery((d) => d.videoId === readyVideoId && d.endpointId === apiEndpointId && d.eventType === 'video.ready');
    expect(delivery.status).toBe('delivered');
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(delivery.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);

    const requests = receiver.received.filter((r) => r.path === '/api-hook' && r.json.data.video.id === readyVideoId);
    expect(requests).toHaveLength(3);
    for (const request of requests) {
      expect(request.json).toMatchObject({ id: delivery.eventId, type: 'video.ready', data: { video: { id: readyVideoId, status: 'ready' } } });
      expect(request.headers['idempotency-key']).toBe(delivery.eventId);
      expect(request.headers['content-type']).toBe('application/json');
      expect(verifySignature({ secret: API_SECRET, body: request.body, header: request.headers['streamforge-signature'] as string })).toMatchObject({ valid: true });
      expect(verifySignature({ secret: CONFIG_SECRET, body: request.body, header: request.headers['streamforge-signature'] as string }).valid).toBe(false);
    }
    // Every attempt sends the same bytes.
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
  });

  it('sends every event, once each, to the STREAMFORGE_WEBHOOK_URL endpoint', async () => {
    await settledDelivery((d) => d.videoId === readyVideoId && d.endpointId === 'config' && d.eventType === 'video.ready');
    const types = receiver.received.filter((r) => r.path === '/config-hook' && r.json.data.video.id === readyVideoId).map((r) => r.json.type);
    expect(types.sort()).toEqual(['video.ready', 'video.uploaded']);
    for (const request of receiver.received.filter((r) => r.path === '/config-hook')) {
      expect(verifySignature({ secret: CONFIG_SECRET, body: request.body, header: request.headers['streamforge-signature'] as string }).valid).toBe(true);
    }
  });

  it('sends video.failed with the reason', async () => {
    const file = path.join(server.dataDir, 'notes.mp4');
    writeFileSync(file, 'this is a text file, not a video\n'.repeat(100));
    const { body } = await uploadFile(server.baseUrl, file);
    const last = (await followEvents(server.baseUrl, body.id)).at(-1)!;
    expect(last.event).toBe('failed');

    const delivery = await settledDelivery((d) => d.videoId === body.id && d.endpointId === apiEndpointId);
    expect(delivery).toMatchObject({ eventType: 'video.failed', status: 'delivered', attemptCount: 1, lastStatusCode: 200 });
    const [request] = receiver.received.filter((r) => r.path === '/api-hook' && r.json.data.video.id === body.id);
    expect(request!.json.type).toBe('video.failed');
    expect(request!.json.data.video.error).toBe(last.data.error);
    expect(request!.json.data.video.error).toMatch(/not a (recognised|recognized)|format|media/i);
  });

  it('retries a receiver that is down, then fails the delivery; redelivery sends the same event again', async () => {
    // A port that was just listening and is now closed: connections are refused.
    const down = startReceiver(() => 200);
    const downUrl = await down.listening;
    await down.close();
    const endpoint = await api('POST', '/api/webhooks', { url: `${downUrl}/hook`, events: ['video.deleted'] });
    expect(endpoint.status).toBe(201);

    expect((await api('DELETE', `/api/videos/${readyVideoId}`)).status).toBe(204);
    const failed = await settledDelivery((d) => d.videoId === readyVideoId && d.endpointId === endpoint.body.id);
    expect(failed).toMatchObject({ eventType: 'video.deleted', status: 'failed', attemptCount: MAX_ATTEMPTS, lastStatusCode: null });
    expect(failed.attempts).toHaveLength(MAX_ATTEMPTS);
    for (const attempt of failed.attempts) expect(attempt.error).toMatch(/ECONNREFUSED|refused/i);
    // The other endpoints were told too, each once.
    const deleted = receiver.received.filter((r) => r.json.type === 'video.deleted' && r.json.data.video.id === readyVideoId);
    expect(deleted.map((r) => r.path)).toEqual(['/config-hook']);

    // Redelivering the delivered ready event: one more attempt, same event id and Idempotency-Key.
    const ready = (await deliveries()).find((d) => d.videoId === readyVideoId && d.endpointId === apiEndpointId && d.eventType === 'video.ready')!;
    const redelivered = await api('POST', `/api/webhooks/deliveries/${ready.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    const again = await settledDelivery((d) => d.id === ready.id, (d) => d.status === 'delivered' && d.attemptCount === 4);
    expect(again.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200, 200]);
    const keys = receiver.received.filter((r) => r.path === '/api-hook' && r.json.id === ready.eventId).map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual([ready.eventId, ready.eventId, ready.eventId, ready.eventId]);
    expect((await api('POST', '/api/webhooks/deliveries/AAAAAAAAAAAA/redeliver')).status).toBe(404);
  });

  it('pages deliveries newest first', async () => {
    const all = await deliveries();
    expect(all.length).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { deliveries: DeliveryJson[]; nextCursor: string | null } } = await api('GET', `/api/webhooks/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.deliveries.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.deliveries.map((d) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((d) => d.id));
    expect((await api('GET', '/api/webhooks/deliveries?cursor=bogus')).status).toBe(400);
    expect((await api('GET', '/api/webhooks/deliveries?limit=0')).status).toBe(400);
  });
});

describe('sweep queries', () => {
  it('finds unqueued deliveries up to and including the time, stalled ones strictly before it, oldest first', async () => {
    const repository = new WebhookRepository(server.ctx.database.db);
    // A day ahead: the server's own sweep (which looks a minute back) never takes these rows.
    const at = Date.now() + 24 * 60 * 60 * 1000;
    const targets = (names: string[]) => names.map((name) => ({ endpointId: 'sweep-test', url: `${receiverUrl}/${name}` }));
    const event = (createdAt: number) => ({ id: `sweep-${createdAt}`, type: 'video.ready', video_id: null, payload_json: '{}', created_at: createdAt });
    const [olderUnqueued, olderQueued] = await repository.createEvent(event(at - 1000), targets(['older-unqueued', 'older-queued']));
    const [unqueued, queued, finished] = await repository.createEvent(event(at), targets(['unqueued', 'queued', 'finished']));
    await repository.markEnqueued(olderQueued!, 0);
    await repository.markEnqueued(queued!, 0);
    await repository.finish(finished!, 'failed', 'endpoint deleted');
    const ours = new Set([olderUnqueued, olderQueued, unqueued, queued, finished]);
    const ids = (rows: Array<{ id: string }>) => rows.map((row) => row.id).filter((id) => ours.has(id));

    expect(ids(await repository.unqueued({ createdBefore: at, limit: 100 }))).toEqual([olderUnqueued, unqueued]);
    expect(ids(await repository.unqueued({ createdBefore: at - 1, limit: 100 }))).toEqual([olderUnqueued]);
    expect(ids(await repository.stalled({ updatedBefore: at, limit: 100 }))).toEqual([olderQueued]);
    expect(ids(await repository.stalled({ updatedBefore: at + 1, limit: 100 }))).toEqual([olderQueued, queued]);
  });
});
