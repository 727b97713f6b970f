/**
 * /admin/webhooks: the endpoints webhooks go to (add, remove), and the deliveries, newest first, with
 * every attempt and a way to send one again. Admins only; the server checks too (docs/webhooks.md).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { useSession } from '../app/session.js';
import {
  addWebhookEndpoint, deleteWebhookEndpoint, listWebhookDeliveries, listWebhookEndpoints, redeliverWebhook,
  WEBHOOK_EVENT_TYPES, type WebhookDelivery, type WebhookEndpoint,
} from './webhooks-api.js';
import './admin.css';

const PAGE_SIZE = 50;

function message(err: unknown): string {
  return err instanceof ApiError ? err.message : 'The server cannot be reached.';
}

export function WebhooksPage() {
  const session = useSession();
  if (session.user === undefined) return <section class="page" aria-busy="true" />;
  if (session.user?.role !== 'admin') {
    return (
      <section class="page empty-state">
        <h1>Webhooks</h1>
        <p>Only admins can manage webhooks.</p>
      </section>
    );
  }
  return <WebhooksAdmin />;
}

function WebhooksAdmin() {
  const [endpoints, setEndpoints] = useState<WebhookEndpoint[]>([]);
  const [deliveries, setDeliveries] = useState<WebhookDelivery[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      const [list, page] = await Promise.all([listWebhookEndpoints(), listWebhookDeliveries({ limit: PAGE_SIZE })]);
      setEndpoints(list);
      setDeliveries(page.deliveries);
      setNextCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(message(err));
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  // Follow deliveries still being sent (retries take seconds to hours).
  const anyPending = deliveries.some((d) => d.status === 'pending');
  useEffect(() => {
    if (!anyPending) return;
    const timer = setInterval(() => void reload(), 5000);
    return () => clearInterval(timer);
  }, [anyPending, reload]);

  const loadMore = async () => {
    try {
      const page = await listWebhookDeliveries({ limit: PAGE_SIZE, cursor: nextCursor });
      setDeliveries((shown) => [...shown, ...page.deliveries]);
      setNextCursor(page.nextCursor);
    } catch (err) {
      setError(message(err));
    }
  };

  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      await reload();
    } catch (err) {
      setError(message(err));
    }
  };

  return (
    <section class="page webhooks-page">
      <header class="page-header">
        <h1>Webhooks</h1>
        <button type="button" class="button small" onClick={() => void reload()}>Refresh</button>
      </header>
      {error && <p class="error-banner" role="alert">{error}</p>}
      <h2>Endpoints</h2>
      <EndpointList endpoints={endpoints} onDelete={(endpoint) => void act(() => deleteWebhookEndpoint(endpoint.id))} />
      <AddEndpointForm onAdded={() => void reload()} />
      <h2>Deliveries</h2>
      <DeliveryTable deliveries={deliveries} onRedeliver={(delivery) => void act(() => redeliverWebhook(delivery.id))} />
      {nextCursor && <button type="button" class="button" onClick={() => void loadMore()}>Show older deliveries</button>}
    </section>
  );
}

function EndpointList(props: { endpoints: WebhookEndpoint[]; onDelete: (endpoint: WebhookEndpoint) => void }) {
  if (props.endpoints.length === 0) return <p>No endpoint yet: events are not sent anywhere.</p>;
  return (
    <table class="admin-table">
      <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Description</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>
        {props.endpoints.map((endpoint) => (
          <tr key={endpoint.id}>
            <td class="url">{endpoint.url}</td>
            <td>{endpoint.events.join(', ') === '*' ? 'all' : endpoint.events.join(', ')}</td>
            <td>{endpoint.description}</td>
            <td>
              {endpoint.source === 'config' ? (
                <span class="field-hint">from configuration</span>
              ) : (
                <button type="button" class="button small ghost" aria-label={`Remove endpoint ${endpoint.url}`}
                  onClick={() => confirm(`Stop sending webhooks to ${endpoint.url}?`) && props.onDelete(endpoint)}>Remove</button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AddEndpointForm(props: { onAdded: () => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // None ticked: every event, including types added later.
      const added = await addWebhookEndpoint({ url: url.trim(), description, events: events.length ? events : ['*'] });
      setSecret(added.secret);
      setUrl('');
      setDescription('');
      setEvents([]);
      props.onAdded();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  const toggle = (type: string, on: boolean) => setEvents((now) => (on ? [...now, type] : now.filter((t) => t !== type)));

  return (
    <form class="webhook-form" onSubmit={submit} aria-labelledby="add-endpoint-heading">
      <h3 id="add-endpoint-heading">Add an endpoint</h3>
      <label class="field">
        URL
        <input type="url" name="url" required placeholder="https://example.com/streamforge" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
      </label>
      <label class="field">
        Description
        <input type="text" name="description" maxLength={200} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <fieldset>
        <legend>Events (none ticked: all)</legend>
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <label key={type} class="checkbox">
            <input type="checkbox" name="events" value={type} checked={events.includes(type)} onChange={(e) => toggle(type, e.currentTarget.checked)} />
            {type}
          </label>
        ))}
      </fieldset>
      {error && <p class="error-banner" role="alert">{error}</p>}
      <button type="submit" class="button primary" disabled={busy}>Add endpoint</button>
      {secret && (
        <p class="webhook-secret" role="status">
          <label class="field">
            Signing secret (shown only now: keep it with the receiver)
            <input type="text" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
          </label>
        </p>
      )}
    </form>
  );
}

function DeliveryTable(props: { deliveries: WebhookDelivery[]; onRedeliver: (delivery: WebhookDelivery) => void }) {
  if (props.deliveries.length === 0) return <p>No delivery yet.</p>;
  return (
    <table class="admin-table">
      <thead>
        <tr>
          <th scope="col">Event</th><th scope="col">Endpoint</th><th scope="col">Status</th><th scope="col">Attempts</th>
          <th scope="col">Last response</th><th scope="col">Time</th><th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        {props.deliveries.map((delivery) => (
          <tr key={delivery.id}>
            <td>
              <code>{delivery.eventType}</code>
              {delivery.videoId && <div class="field-hint">video {delivery.videoId}</div>}
            </td>
            <td class="url">{delivery.url}</td>
            <td><span class={`badge webhook-${delivery.status}`}>{delivery.status}</span></td>
            <td>
              {delivery.attempts.length === 0 ? '0' : (
                <details>
                  <summary>{delivery.attemptCount}</summary>
                  <ol class="attempts">
                    {delivery.attempts.map((a) => (
                      <li key={a.attempt}>
                        <time dateTime={a.startedAt}>{new Date(a.startedAt).toLocaleString()}</time>: {a.statusCode ?? 'no answer'}
                        {a.error && ` (${a.error})`}, {a.durationMs} ms
                      </li>
                    ))}
                  </ol>
                </details>
              )}
            </td>
            <td>{delivery.lastStatusCode ?? (delivery.lastError ? 'no answer' : '—')}</td>
            <td><time dateTime={delivery.createdAt}>{new Date(delivery.createdAt).toLocaleString()}</time></td>
            <td>
              <button type="button" class="button small" disabled={delivery.status === 'pending'}
                aria-label={`Redeliver ${delivery.eventType} to ${delivery.url}`} onClick={() => props.onRedeliver(delivery)}>Redeliver</button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
