/**
 * Typed errors of the domain. The HTTP layer maps them to status codes in one place
 * (src/api/error-handler.ts); the worker treats a `PermanentError` as "fail now, never retry".
 */
export class StreamForgeError extends Error {
  /** HTTP status this error maps to. */
  readonly statusCode: number = 500;
  /** Stable machine-readable code. */
  readonly code: string = 'internal_error';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A failure that retrying cannot fix (bad input): the job fails at once with this message. */
export class PermanentError extends StreamForgeError {}

export class UnsupportedMediaError extends PermanentError {
  override readonly statusCode = 415;
  override readonly code = 'unsupported_media';
}

export class MediaLimitError extends PermanentError {
  override readonly statusCode = 422;
  override readonly code = 'media_limit_exceeded';
}

export class UploadTooLargeError extends StreamForgeError {
  override readonly statusCode = 413;
  override readonly code = 'upload_too_large';
}

/** Taking the bytes would leave the disk below its reserve (STREAMFORGE_MIN_FREE_BYTES). */
export class InsufficientStorageError extends StreamForgeError {
  override readonly statusCode = 507;
  override readonly code = 'insufficient_storage';
}

export class BadRequestError extends StreamForgeError {
  override readonly statusCode = 400;
  override readonly code = 'bad_request';
}

export class NotFoundError extends StreamForgeError {
  override readonly statusCode = 404;
  override readonly code = 'not_found';
}

/** No credentials, or credentials that are wrong, expired or revoked. */
export class UnauthorizedError extends StreamForgeError {
  override readonly statusCode = 401;
  override readonly code = 'unauthorized';
}

/** Known caller, not allowed. Others' private videos answer NotFoundError instead, so ids cannot be probed. */
export class ForbiddenError extends StreamForgeError {
  override readonly statusCode = 403;
  override readonly code = 'forbidden';
}

/** A name that must be unique already exists (a username). */
export class ConflictError extends StreamForgeError {
  override readonly statusCode = 409;
  override readonly code = 'conflict';
}

/** Over a rate limit; `retryAfterSec` becomes the Retry-After header. */
export class TooManyRequestsError extends StreamForgeError {
  override readonly statusCode = 429;
  override readonly code = 'rate_limited';
  constructor(message: string, readonly retryAfterSec: number) {
    super(message);
  }
}

/** ffmpeg/ffprobe exited badly; `stderrTail` keeps its last lines for the reason shown to users. */
export class FfmpegError extends StreamForgeError {
  override readonly code = 'ffmpeg_failed';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

export class TimeoutError extends StreamForgeError {
  override readonly code = 'timeout';
}

/** The data directory cannot be written (a read-only file system): nothing was stored. */
export class StorageUnavailableError extends StreamForgeError {
  override readonly statusCode = 503;
  override readonly code = 'storage_unavailable';
}
