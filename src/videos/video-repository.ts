/**
 * The `videos` table: the one place that reads and writes video records, and maps them to the
 * public JSON shape of the API.
 */
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { DialectName } from '../db/database.js';
import type { Database, NewVideoRow, VideoRow, VideoStatus, VideoUpdate, VideoVisibility } from '../db/schema.js';
import type { MediaInfo } from '../media/media-info.js';
import type { AudioRendition, InterlaceDecision, LadderPlan } from '../pipeline/ladder-types.js';
import { languageTag } from '../pipeline/track-language.js';
import { STORYBOARD_JSON, STORYBOARD_VTT } from '../pipeline/storyboard.js';
import type { SubtitlePlan } from '../pipeline/subtitles.js';
import type { VideoStage } from './video-events.js';

export interface VideoProgress {
  stage: VideoStage;
  percent: number;
  etaMs: number | null;
}

export type VideoSort = 'newest' | 'oldest' | 'title' | 'duration';
export const VIDEO_SORTS: readonly VideoSort[] = ['newest', 'oldest', 'title', 'duration'];

export interface VideoSearch {
  status?: VideoStatus;
  /** Case-insensitive substring of the title, the description or any tag. */
  q?: string;
  /** newest (default) | oldest | title (A→Z) | duration (shortest first, unknown last). */
  sort?: VideoSort;
  /**
   * Whose listing this is: anonymous (null) sees public videos; a user also their own, whatever
   * their visibility; `'all'` (admins) everything. Unlisted videos are never listed for others.
   */
  visibleTo?: { userId: string | null } | 'all';
  /** Only this owner's videos. */
  ownerId?: string;
  limit: number;
  offset: number;
}

/** What an owner may edit; absent fields stay as they are. */
export interface VideoDetails {
  title?: string;
  description?: string;
  tags?: string[];
  visibility?: VideoVisibility;
}

/** A video arrived, left `processing`, or was deleted. */
export interface VideoTransition {
  type: 'uploaded' | 'ready' | 'failed' | 'deleted';
  /** The row as the change left it (for `deleted`, as it was). */
  video: VideoRow;
}

/**
 * Runs inside the transaction that made the change, so what it records exists exactly when the change
 * does (webhook events: src/webhooks/webhook-events.ts). It must use `trx` only: on SQLite another
 * query would wait for this transaction's connection forever. What it returns runs after the commit
 * (and must not throw).
 */
export type VideoTransitionObserver = (trx: Kysely<Database>, transition: VideoTransition) => Promise<(() => Promise<void>) | void>;

export interface VideoRepositoryOptions {
  db: Kysely<Database>;
  /** Search reads JSON tags with each dialect's own function. */
  dialect: DialectName;
  onTransition?: VideoTransitionObserver;
}

export class VideoRepository {
  private readonly db: Kysely<Database>;
  private readonly dialect: DialectName;
  private readonly onTransition: VideoTransitionObserver | undefined;

  constructor(options: VideoRepositoryOptions) {
    this.db = options.db;
    this.dialect = options.dialect;
    this.onTransition = options.onTransition;
  }

  /** Makes a change that returns the row it changed (or nothing) and tells the observer, in one transaction. */
  private async transition(type: VideoTransition['type'], change: (db: Kysely<Database>) => Promise<VideoRow | undefined>): Promise<boolean> {
    const observer = this.onTransition;
    if (!observer) return (await change(this.db)) !== undefined;
    const outcome = await this.db.transaction().execute(async (trx) => {
      const video = await change(trx);
      return video ? { after: await observer(trx, { type, video }) } : null;
    });
    await outcome?.after?.();
    return outcome !== null;
  }

  async create(row: NewVideoRow): Promise<void> {
    await this.transition('uploaded', (db) => db.insertInto('videos').values(row).returningAll().executeTakeFirst());
  }

