/** The OpenAPI document and Swagger UI at /docs (src/api/api-docs.ts), built from the route schemas. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiKeyJsonSchema, userJsonSchema } from '../../src/auth/account-repository.js';
import { authHeaders, startTestServer, TEST_ADMIN, type TestServer } from '../helpers/app-server.js';

/** POSTs that take no body (actions on the resource in the URL). */
const DOCUMENTED_WITHOUT_BODY = ['POST /api/auth/logout', 'POST /api/webhooks/deliveries/{id}/redeliver'];

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

  it('documents JSON bodies and answers with the zod schemas that parse them, and the error shape', async () => {
    const doc = await (await fetch(`${server.baseUrl}/docs/json`)).json();
    const login = doc.paths['/api/auth/login'].post;
    expect(login.tags).toEqual(['accounts']);
    const loginBody = login.requestBody.content['application/json'].schema;
    expect(loginBody).toMatchObject({ type: 'object', required: ['username', 'password'], additionalProperties: false });
    expect(Object.keys(loginBody.properties)).toEqual(['username', 'password']);
    const signedIn = login.responses['200'].content['application/json'].schema;
    expect(signedIn.properties.user).toEqual(z.toJSONSchema(userJsonSchema, { target: 'openapi-3.0' }));
    const error = login.responses['4XX'].content['application/json'].schema;
    expect(error.properties.error.required).toEqual(['code', 'message']);
    expect(doc.paths['/api/api-keys'].post.responses['201'].content['application/json'].schema.required).toContain('key');
    expect(doc.paths['/api/users'].post.requestBody.content['application/json'].schema.properties.role.enum).toEqual(['admin', 'creator', 'viewer']);
    const uploadForm = doc.paths['/api/videos'].post.requestBody.content['multipart/form-data'].schema;
    expect(uploadForm.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(uploadForm.required).toEqual(['file']);
    expect(Object.keys(doc.paths['/api/videos/{id}'].patch.requestBody.content['application/json'].schema.properties).sort()).toEqual(['description', 'tags', 'title', 'visibility']);
    // Every JSON-taking POST/PATCH under /api/ documents its body (multipart uploads and tus aside).
    const undocumented = Object.entries(doc.paths as Record<string, Record<string, { requestBody?: unknown; consumes?: unknown }>>)
      .flatMap(([url, ops]) => Object.entries(ops).map(([method, op]) => ({ url, method, op })))
      .filter(({ url, method, op }) => ['post', 'patch', 'put'].includes(method) && !url.startsWith('/api/uploads') && !op.requestBody)
      .map(({ url, method }) => `${method.toUpperCase()} ${url}`);
    expect(undocumented.sort()).toEqual(DOCUMENTED_WITHOUT_BODY);
  });

  it('answers what it documents: real answers parse with the documented schemas', async () => {
    const signIn = await fetch(`${server.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(TEST_ADMIN) });
    expect(signIn.status).toBe(200);
    z.strictObject({ user: userJsonSchema }).parse(await signIn.json());
    const created = await fetch(`${server.baseUrl}/api/api-keys`, { method: 'POST', headers: { ...authHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'docs' }) });
    expect(created.status).toBe(201);
    apiKeyJsonSchema.extend({ key: z.string() }).parse(await created.json());
    const listed = await (await fetch(`${server.baseUrl}/api/users`, { headers: authHeaders })).json();
    z.strictObject({ users: z.array(userJsonSchema) }).parse(listed);
    const refused = await fetch(`${server.baseUrl}/api/users`);
    expect(refused.status).toBe(401);
    z.strictObject({ error: z.strictObject({ code: z.string(), message: z.string() }) }).parse(await refused.json());
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
