/** Starts a real StreamForge (database, store, worker, HTTP) in this test process, on a free port. */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { closeAppContext, createAppContext, type CreateAppContextOptions, startBackground, type AppContext } from '../../src/app.js';
import { buildServer } from '../../src/api/server.js';
import { loadConfig } from '../../src/config/config.js';
import { scaleOutMode, scaleOutResources } from './scale-out.js';

/**
 * Every test server starts with this admin API key (STREAMFORGE_API_KEY) and admin password, as
 * automation would: helpers and tests that write send `authHeaders`.
 */
export const TEST_API_KEY = 'test-admin-api-key-0123456789';
export const TEST_ADMIN = { username: 'admin', password: 'test-admin-password' };
export const authHeaders: Readonly<Record<string, string>> = { authorization: `Bearer ${TEST_API_KEY}` };
/** The same as environment variables, for `streamforge` processes (server-process.ts). */
export const TEST_AUTH_ENV: Readonly<Record<string, string>> = { STREAMFORGE_API_KEY: TEST_API_KEY, STREAMFORGE_ADMIN_PASSWORD: TEST_ADMIN.password };

export interface TestServer {
  ctx: AppContext;
  baseUrl: string;
  dataDir: string;
  /** The HTTP server, e.g. to observe the requests that reach it ('request' events). */
  server: Server;
  close(): Promise<void>;
}

export async function startTestServer(
  overrides: Record<string, unknown> = {},
  options: { stages?: CreateAppContextOptions['stages']; runWorker?: CreateAppContextOptions['runWorker'] } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sf-test-'));
  // STREAMFORGE_TEST_MODE=scale-out: PostgreSQL, Redis and S3 unless the test chose its own (scale-out.ts).
  const scaleOut = scaleOutMode ? await scaleOutResources() : null;
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn', segmentSeconds: 2,
      apiKey: TEST_API_KEY, adminPassword: TEST_ADMIN.password,
      ...scaleOut?.settings, ...overrides,
    },
  });
  const ctx = await createAppContext({ config, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' }), stages: options.stages, runWorker: options.runWorker });
  const app = await buildServer(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  await startBackground(ctx);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    ctx,
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    server: app.server,
    async close() {
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
      await closeAppContext(ctx, { graceMs: 2000 });
      await scaleOut?.release();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Keys under `prefix` in the server's BlobStore — local disk or S3 alike, so a test reads what was
 * stored the same way in the embedded and the scale-out mode.
 */
export async function storedKeys(server: TestServer, prefix: string): Promise<string[]> {
  return (await server.ctx.store.list(prefix)).map((key) => key.slice(prefix.length));
}

/**
 * Uploads a file with multipart/form-data, as the admin API key unless `headers` say otherwise;
 * returns the parsed JSON and status.
 */
export async function uploadFile(
  baseUrl: string,
  filePath: string,
  title?: string,
  options: { headers?: Record<string, string>; visibility?: 'public' | 'unlisted' | 'private' } = {},
): Promise<{ status: number; body: any }> {
  const { openAsBlob } = await import('node:fs');
  const form = new FormData();
  if (title) form.append('title', title);
  if (options.visibility) form.append('visibility', options.visibility);
  form.append('file', await openAsBlob(filePath), path.basename(filePath));
  const res = await fetch(`${baseUrl}/api/videos`, { method: 'POST', body: form, headers: options.headers ?? authHeaders });
  return { status: res.status, body: await res.json() };
}

/** Follows the video's SSE stream until it ends; returns every event in order. */
export async function followEvents(baseUrl: string, id: string, timeoutMs = 120_000): Promise<Array<{ event: string; data: any }>> {
  const res = await fetch(`${baseUrl}/api/videos/${id}/events`, { headers: authHeaders, signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
  const events: Array<{ event: string; data: any }> = [];
  for await (const event of sseEvents(res.body)) events.push(event);
  return events;
}

/** The events of a Server-Sent Events body as they arrive (comments and heartbeats skipped). */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<{ event: string; data: any }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) yield { event, data: JSON.parse(data) };
    }
  }
}
