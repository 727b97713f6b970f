/** The admin webhooks API (src/api/webhooks.ts) as the webhooks page uses it. */
import { request } from '../api.js';

export const WEBHOOK_EVENT_TYPES = ['video.uploaded', 'video.ready', 'video.failed', 'video.deleted'] as const;

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  description: string;
  createdAt: string | null;
  /** `config`: STREAMFORGE_WEBHOOK_URL, not removable here. */
  source: 'api' | 'config';
}

export interface WebhookAttempt {
  attempt: number;
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  videoId: string | null;
  endpointId: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attemptCount: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  attempts: WebhookAttempt[];
}

const json = { 'Content-Type': 'application/json' };

export async function listWebhookEndpoints(): Promise<WebhookEndpoint[]> {
  return (await request<{ endpoints: WebhookEndpoint[] }>('/api/webhooks')).endpoints;
}

/** The new endpoint with its signing secret, which is shown only this once. */
export function addWebhookEndpoint(endpoint: { url: string; events: string[]; description: string }): Promise<WebhookEndpoint & { secret: string }> {
  return request('/api/webhooks', { method: 'POST', headers: json, body: JSON.stringify(endpoint) });
}

export function deleteWebhookEndpoint(id: string): Promise<void> {
  return request(`/api/webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function listWebhookDeliveries(options: { limit: number; cursor?: string | null }): Promise<{ deliveries: WebhookDelivery[]; nextCursor: string | null }> {
  const params = new URLSearchParams({ limit: String(options.limit) });
  if (options.cursor) params.set('cursor', options.cursor);
  return request(`/api/webhooks/deliveries?${params}`);
}

export function redeliverWebhook(id: string): Promise<void> {
  return request(`/api/webhooks/deliveries/${encodeURIComponent(id)}/redeliver`, { method: 'POST' });
}
