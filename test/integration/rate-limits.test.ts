/**
 * Rate limits and CORS over real HTTP (docs/security.md "Rate limits and CORS"): 429 with
 * Retry-After on each bucket (api, upload, playback), keyed by API key when there is one and by
 * client address otherwise (X-Forwarded-For only from a trusted proxy), the automation key exempt,
 * recovery once Retry-After has passed, one limit across API processes sharing a Redis, and CORS
 * for listed origins only. Small limits over a short window keep it fast: 3 per 3 s is one request
 * back every second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.js';
import { authHeaders, startTestServer, type TestServer } from '../helpers/app-server.js';
import { scaleOutMode } from '../helpers/scale-out.js';

const APP_ORIGIN = 'https://app.example.com';
const LIMITS = { rateLimitApi: 3, rateLimitUpload: 2, rateLimitPlayback: 3, rateLimitWindowMs: 3_000 };

let server: TestServer;
/** Four API keys of the same (admin) user. */
let keys: [string, string, string, string];

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const from = (ip: string) => ({ 'x-forwarded-for': ip });

function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { headers });
}

/** Requests `path` until one is refused; returns the answers (the last one the 429). */
async function untilRefused(base: string, path: string, headers: Record<string, string>, max = 10): Promise<Response[]> {
  const answers: Response[] = [];
  for (let i = 0; i < max; i++) {
    const res = await get(base, path, headers);
    await res.arrayBuffer();
    answers.push(res);
    if (res.status === 429) return answers;
  }
  throw new Error(`no 429 after ${max} requests to ${path}`);
}

function createTusUpload(headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.baseUrl}/api/uploads`, { method: 'POST', headers: { ...headers, 'tus-resumable': '1.0.0', 'upload-length': '10' } });
}

beforeAll(async () => {
  // Exempt: the automation key only, so the admin's own API keys are limited like anyone's.
  server = await startTestServer({ ...LIMITS, rateLimitExempt: 'bootstrap-key', trustProxy: 'loopback', apiCorsOrigins: APP_ORIGIN }, { stages: [], runWorker: false });
  const made: string[] = [];
  for (const name of ['one', 'two', 'three', 'four']) {
    const res = await fetch(`${server.baseUrl}/api/api-keys`, { method: 'POST', headers: { ...authHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    expect(res.status).toBe(201);
    made.push(((await res.json()) as { key: string }).key);
  }
  keys = made as [string, string, string, string];
});

afterAll(async () => {
  await server?.close();
});

describe('the api bucket', () => {
  it('refuses an anonymous client past the limit with 429, Retry-After and the usual error shape, per address', async () => {
    const answers = await untilRefused(server.baseUrl, '/api/videos', from('203.0.113.1'));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(answers[0]!.headers.get('ratelimit-limit')).toBe('3');
    expect(answers[0]!.headers.get('ratelimit-remaining')).toBe('2');
    const refused = answers.at(-1)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    const body = (await (await get(server.baseUrl, '/api/videos', from('203.0.113.1'))).json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/retry in \d+ s/);
    // Another address (through the trusted proxy) has its own bucket.
    expect((await get(server.baseUrl, '/api/videos', from('203.0.113.2'))).status).toBe(200);
  });

  it('lets the client in again once Retry-After has passed', async () => {
    const refused = (await untilRefused(server.baseUrl, '/api/videos', from('203.0.113.10'))).at(-1)!;
    const retryAfterSec = Number(refused.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, retryAfterSec * 1000));
    expect((await get(server.baseUrl, '/api/videos', from('203.0.113.10'))).status).toBe(200);
  });

  it('counts per API key: a second key of the same user is not limited by the first', async () => {
    const ip = from('203.0.113.3');
    expect((await untilRefused(server.baseUrl, '/api/videos', { ...bearer(keys[0]), ...ip })).length).toBe(4);
    expect((await get(server.baseUrl, '/api/videos', { ...bearer(keys[1]), ...ip })).status).toBe(200);
    // Nor is the address the key was used from.
    expect((await get(server.baseUrl, '/api/videos', ip)).status).toBe(200);
  });

  it('does not limit the automation key (STREAMFORGE_API_KEY)', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await get(server.baseUrl, '/api/videos', { ...authHeaders, ...from('203.0.113.4') });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBeNull();
    }
  });
});

describe('the upload bucket', () => {
  it('counts upload creations (tus and multipart), not the PATCHes of an upload nor other API calls', async () => {
    const headers = bearer(keys[2]);
    const first = await createTusUpload(headers);
    expect(first.status).toBe(201);
    const multipart = await fetch(`${server.baseUrl}/api/videos`, { method: 'POST', headers, body: new FormData() });
    expect(multipart.status).toBe(400);
    const refused = await createTusUpload(headers);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${server.baseUrl}/api/videos`, { method: 'POST', headers, body: new FormData() })).status).toBe(429);
    // The upload already created goes on, chunk after chunk.
    const location = first.headers.get('location')!;
    for (let offset = 0; offset < 10; offset += 2) {
      const patch = await fetch(new URL(location, `${server.baseUrl}/api/uploads/`), {
        method: 'PATCH',
        headers: { ...headers, 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
        body: Buffer.alloc(2),
      });
      expect(patch.status).toBeLessThan(300);
    }
    expect((await get(server.baseUrl, '/api/videos', headers)).status).toBe(200);
  });

  it('puts RateLimit-* on tus answers as on every other API answer, readable cross-origin, and refuses with the same 429', async () => {
    const headers = { ...bearer(keys[3]), origin: APP_ORIGIN };
    const tusHeaders = { ...headers, 'tus-resumable': '1.0.0' };
    const counted = (res: Response) => [res.headers.get('ratelimit-limit'), res.headers.get('ratelimit-remaining')];
    // tus writes its answers past Fastify (uploads.ts): the hooks' headers must still reach them.
    const created = await createTusUpload(headers);
    expect(created.status).toBe(201);
    expect(counted(created)).toEqual(['2', '1']);
    expect(created.headers.get('ratelimit-reset')).toMatch(/^\d+$/);
    expect(created.headers.get('x-request-id')).toMatch(/\S/);
    const exposed = created.headers.get('access-control-expose-headers')!.split(/\s*,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Request-Id', 'Location']));
    // HEAD and DELETE of an upload are in the api bucket.
    const upload = new URL(created.headers.get('location')!, `${server.baseUrl}/api/uploads/`);
    const head = await fetch(upload, { method: 'HEAD', headers: tusHeaders });
    expect(head.status).toBe(200);
    expect(counted(head)).toEqual(['3', '2']);
    const ended = await fetch(upload, { method: 'DELETE', headers: tusHeaders });
    expect(ended.status).toBe(204);
    expect(counted(ended)).toEqual(['3', '1']);

    // Past the limit: the API's 429, headers and JSON error body alike.
    expect((await createTusUpload(headers)).status).toBe(201);
    const refused = await createTusUpload(headers);
    expect(refused.status).toBe(429);
    expect(counted(refused)).toEqual(['2', '0']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({ code: 'rate_limited', message: expect.stringMatching(/^rate limit of 2 upload requests per 3 s reached: retry in \d+ s$/) });
    const apiRefused = (await untilRefused(server.baseUrl, '/api/videos', headers)).at(-1)!;
    const headerNames = (res: Response) => [...res.headers.keys()].filter((name) => /^(ratelimit-|retry-after|x-request-id|content-type|access-control-)/.test(name)).sort();
    expect(headerNames(refused)).toEqual(headerNames(apiRefused));
  });
});

