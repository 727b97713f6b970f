/** The OpenAPI document and Swagger UI at /docs (src/api/api-docs.ts), built from the route schemas. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { runWorker: false });
});
afterAll(async () => {
  await server?.close();
});

describe('/docs', () => {
  it('serves an OpenAPI 3 document of the API, from the routes, without the web app pages', async () => {
    const res = await fetch(`${server.baseUrl}/docs/json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'StreamForge API', version: expect.any(String) });
    const paths = Object.keys(doc.paths);
    for (const p of ['/api/videos', '/api/videos/{id}', '/api/videos/{id}/events', '/api/videos/{id}/stages', '/api/uploads', '/health', '/ready', '/metrics']) {
      expect(paths).toContain(p);
    }
    expect(paths.filter((p) => !p.startsWith('/api/') && !['/health', '/ready', '/metrics'].includes(p))).toEqual([]);

    const list = doc.paths['/api/videos'].get;
    expect(list.tags).toEqual(['videos']);
    expect(list.summary).toBeTruthy();
    expect(list.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['query:limit', 'query:offset', 'query:status', 'query:q', 'query:sort']),
    );
    expect(doc.paths['/api/videos/{id}'].get.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'id', required: true })]);
    expect(doc.paths['/api/videos'].post.summary).toMatch(/upload/i);
    // tus is routed for every method; only the protocol's are documented.
    expect(Object.keys(doc.paths['/api/uploads']).sort()).toEqual(['options', 'post']);
    expect(Object.keys(doc.paths['/api/uploads/{uploadId}']).sort()).toEqual(['delete', 'get', 'head', 'options', 'patch', 'post']);
    expect(paths).not.toContain('/api/uploads/{*}');
    expect(doc.paths['/ready'].get.responses['503']).toBeDefined();
  });

  it('serves Swagger UI from the package (no network), not blocked by the web app\'s CSP', async () => {
    const page = await fetch(`${server.baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toMatch(/swagger-ui/);
    expect(html).not.toMatch(/<script src="https?:/);
    expect(page.headers.get('content-security-policy')).toBeNull();
    const bundle = await fetch(`${server.baseUrl}/docs/static/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
  });
});
