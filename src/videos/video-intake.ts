/**
 * Turns a stored original into a video: creates the record and enqueues its processing job.
 * Shared by every way a video arrives (HTTP upload, `streamforge ingest`, resumable uploads).
 */
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { EXTRA_VIDEO_CODECS, type ExtraVideoCodec } from '../pipeline/ladder-types.js';
import { PROCESS_VIDEO_JOB, type ProcessVideoPayload } from '../pipeline/process-video.js';
import type { VideoRow, VideoVisibility } from '../db/schema.js';
import type { EnqueueOptions } from '../queue/queue.js';

export interface AcceptVideoOptions {
  id: string;
  /** Blob key of the original, already stored whole. */
  sourceKey: string;
  sourceBytes: number;
  sourceName: string | null;
  title: string;
  /** Extra codec ladders asked for with the upload; absent: the configured default. */
  extraCodecs?: ExtraVideoCodec[];
  /** The uploader (null: nobody, e.g. a CLI ingest before any account exists). */
  ownerId: string | null;
  /** Default public. */
  visibility?: VideoVisibility;
}

export async function acceptVideo(
  ctx: Pick<AppContext, 'videos' | 'queue' | 'worker' | 'logger' | 'metrics'>,
  options: AcceptVideoOptions,
): Promise<VideoRow> {
  const now = Date.now();
  await ctx.videos.create({
    id: options.id,
    title: options.title,
    status: 'processing',
    error: null,
    source_key: options.sourceKey,
    source_name: options.sourceName == null ? null : displayFileName(options.sourceName),
    source_bytes: options.sourceBytes,
    media_json: null,
    ladder_json: null,
    output_prefix: null,
    duration_ms: null,
    progress_json: JSON.stringify({ stage: 'queued', percent: 0, etaMs: null }),
    time_to_playable_ms: null,
    created_at: now,
    updated_at: now,
    ready_at: null,
    extra_codecs_json: options.extraCodecs ? JSON.stringify(options.extraCodecs) : null,
    owner_id: options.ownerId,
    visibility: options.visibility ?? 'public',
  });
  ctx.metrics.videosUploaded.inc();
  // The record and the original are what must not be lost; the job can be derived from them. If we
  // die between these two writes, or the queue is unreachable (Redis down), the reconciler enqueues
  // the job from the record later (same dedupe key, so never twice), and the upload still succeeds.
  try {
    await ctx.queue.enqueue(processVideoJob({ id: options.id, extraCodecs: options.extraCodecs }));
    ctx.worker?.notify();
  } catch (err) {
    ctx.logger.warn({ err, videoId: options.id }, 'queue unavailable: the reconciler will enqueue this video');
  }
  return (await ctx.videos.get(options.id))!;
}

/** The `video.process` job of a video: one per video, whoever enqueues it (dedupe key). */
export function processVideoJob(video: { id: string; extraCodecs?: ExtraVideoCodec[] }): EnqueueOptions<ProcessVideoPayload> {
  return {
    type: PROCESS_VIDEO_JOB,
    payload: { videoId: video.id, ...(video.extraCodecs && { extraCodecs: video.extraCodecs }) },
    dedupeKey: `process:${video.id}`,
  };
}

/** The extra codecs a stored record asked for (extra_codecs_json), for re-enqueueing its job. */
export function requestedExtraCodecs(row: Pick<VideoRow, 'extra_codecs_json'>): ExtraVideoCodec[] | undefined {
  if (row.extra_codecs_json === null) return undefined;
  const parsed = z.array(z.enum(EXTRA_VIDEO_CODECS)).safeParse(JSON.parse(row.extra_codecs_json));
  return parsed.success ? parsed.data : undefined;
}

/** A title a user gives a video (multipart field or tus metadata): display text, 1–200 characters. */
// PostgreSQL refuses NUL in text and the rest are invisible in a page: a title has none.
export const titleSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((title) => !/[\u0000-\u001f\u007f-\u009f]/.test(title), 'a title may not contain control characters');

/**
 * Control characters (C0, DEL, C1) and the bidirectional embedding, override and isolate marks: a
 * file name `evil\u202Egpj.mp4` displays as `evilmp4.jpg`. PostgreSQL refuses NUL in text.
 */
const UNDISPLAYABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Cuts at a code point boundary, so no half of a surrogate pair is left behind. */
function firstCodePoints(text: string, max: number): string {
  return Array.from(text).slice(0, max).join('');
}

/** An uploaded file's name as stored and shown (details JSON): display text only, never a path. */
export function displayFileName(name: string): string {
  return firstCodePoints(name.replace(UNDISPLAYABLE, ''), 255);
}

/** Display title from an uploaded file name: text only, never used as a path. */
export function titleFromFileName(name: string | null | undefined): string {
  const base = (name ?? '')
    .replace(UNDISPLAYABLE, '')
    .replace(/^.*[\\/]/, '')
    .replace(/\.[A-Za-z0-9]{1,5}$/, '')
    .trim();
  return firstCodePoints(base, 200) || 'Untitled video';
}

/**
 * The `extraCodecs` upload field (multipart) or metadata entry (tus): a comma-separated list of
 * av1, vp9 — or `none` (also the empty string) for H.264 only, whatever the configured default.
 * Returns an error message for anything else.
 */
export function parseExtraCodecs(value: string): { codecs: ExtraVideoCodec[] } | { error: string } {
  const names = value.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'none');
  const unknown = names.filter((c) => !(EXTRA_VIDEO_CODECS as readonly string[]).includes(c));
  if (unknown.length > 0 || value.length > 100) {
    return { error: `extraCodecs: a comma-separated list of ${EXTRA_VIDEO_CODECS.join(', ')}, or none` };
  }
  return { codecs: EXTRA_VIDEO_CODECS.filter((c) => names.includes(c)) };
}
