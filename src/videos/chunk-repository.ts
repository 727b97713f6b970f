/**
 * Records of chunked encodes (docs/chunked-encoding.md): the one chunk plan of a video and one row
 * per chunk job. Every write is idempotent or conditional, because the jobs that make them are
 * delivered at least once: the plan is insert-if-absent (a second `video.process` attempt adopts
 * the first one's plan), chunk rows likewise, a result is recorded only by the attempt that last
 * started the chunk, and a chunk once `done` stays done.
 */
import type { Kysely } from 'kysely';
import type { ChunkKind, ChunkStatus, Database, VideoChunkRow } from '../db/schema.js';
import type { MediaInfo } from '../media/media-info.js';
import type { ChunkGrid } from '../pipeline/chunk-plan.js';
import type { PublishedSegment } from '../pipeline/ladder-publisher.js';
import type { LadderPlan } from '../pipeline/ladder-types.js';

export interface StoredChunkPlan {
  videoId: string;
  version: string;
  plan: LadderPlan;
  media: MediaInfo;
  grid: ChunkGrid;
  createdAt: number;
}

/** Identifies one chunk job's row. */
export interface ChunkKey {
  videoId: string;
  version: string;
  kind: ChunkKind;
  idx: number;
}

/** What one rendition of a chunk produced, already stored at its final keys. */
export interface ChunkRenditionResult {
  /** v0…, a0…: as renditionDirs names them. */
  dir: string;
  initUri: string;
  /** SHA-256 of the chunk's init segment: every chunk's must be the same bytes. */
  initSha256: string;
  codec: string;
  timescale: number;
  /** With global names and decode times (already rewritten). */
  segments: PublishedSegment[];
  /** Samples (frames, or audio frames) in all segments. */
  samples: number;
}

export interface ChunkResult {
  renditions: ChunkRenditionResult[];
  /** Wall time of the chunk's ffmpeg run. */
  ffmpegMs: number;
}

export interface ChunkRecord extends ChunkKey {
  startFrame: number;
  endFrame: number | null;
  status: ChunkStatus;
  attempts: number;
  attemptOwner: string | null;
  result: ChunkResult | null;
  error: string | null;
  updatedAt: number;
}

function toRecord(row: VideoChunkRow): ChunkRecord {
  return {
    videoId: row.video_id,
    version: row.version,
    kind: row.kind,
    idx: row.idx,
    startFrame: row.start_frame,
    endFrame: row.end_frame,
    status: row.status,
    attempts: row.attempts,
    attemptOwner: row.attempt_owner,
    result: row.result_json ? (JSON.parse(row.result_json) as ChunkResult) : null,
    error: row.error,
    updatedAt: row.updated_at,
  };
}

/** The chunk rows a plan implies: every video chunk (frames of rung 0), then the audio job when there is audio. */
export function chunkRowsOf(plan: StoredChunkPlan): Array<Omit<ChunkKey, 'videoId' | 'version'> & { startFrame: number; endFrame: number | null }> {
  const { grid } = plan;
  const span = grid.segmentsPerChunk * grid.gopFrames[0]!;
  const video = Array.from({ length: grid.chunkCount }, (_, idx) => ({
    kind: 'video' as const,
    idx,
    startFrame: idx * span,
    endFrame: idx === grid.chunkCount - 1 ? null : (idx + 1) * span,
  }));
  return plan.plan.audio.length > 0 ? [...video, { kind: 'audio' as const, idx: 0, startFrame: 0, endFrame: null }] : video;
}

const MAX_ERROR_CHARS = 2000;

