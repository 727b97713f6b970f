/**
 * The id of every request Fastify answers: `reqId` on each of its log lines, and the `X-Request-Id`
 * response header, so a user's report finds its log lines. An id from the edge (nginx
 * `proxy_set_header X-Request-Id $request_id`) is kept when it looks like one; otherwise a UUID, unique
 * across processes and restarts (Fastify's default is a per-process counter).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTED_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Fastify's `genReqId`. */
export function requestIdOf(req: IncomingMessage): string {
  const fromEdge = req.headers[REQUEST_ID_HEADER];
  return typeof fromEdge === 'string' && ACCEPTED_ID.test(fromEdge) ? fromEdge : randomUUID();
}

export function registerRequestIdHeader(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    done();
  });
}
