/**
 * The jobs of a chunked encode (docs/chunked-encoding.md) and how they are queued:
 *
 *   video.process ─► chunk plan + one `video.chunk` job per video chunk + one for the audio
 *   video.chunk (any worker, in parallel) ─► segments stored, result recorded; the last to finish
 *   enqueues `video.assemble` ─► manifests, packaging, ready
 *
 * Every enqueue carries a dedupe key per video + version (+ chunk), so enqueueing again — a re-run
 * of `video.process`, the reconciler, two chunks finishing at once — adds nothing.
 */
import type { Queue } from '../queue/queue.js';
import type { ChunkKind } from '../db/schema.js';
import type { ChunkRecord, ChunkRepository, StoredChunkPlan } from '../videos/chunk-repository.js';

export const CHUNK_JOB = 'video.chunk';
export const ASSEMBLE_JOB = 'video.assemble';

export interface ChunkJobPayload {
  videoId: string;
  version: string;
  kind: ChunkKind;
  idx: number;
}

export interface AssembleJobPayload {
  videoId: string;
  version: string;
}

export function chunkDedupeKey(p: ChunkJobPayload): string {
  return `chunk:${p.videoId}:${p.version}:${p.kind}:${p.idx}`;
}

export function assembleDedupeKey(p: AssembleJobPayload): string {
  return `assemble:${p.videoId}:${p.version}`;
}

export async function enqueueChunkJob(queue: Queue, payload: ChunkJobPayload): Promise<string> {
  return queue.enqueue({ type: CHUNK_JOB, payload, dedupeKey: chunkDedupeKey(payload) });
}

export async function enqueueAssembleJob(queue: Queue, payload: AssembleJobPayload): Promise<string> {
  return queue.enqueue({ type: ASSEMBLE_JOB, payload, dedupeKey: assembleDedupeKey(payload) });
}

/** Where a chunked encode stands, as its jobs and records say. */
export type ChunkedState =
  | { state: 'encoding'; done: number; total: number }
  /** `ended`: the assembly job completed (the video is ready by then, unless the job gave up on it). */
  | { state: 'assembling'; ended: boolean }
  /** A job gave up for good (or ended without recording anything): the video cannot be finished. */
  | { state: 'failed'; reason: string };

/**
 * Makes sure every job the plan still needs exists — one per unfinished chunk, or the assembly
 * once all are done — and reports where the encode stands. Safe to call any number of times.
 */
export async function ensureChunkedJobs(options: { queue: Queue; chunks: ChunkRepository; plan: StoredChunkPlan }): Promise<ChunkedState> {
  const { queue, chunks, plan } = options;
  const { videoId, version } = plan;
  await chunks.ensureRows(plan);
  const records = await chunks.list(videoId, version);
  const pending = records.filter((r) => r.status !== 'done');
  for (const record of pending) {
    const job = await queue.get(await enqueueChunkJob(queue, { videoId, version, kind: record.kind, idx: record.idx }));
    if (job?.status === 'failed') return { state: 'failed', reason: chunkFailure(record, job.lastError) };
    if (job?.status === 'completed') {
      // The job records its result before it completes: read the record again before calling it lost.
      const now = await chunks.get(record);
      if (now?.status !== 'done') return { state: 'failed', reason: `${describe(record)} ended without a result` };
    }
  }
  if (pending.length > 0) return { state: 'encoding', done: records.length - pending.length, total: records.length };
  const assembly = await queue.get(await enqueueAssembleJob(queue, { videoId, version }));
  if (assembly?.status === 'failed') return { state: 'failed', reason: assembly.lastError ?? 'assembly failed' };
  return { state: 'assembling', ended: assembly?.status === 'completed' };
}

function describe(record: ChunkRecord): string {
  return record.kind === 'audio' ? 'the audio job' : `chunk ${record.idx}`;
}

function chunkFailure(record: ChunkRecord, lastError: string | null): string {
  return `${describe(record)} failed: ${lastError ?? record.error ?? 'unknown error'}`;
}
