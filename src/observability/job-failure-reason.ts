/**
 * The `reason` label of a failed job attempt: a small, fixed set of values, never the error's
 * free-text message (which names files and ids, and would give every failure its own series).
 */
import { PermanentError, StreamForgeError } from '../errors.js';
import { LeaseLostError, ShutdownError } from '../queue/worker.js';

/**
 * The typed error's code (`unsupported_media`, `ffmpeg_failed`, `timeout`, …) when it has its own;
 * otherwise its class: `shutdown`, `lease_lost`, `permanent` (bad input, not retried) or `transient`
 * (anything else: retried with back-off).
 */
export function failureReasonOf(error: unknown): string {
  if (error instanceof ShutdownError) return 'shutdown';
  if (error instanceof LeaseLostError) return 'lease_lost';
  if (error instanceof StreamForgeError && error.code !== 'internal_error') return error.code;
  if (error instanceof PermanentError) return 'permanent';
  return 'transient';
}
