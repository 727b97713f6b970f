/**
 * Kysely table types. Times are epoch milliseconds (bigint-safe numbers) so the same code runs on
 * SQLite and PostgreSQL; JSON documents are stored as text and parsed at the repository edge.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { WebhookTables } from '../webhooks/webhook-tables.js';

export type VideoStatus = 'processing' | 'ready' | 'failed';
/** public: listed and playable by anyone; unlisted: playable by anyone with the id; private: owner, admins, playback tokens. */
export type VideoVisibility = 'public' | 'unlisted' | 'private';
export const VIDEO_VISIBILITIES = ['public', 'unlisted', 'private'] as const satisfies readonly VideoVisibility[];

export interface VideosTable {
  id: string;
  title: string;
  /** Free text from the owner; '' when none (defaulted by the database on insert). */
  description: Generated<string>;
  /** JSON array of tags (trimmed, unique case-insensitively); '[]' when none. */
  tags_json: Generated<string>;
  status: VideoStatus;
  /** Human-readable reason when status is `failed`. */
  error: string | null;
  /** Blob key of the uploaded original (never served). */
  source_key: string;
  source_name: string | null;
  source_bytes: number;
  /** JSON MediaInfo from the probe. */
  media_json: string | null;
  /** JSON PlannedLadder. */
  ladder_json: string | null;
  /** Blob prefix of the published renditions (one per processing attempt). */
  output_prefix: string | null;
  duration_ms: number | null;
  /** JSON { stage, percent, etaMs } of the latest progress. */
  progress_json: string | null;
  /**
   * JSON { tracks, skipped } (SubtitlePlan, src/pipeline/subtitles.ts): the subtitle tracks published
   * with the ready video, and the source's subtitle streams left out, with why. Null before ready.
   */
  subtitles_json: string | null;
  /** JSON array of the extra codec ladders asked for with the upload; null: the configured default. */
  extra_codecs_json: string | null;
  /** Upload complete → first playable manifest, in ms. */
  time_to_playable_ms: number | null;
  /** The user who uploaded it; null for videos from before accounts (admins only may edit those). */
  owner_id: Generated<string | null>;
  visibility: Generated<VideoVisibility>;
  created_at: number;
  updated_at: number;
  ready_at: number | null;
}

export interface JobsTable {
  id: string;
  /** Job type, e.g. `video.process`. */
  type: string;
  payload_json: string;
  status: 'queued' | 'active' | 'completed' | 'failed';
  /** Lower runs first. */
  priority: number;
  attempts: number;
  max_attempts: number;
  /** Not leasable before this time (back-off). */
  run_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  /** Idempotency key: a second enqueue with the same key is a no-op. */
  dedupe_key: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export type StageStatus = 'queued' | 'running' | 'done' | 'failed';

export interface VideoStagesTable {
  video_id: string;
  /** Stage name, e.g. `thumbnails` (src/pipeline/stages/stage-registry.ts). */
  name: string;
  /** The output version (processing attempt) the stage works on; a newer one supersedes it. */
  version: string;
  /** The latest requested run: only it may record a result (an older run's outputs are discarded). */
  run_id: string;
  status: StageStatus;
  attempts: number;
  /** 0–100 within the stage. */
  percent: number;
  /** JSON options of the run (e.g. the thumbnail method), validated by the stage. */
  options_json: string;
  /** JSON result of a `done` stage. */
  result_json: string | null;
  /** The run whose result (and files) `result_json` is: results stay visible while a newer run works. */
  result_run_id: string | null;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

/** The chunk plan of a video encoded in chunks (docs/chunked-encoding.md); at most one per video. */
export interface VideoChunkPlansTable {
  video_id: string;
  /** Output version every chunk of the plan writes under (videos/<id>/<version>/). */
  version: string;
  /** JSON LadderPlan the chunks encode (analysis included), frozen with the plan. */
  plan_json: string;
  /** JSON MediaInfo of the probe the plan came from. */
  media_json: string;
  /** JSON ChunkGrid (src/pipeline/chunk-plan.ts): GOP frames per rung, segments per chunk, chunk count. */
  grid_json: string;
  created_at: number;
}

export type ChunkKind = 'video' | 'audio';
export type ChunkStatus = 'queued' | 'running' | 'done' | 'failed';

export interface VideoChunksTable {
  video_id: string;
  version: string;
  /** 'video': frames [start_frame, end_frame) of every rung (frames of rung 0 here); 'audio': every track, whole. */
  kind: ChunkKind;
  idx: number;
  /** First output frame of rung 0 (0 for audio). */
  start_frame: number;
  /** End (exclusive) of rung 0; null for the last chunk (to the end) and for audio. */
  end_frame: number | null;
  status: ChunkStatus;
  attempts: number;
  /** Lease owner of the attempt that last started the chunk. */
  attempt_owner: string | null;
  /** JSON ChunkResult (src/videos/chunk-repository.ts) once done. */
  result_json: string | null;
  error: string | null;
  updated_at: number;
}

export type Role = 'admin' | 'creator' | 'viewer';
export const ROLES = ['admin', 'creator', 'viewer'] as const satisfies readonly Role[];

export interface UsersTable {
  id: string;
  /** Unique, case-sensitive, 3–64 of [A-Za-z0-9._-]. */
  username: string;
  /** `scrypt$…` (src/auth/password.ts). */
  password_hash: string;
  role: Role;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the cookie's session id: a leaked table holds no usable session. */
  id_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  /** SHA-256 (hex) of the key; the key itself is shown once, at creation. */
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface ServerSecretsTable {
  name: string;
  /** base64url random bytes. */
  value: string;
  created_at: number;
}

export interface Database extends WebhookTables {
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  server_secrets: ServerSecretsTable;
  videos: VideosTable;
  jobs: JobsTable;
  video_stages: VideoStagesTable;
  video_chunk_plans: VideoChunkPlansTable;
  video_chunks: VideoChunksTable;
  kysely_migration: { name: string; timestamp: string };
}

export type VideoRow = Selectable<VideosTable>;
export type NewVideoRow = Insertable<VideosTable>;
export type VideoUpdate = Updateable<VideosTable>;
export type JobRow = Selectable<JobsTable>;
export type UserRow = Selectable<UsersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type VideoStageRow = Selectable<VideoStagesTable>;
export type VideoChunkRow = Selectable<VideoChunksTable>;
export type VideoChunkPlanRow = Selectable<VideoChunkPlansTable>;
export type JobInsert = Insertable<JobsTable> & { id: string };