  async get(id: string): Promise<VideoRow | null> {
    return (await this.db.selectFrom('videos').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  /** What access control needs of a video (src/auth/stream-access.ts): a narrow read on the hot path's misses. */
  async accessInfo(id: string): Promise<{ visibility: VideoVisibility; owner_id: string | null } | null> {
    return (await this.db.selectFrom('videos').select(['visibility', 'owner_id']).where('id', '=', id).executeTakeFirst()) ?? null;
  }

  /** One page of the videos matching the filters, and how many match in all. */
  async search(options: VideoSearch): Promise<{ rows: VideoRow[]; total: number }> {
    let matching = this.db.selectFrom('videos');
    if (options.status) matching = matching.where('status', '=', options.status);
    const visibleTo = options.visibleTo ?? { userId: null };
    if (visibleTo !== 'all') {
      const { userId } = visibleTo;
      matching = matching.where((eb) =>
        userId === null ? eb('visibility', '=', 'public') : eb.or([eb('visibility', '=', 'public'), eb('owner_id', '=', userId)]),
      );
    }
    if (options.ownerId) matching = matching.where('owner_id', '=', options.ownerId);
    const q = options.q?.trim();
    // No stored title, description or tag holds a NUL (their schemas refuse control characters),
    // and PostgreSQL fails on one in a parameter (GET /api/videos?q=%00 was a 500 there).
    if (q?.includes('\u0000')) return { rows: [], total: 0 };
    if (q) matching = matching.where(this.textMatches(q));

    let page = matching.selectAll();
    switch (options.sort ?? 'newest') {
      case 'newest':
        page = page.orderBy('created_at', 'desc').orderBy('id', 'desc');
        break;
      case 'oldest':
        page = page.orderBy('created_at', 'asc').orderBy('id', 'asc');
        break;
      case 'title':
        page = page.orderBy(sql`lower(title)`).orderBy('title').orderBy('id');
        break;
      case 'duration':
        // NULLs sort first on SQLite and last on PostgreSQL: say where they go.
        page = page.orderBy(sql`duration_ms is null`).orderBy('duration_ms').orderBy('id');
        break;
    }
    const [rows, count] = await Promise.all([
      page.limit(options.limit).offset(options.offset).execute(),
      matching.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.total) };
  }

  /** Sets the given details; returns the updated row, or null when there is no such video. */
  async updateDetails(id: string, details: VideoDetails): Promise<VideoRow | null> {
    const row = await this.db
      .updateTable('videos')
      .set({
        ...(details.title !== undefined && { title: details.title }),
        ...(details.description !== undefined && { description: details.description }),
        ...(details.tags !== undefined && { tags_json: JSON.stringify(details.tags) }),
        ...(details.visibility !== undefined && { visibility: details.visibility }),
        updated_at: Date.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row ?? null;
  }

  /**
   * `q` in the title, the description or one of the tags, case-insensitively; its `%`, `_` and `\`
   * are literal. Both sides go through lower() (Unicode on both dialects, see openDatabase).
   */
  private textMatches(q: string): Expression<SqlBool> {
    const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const like = (text: Expression<unknown>) => sql<SqlBool>`lower(${text}) like lower(${pattern}) escape '\\'`;
    // Per tag, not over the JSON text: '[', '","' and escapes must not match.
    const eachTag =
      this.dialect === 'postgres'
        ? sql`json_array_elements_text(videos.tags_json::json) as tag(value)`
        : sql`json_each(videos.tags_json) as tag`;
    const tags = sql<SqlBool>`exists (select 1 from ${eachTag} where ${like(sql.ref('tag.value'))})`;
    return sql<SqlBool>`(${like(sql.ref('videos.title'))} or ${like(sql.ref('videos.description'))} or ${tags})`;
  }

  async update(id: string, changes: Omit<VideoUpdate, 'id' | 'updated_at'>): Promise<void> {
    await this.db.updateTable('videos').set({ ...changes, updated_at: Date.now() }).where('id', '=', id).execute();
  }

  /**
   * processing → ready, once: returns false when the video was not processing any more (a
   * duplicate run of an at-least-once job), so the caller publishes nothing twice.
   */
  async markReady(id: string, changes: { output_prefix: string; progress_json: string; subtitles_json?: string }): Promise<boolean> {
    const now = Date.now();
    return this.transition('ready', (db) =>
      db
        .updateTable('videos')
        .set({ ...changes, status: 'ready', error: null, ready_at: now, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'processing')
        .returningAll()
        .executeTakeFirst(),
    );
  }

  async markFailed(id: string, reason: string): Promise<boolean> {
    const now = Date.now();
    return this.transition('failed', (db) =>
      db
        .updateTable('videos')
        .set({ status: 'failed', error: reason.slice(0, 2000), updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'processing')
        .returningAll()
        .executeTakeFirst(),
    );
  }

  async delete(id: string): Promise<void> {
    await this.transition('deleted', (db) => db.deleteFrom('videos').where('id', '=', id).returningAll().executeTakeFirst());
  }

  /** Videos still processing, oldest first (for reconciliation with the queue). */
  async listProcessing(): Promise<VideoRow[]> {
    return this.db.selectFrom('videos').selectAll().where('status', '=', 'processing').orderBy('created_at').execute();
  }
}

/** `videos/<id>/<version>/` → `<version>` (one per processing attempt). */
export function outputVersion(outputPrefix: string): string {
  return outputPrefix.split('/')[2]!;
}

/** Public URL path of a published file of a video, relative to the server. */
export function streamPath(videoId: string, outputPrefix: string, file: string): string {
  // The origin serves 'videos/<id>/<version>/' as /stream/<id>/<version>/.
  return `/stream/${videoId}/${outputVersion(outputPrefix)}/${file}`;
}

/** Folder of the storyboard (sprites, storyboard.vtt, storyboard.json) beside the manifests. */
export const STORYBOARD_DIR = 'storyboard';

/** Names of the files published beside the manifests once a video is ready. */
export function publishedExtras(plan: LadderPlan): {
  mp4: string;
  poster: string | null;
  storyboardVtt: string | null;
  storyboardJson: string | null;
} {
  return plan.video.length > 0
    ? {
        mp4: 'download.mp4',
        poster: 'poster.jpg',
        storyboardVtt: `${STORYBOARD_DIR}/${STORYBOARD_VTT}`,
        storyboardJson: `${STORYBOARD_DIR}/${STORYBOARD_JSON}`,
      }
    : { mp4: 'download.m4a', poster: null, storyboardVtt: null, storyboardJson: null };
}

export interface VideoJson {
  id: string;
  title: string;
  description: string;
  tags: string[];
  visibility: VideoVisibility;
  /** The uploader's user id; null for videos from before accounts. */
  ownerId: string | null;
  status: VideoRow['status'];
  error: string | null;
  progress: VideoProgress | null;
  durationSec: number | null;
  source: { name: string | null; bytes: number; container: string | null; video: MediaInfo['video']; audio: MediaInfo['audio'] } | null;
  renditions: Array<{ name: string; width: number; height: number; fps: number; maxrateKbps: number }>;
  /** Video codecs of the ladders: 'h264', plus 'av1'/'vp9' when extra ladders were made. */
  videoCodecs: string[];
  /** Every audio rendition (AAC stereo), default first, with its measured loudness and the target. */
  audioTracks: AudioTrackJson[];
  /** What the content analysis before the ladder found (null before it ran). */
  analysis: { interlace: InterlaceDecision | null } | null;
  audioOnly: boolean;
  playback: { hls: string; dash: string; mp4: string | null; poster: string | null; storyboard: string | null } | null;
  /** Text tracks (WebVTT, cue times on the stream's timeline), in source order; empty when none. */
  subtitles: Array<{ language: string; label: string; url: string }>;
  timeToPlayableMs: number | null;
  createdAt: string;
  readyAt: string | null;
}

export interface AudioTrackJson {
  /** BCP 47, 'und' when unknown. */
  language: string;
  label: string;
  default: boolean;
  /** Delivered channels (2); the source's are in sourceChannels (6 for a downmixed 5.1 track). */
  channels: number;
  sourceChannels: number | null;
  loudness: { measuredLufs: number | null; truePeakDbtp: number | null; rangeLu: number | null; targetLufs: number } | null;
}

/** A stored audio rendition as JSON; plans stored before multi-track audio lack some fields. */
function audioTrackJson(audio: Partial<AudioRendition> & { language?: string | null }, index: number): AudioTrackJson {
  const l = audio.loudness;
  return {
    language: languageTag(audio.language ?? null),
    label: audio.label ?? (index === 0 ? 'Main audio' : `Audio ${index + 1}`),
    default: audio.default ?? index === 0,
    channels: audio.channels ?? 2,
    sourceChannels: audio.sourceChannels ?? null,
    loudness: l ? { measuredLufs: l.measuredLufs, truePeakDbtp: l.truePeakDbtp, rangeLu: l.rangeLu, targetLufs: l.targetLufs } : null,
  };
}

export function toVideoJson(row: VideoRow): VideoJson {
  const media = row.media_json ? (JSON.parse(row.media_json) as MediaInfo) : null;
  const ladder = row.ladder_json ? (JSON.parse(row.ladder_json) as LadderPlan) : null;
  const prefix = row.output_prefix;
  // The download file, poster and storyboard are made after the ladder: announced once the video is ready.
  const files = ladder && row.status === 'ready' ? publishedExtras(ladder) : null;
  // Recorded with `ready` (markReady), so always this version's tracks.
  const subtitles = row.subtitles_json && prefix && row.status === 'ready' ? (JSON.parse(row.subtitles_json) as SubtitlePlan).tracks : [];
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    tags: JSON.parse(row.tags_json) as string[],
    visibility: row.visibility,
    ownerId: row.owner_id,
    status: row.status,
    error: row.error,
    progress: row.progress_json ? (JSON.parse(row.progress_json) as VideoProgress) : null,
    durationSec: row.duration_ms === null ? null : row.duration_ms / 1000,
    source: media
      ? { name: row.source_name, bytes: row.source_bytes, container: media.container, video: media.video, audio: media.audio }
      : null,
    renditions: (ladder?.video ?? []).map((r) => ({
      name: r.name,
      width: r.width,
      height: r.height,
      fps: Math.round((r.fps.num / r.fps.den) * 1000) / 1000,
      maxrateKbps: r.maxrateKbps,
    })),
    videoCodecs: ladder && ladder.video.length > 0 ? ['h264', ...(ladder.extraCodecs ?? [])] : [],
    audioTracks: (ladder?.audio ?? []).map(audioTrackJson),
    analysis: ladder ? { interlace: ladder.interlace ?? null } : null,
    audioOnly: ladder ? ladder.video.length === 0 : false,
    playback: prefix
      ? {
          hls: streamPath(row.id, prefix, 'master.m3u8'),
          dash: streamPath(row.id, prefix, 'manifest.mpd'),
          mp4: files?.mp4 ? streamPath(row.id, prefix, files.mp4) : null,
          poster: files?.poster ? streamPath(row.id, prefix, files.poster) : null,
          storyboard: files?.storyboardVtt ? streamPath(row.id, prefix, files.storyboardVtt) : null,
        }
      : null,
    subtitles: subtitles.map((t) => ({ language: t.language, label: t.label, url: streamPath(row.id, prefix!, t.vtt) })),
    timeToPlayableMs: row.time_to_playable_ms,
    createdAt: new Date(row.created_at).toISOString(),
    readyAt: row.ready_at ? new Date(row.ready_at).toISOString() : null,
  };
}