export class ChunkRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records the plan unless the video has one already, and its chunk rows; resolves with the plan
   * that holds (the earlier one when there was one).
   */
  async createPlan(plan: Omit<StoredChunkPlan, 'createdAt'>): Promise<StoredChunkPlan> {
    await this.db
      .insertInto('video_chunk_plans')
      .values({
        video_id: plan.videoId,
        version: plan.version,
        plan_json: JSON.stringify(plan.plan),
        media_json: JSON.stringify(plan.media),
        grid_json: JSON.stringify(plan.grid),
        created_at: Date.now(),
      })
      .onConflict((oc) => oc.column('video_id').doNothing())
      .execute();
    const held = await this.getPlan(plan.videoId);
    if (!held) throw new Error(`chunk plan of ${plan.videoId} vanished after insert`);
    await this.ensureRows(held);
    return held;
  }

  /** Inserts the plan's chunk rows that are missing (a crash between plan and rows leaves none). */
  async ensureRows(plan: StoredChunkPlan): Promise<void> {
    const now = Date.now();
    await this.db
      .insertInto('video_chunks')
      .values(
        chunkRowsOf(plan).map((row) => ({
          video_id: plan.videoId,
          version: plan.version,
          kind: row.kind,
          idx: row.idx,
          start_frame: row.startFrame,
          end_frame: row.endFrame,
          status: 'queued' as const,
          attempts: 0,
          attempt_owner: null,
          result_json: null,
          error: null,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['video_id', 'version', 'kind', 'idx']).doNothing())
      .execute();
  }

  async getPlan(videoId: string): Promise<StoredChunkPlan | null> {
    const row = await this.db.selectFrom('video_chunk_plans').selectAll().where('video_id', '=', videoId).executeTakeFirst();
    if (!row) return null;
    return {
      videoId: row.video_id,
      version: row.version,
      plan: JSON.parse(row.plan_json) as LadderPlan,
      media: JSON.parse(row.media_json) as MediaInfo,
      grid: JSON.parse(row.grid_json) as ChunkGrid,
      createdAt: row.created_at,
    };
  }

  /** Every chunk of a version: video chunks in order, then audio. */
  async list(videoId: string, version: string): Promise<ChunkRecord[]> {
    const rows = await this.db
      .selectFrom('video_chunks')
      .selectAll()
      .where('video_id', '=', videoId)
      .where('version', '=', version)
      .orderBy('kind', 'desc')
      .orderBy('idx')
      .execute();
    return rows.map(toRecord);
  }

  async get(key: ChunkKey): Promise<ChunkRecord | null> {
    const row = await this.byKey(this.db.selectFrom('video_chunks').selectAll(), key).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** An attempt takes the chunk; false when it is done already (nothing to redo). */
  async start(key: ChunkKey, owner: string): Promise<boolean> {
    const result = await this.byKey(this.db.updateTable('video_chunks'), key)
      .set((eb) => ({ status: 'running', attempts: eb('attempts', '+', 1), attempt_owner: owner, error: null, updated_at: Date.now() }))
      .where('status', '!=', 'done')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Records the result of the attempt that last started the chunk; false for any other attempt. */
  async finish(key: ChunkKey, owner: string, result: ChunkResult): Promise<boolean> {
    const updated = await this.byKey(this.db.updateTable('video_chunks'), key)
      .set({ status: 'done', result_json: JSON.stringify(result), error: null, updated_at: Date.now() })
      .where('attempt_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  /** A failed attempt: back to `queued` (a retry follows) or `failed` for good. */
  async recordError(key: ChunkKey, owner: string, error: string, forGood: boolean): Promise<void> {
    await this.byKey(this.db.updateTable('video_chunks'), key)
      .set({ status: forGood ? 'failed' : 'queued', error: error.slice(0, MAX_ERROR_CHARS), updated_at: Date.now() })
      .where('attempt_owner', '=', owner)
      .where('status', '=', 'running')
      .execute();
  }

  /** Chunks of the version not done yet. */
  async countUnfinished(videoId: string, version: string): Promise<number> {
    const row = await this.db
      .selectFrom('video_chunks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('video_id', '=', videoId)
      .where('version', '=', version)
      .where('status', '!=', 'done')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private byKey<QB extends { where: (...args: any[]) => QB }>(qb: QB, key: ChunkKey): QB {
    return qb
      .where('video_id', '=', key.videoId)
      .where('version', '=', key.version)
      .where('kind', '=', key.kind)
      .where('idx', '=', key.idx);
  }
}