describe('the playback bucket (/stream/)', () => {
  it('refuses one address past the limit with 429 and Retry-After, and not another or the automation key', async () => {
    const path = `/stream/${newId()}/v1/master.m3u8`;
    const answers = await untilRefused(server.baseUrl, path, from('198.51.100.1'));
    expect(answers.map((r) => r.status)).toEqual([404, 404, 404, 429]);
    const refused = answers.at(-1)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect((await get(server.baseUrl, path, from('198.51.100.2'))).status).toBe(404);
    for (let i = 0; i < 6; i++) expect((await get(server.baseUrl, path, { ...authHeaders, ...from('198.51.100.1') })).status).toBe(404);
  });
});

describe('CORS on /api', () => {
  it('answers a listed origin (credentials allowed, Vary: Origin) and no other', async () => {
    const ok = await get(server.baseUrl, '/api/videos', { ...authHeaders, origin: APP_ORIGIN });
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('vary')).toMatch(/origin/i);
    expect(ok.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
    const other = await get(server.baseUrl, '/api/videos', { ...authHeaders, origin: 'https://evil.example' });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('vary')).toMatch(/origin/i);
    // Not outside /api.
    expect((await get(server.baseUrl, '/health', { origin: APP_ORIGIN })).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('passes the preflight of a tus PATCH for a listed origin only, and tus answers carry the same decision', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.baseUrl}/api/uploads/${newId()}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, tus-resumable, upload-offset, content-type' },
      });
    const ok = await preflight(APP_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(ok.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/Upload-Offset/);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/Tus-Resumable/);
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();

    const created = await createTusUpload({ ...authHeaders, origin: APP_ORIGIN });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(created.headers.get('access-control-expose-headers')).toMatch(/Location/);
    expect(created.headers.get('access-control-expose-headers')).toMatch(/Upload-Offset/);
    const foreign = await createTusUpload({ ...authHeaders, origin: 'https://evil.example' });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('two API processes on one Redis', async () => {
  const { deleteRedisPrefix, redisTestUrl, uniqueRedisPrefix } = await import('../helpers/redis.js');
  const redisUrl = await redisTestUrl();

  it.skipIf(redisUrl === null)('share one api limit; without a trusted proxy X-Forwarded-For is ignored; no CORS by default', async () => {
    // Scale-out mode gives each server its own Redis prefix: the second takes the first's. Embedded: both get one.
    const shared = scaleOutMode ? {} : { redisUrl: redisUrl!, redisPrefix: uniqueRedisPrefix() };
    const first = await startTestServer({ ...LIMITS, rateLimitApi: 4, ...shared }, { stages: [], runWorker: false });
    const second = await startTestServer({ ...LIMITS, rateLimitApi: 4, redisUrl: redisUrl!, redisPrefix: first.ctx.config.redisPrefix }, { stages: [], runWorker: false });
    try {
      // Each request claims another address: not trusted, so all are 127.0.0.1.
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await get(first.baseUrl, '/api/videos', from(`192.0.2.${i}`))).status);
        statuses.push((await get(second.baseUrl, '/api/videos', from(`192.0.2.${i + 10}`))).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      const plain = await get(first.baseUrl, '/api/videos', { ...authHeaders, origin: APP_ORIGIN });
      expect(plain.headers.get('access-control-allow-origin')).toBeNull();
      const tus = await fetch(`${first.baseUrl}/api/uploads`, { method: 'POST', headers: { ...authHeaders, origin: APP_ORIGIN, 'tus-resumable': '1.0.0', 'upload-length': '10' } });
      expect(tus.status).toBe(201);
      expect(tus.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await second.close();
      await first.close();
      if (!scaleOutMode) await deleteRedisPrefix(redisUrl!, shared.redisPrefix!);
    }
  });
});
