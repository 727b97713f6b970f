/** Maps every error to one JSON shape `{ error: { code, message } }` — the one place errors become HTTP. */
import type { FastifyError, FastifyInstance } from 'fastify';
import { StreamForgeError, TooManyRequestsError } from '../errors.js';
import { storageErrorOf } from '../storage/storage-errors.js';

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | StreamForgeError | Error, request, reply) => {
    let status = 500;
    let code = 'internal_error';
    let message = 'internal error';
    // A full or read-only disk is the operator's to fix and the client's to retry: say so.
    err = storageErrorOf(err) ?? err;
    if (err instanceof StreamForgeError) {
      status = err.statusCode;
      code = err.code;
      message = err.message;
      if (err instanceof TooManyRequestsError) void reply.header('Retry-After', String(err.retryAfterSec));
    } else if ('validation' in err && err.validation) {
      status = 400;
      code = 'bad_request';
      message = err.message;
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
      // Fastify and plugin errors (e.g. @fastify/multipart's FST_REQ_FILE_TOO_LARGE).
      status = err.statusCode;
      code = (err as FastifyError).code ?? 'bad_request';
      message = err.message;
    }
    if (status >= 500) request.log.error({ err }, 'request failed');
    void reply.code(status).send({ error: { code, message } });
  });
}
