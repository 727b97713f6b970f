/**
 * The web app (web/, built by Vite into dist/web): its hashed assets under /assets/ cached for a
 * year, and index.html for every page route (/, /upload, /watch/:id) so any app URL can be opened
 * directly; other HTML navigations get index.html with 404 and the app says "page not found".
 * Files go through @fastify/static (ETag, Range, 304) rather than our origin: they are a handful,
 * read from the install, and off the segment hot path.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ID_PATTERN } from '../ids.js';

/** dist/web of this install, found from this module whether it runs from src/ (tests) or dist/. */
export function webAppDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'web');
}

/** Page routes of the app (web/src/app/App.tsx). */
const PAGE_ROUTES = ['/', '/upload', '/signin', '/watch/:id', '/admin/webhooks'];

// No inline script or style attributes from us; Preact sets styles through the CSSOM, which CSP allows,
// and hls.js starts its worker from a blob: URL.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join('; ');

export async function registerWebApp(app: FastifyInstance, options: { root?: string } = {}): Promise<void> {
  const root = options.root ?? webAppDir();
  const built = existsSync(path.join(root, 'index.html'));
  if (!built) app.log.warn({ root }, 'the web app is not built (npm run build): pages answer 503');

  await app.register(fastifyStatic, {
    root,
    serve: false,
    dotfiles: 'ignore',
  });
  if (built) {
    await app.register(fastifyStatic, {
      root: path.join(root, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      dotfiles: 'ignore',
      index: false,
      // Vite puts a content hash in every asset name.
      maxAge: '365d',
      immutable: true,
    });
  }

  const sendPage = (reply: FastifyReply, status = 200) => {
    if (!built) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The StreamForge web app is not built: run `npm run build`.\n');
    }
    return reply
      .code(status)
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('Referrer-Policy', 'same-origin')
      .header('Cache-Control', 'no-cache')
      .sendFile('index.html', { maxAge: 0, immutable: false, cacheControl: false });
  };

  for (const url of PAGE_ROUTES) {
    app.get(url, url.includes(':id')
      ? { schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: ID_PATTERN } }, required: ['id'] } } }
      : {}, async (_request, reply) => sendPage(reply));
  }
  app.get('/favicon.svg', async (_request, reply) =>
    built ? reply.sendFile('favicon.svg', { maxAge: '1d', immutable: false }) : reply.code(404).send());

  // A browser navigation to an unknown page gets the app (which shows "page not found");
  // API clients keep the JSON 404 of error-handler.ts.
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    if (request.method === 'GET' && !path.startsWith('/api/') && (request.headers.accept ?? '').includes('text/html')) {
      return sendPage(reply, 404);
    }
    return reply.code(404).send({ error: { code: 'not_found', message: `no route for ${request.method} ${path}` } });
  });
}
