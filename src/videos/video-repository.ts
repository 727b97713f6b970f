/**
 * The `videos` table: the one place that reads and writes video records, and maps them to the
 * public JSON shape of the API.
 */
import type { Kysely } from 'kysely';
import type { Database, NewVideoRow, VideoRow, VideoUpdate } from '../db/schema.js';
import type { MediaInfo } from '../media/media-info.js';
import type { LadderPlan } from '../pipeline/ladder-types.js';
import { STORYBOARD_JSON, STORYBOARD_VTT } from '../pipeline/storyboard.js';
import type { VideoStage } from './video-events.js';

export interface VideoProgress {
  stage: VideoStage;
  percent: number;
  etaMs: number | null;
}

export class VideoRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(row: NewVideoRow): Promise<void> {
    await this.db.insertInto('videos').values(row).execute();
  }

  async get(id: string): Promise<VideoRow | null> {
    return (await this.db.selectFrom('videos').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async list(options: { limit: number; offset: number }): Promise<VideoRow[]> {
    return this.db
      .selectFrom('videos')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(options.limit)
      .offset(options.offset)
      .execute();
  }

  async update(id: string, changes: Omit<VideoUpdate, 'id' | 'updated_at'>): Promise<void> {
    await this.db.updateTable('videos').set({ ...changes, updated_at: Date.now() }).where('id', '=', id).execute();
  }

  /**
   * processing → ready, once: returns false when the video was not processing any more (a
   * duplicate run of an at-least-once job), so the caller publishes nothing twice.
   */
  async markReady(id: string, changes: { output_prefix: string; progress_json: string }): Promise<boolean> {
    const now = Date.now();
    const result = await this.db
      .updateTable('videos')
      .set({ ...changes, status: 'ready', error: null, ready_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async markFailed(id: string, reason: string): Promise<boolean> {
    const now = Date.now();
    const result = await this.db
      .updateTable('videos')
      .set({ status: 'failed', error: reason.slice(0, 2000), updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('videos').where('id', '=', id).execute();
  }

  /** Videos still processing, oldest first (for reconciliation with the queue). */
  async listProcessing(): Promise<VideoRow[]> {
    return this.db.selectFrom('videos').selectAll().where('status', '=', 'processing').orderBy('created_at').execute();
  }
}

/** Public URL path of a published file of a video, relative to the server. */
export function streamPath(videoId: string, outputPrefix: string, file: string): string {
  // outputPrefix is 'videos/<id>/<version>/'; the origin serves it as /stream/<id>/<version>/.
  const version = outputPrefix.split('/')[2];
  return `/stream/${videoId}/${version}/${file}`;
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
  status: VideoRow['status'];
  error: string | null;
  progress: VideoProgress | null;
  durationSec: number | null;
  source: { name: string | null; bytes: number; container: string | null; video: MediaInfo['video']; audio: MediaInfo['audio'] } | null;
  renditions: Array<{ name: string; width: number; height: number; fps: number; maxrateKbps: number }>;
  audioOnly: boolean;
  playback: { hls: string; dash: string; mp4: string | null; poster: string | null; storyboard: string | null } | null;
  timeToPlayableMs: number | null;
  createdAt: string;
  readyAt: string | null;
}

export function toVideoJson(row: VideoRow): VideoJson {
  const media = row.media_json ? (JSON.parse(row.media_json) as MediaInfo) : null;
  const ladder = row.ladder_json ? (JSON.parse(row.ladder_json) as LadderPlan) : null;
  const prefix = row.output_prefix;
  // The download file, poster and storyboard are made after the ladder: announced once the video is ready.
  const files = ladder && row.status === 'ready' ? publishedExtras(ladder) : null;
  return {
    id: row.id,
    title: row.title,
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
    timeToPlayableMs: row.time_to_playable_ms,
    createdAt: new Date(row.created_at).toISOString(),
    readyAt: row.ready_at ? new Date(row.ready_at).toISOString() : null,
  };
}
