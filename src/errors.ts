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
