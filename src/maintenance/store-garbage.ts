/**
 * Garbage in the BlobStore (local disk or S3 alike), judged against the database: nothing here is
 * removed because it is old alone — it must also be unreferenced.
 *
 * - `superseded-version`: a version prefix of a ready video other than its output_prefix (an attempt
 *   that lost its lease yet kept publishing, or died before completeVideo removed older versions);
 * - `failed-outputs`: anything published for a failed video (failVideo deletes it, unless it died first);
 * - `orphaned-outputs` / `orphaned-original`: outputs and originals of videos with no row (deleted while
 *   a job still published, or a delete that died between the row and the blobs);
 * - `stale-stage-run`: stage runs of the current version that are neither the requested nor the
 *   recorded one (a stage worker killed mid-run).
 *
 * Processing videos are skipped whole: their live attempt may be writing anywhere under their prefix.
 * Everything must also be older than the grace period, so a blob written just before its row (an
 * upload stores the original first) or a run requested since we read the records is never taken.
 */
import type { BlobStore } from '../storage/blob-store.js';
import type { StageRepository } from '../videos/stage-repository.js';
import { outputVersion, type VideoRepository } from '../videos/video-repository.js';
import { prefixCreatedAt } from './garbage-age.js';
import type { GarbageSink } from './janitor.js';

export interface StoreGarbageOptions {
  store: BlobStore;
  videos: VideoRepository;
  stageRecords: StageRepository;
  /** Only what was made before this (epoch ms) is removed. */
  madeBefore: number;
  sink: GarbageSink;
}

const VIDEOS = 'videos/';
const ORIGINALS = 'originals/';

export async function collectStoreGarbage(options: StoreGarbageOptions): Promise<void> {
  await collectOutputGarbage(options);
  await collectOriginalGarbage(options);
}

/** keys under `prefix`, grouped by the next path segment: `a/b/c` under `a/` → b → [keys]. */
function groupByChild(keys: readonly string[], prefix: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) continue; // a file directly under the prefix: not one of ours
    const child = rest.slice(0, slash);
    groups.set(child, [...(groups.get(child) ?? []), key]);
  }
  return groups;
}

async function collectOutputGarbage(options: StoreGarbageOptions): Promise<void> {
  const { store, videos, sink } = options;
  for (const [videoId, videoKeys] of groupByChild(await store.list(VIDEOS), VIDEOS)) {
    const row = await videos.get(videoId);
    if (row?.status === 'processing') continue;
    const videoPrefix = `${VIDEOS}${videoId}/`;
    const current = row?.status === 'ready' && row.output_prefix ? outputVersion(row.output_prefix) : null;
    // A ready row without outputs cannot be judged: leave it to a person.
    if (row?.status === 'ready' && current === null) continue;
    const kind = !row ? 'orphaned-outputs' : row.status === 'failed' ? 'failed-outputs' : 'superseded-version';
    for (const [version, keys] of groupByChild(videoKeys, videoPrefix)) {
      if (version === current) {
        await collectStageRunGarbage(options, { videoId, versionPrefix: `${videoPrefix}${version}/`, keys });
        continue;
      }
      const madeAt = await prefixCreatedAt(store, version, keys);
      if (madeAt === null || madeAt >= options.madeBefore) continue;
      const prefix = `${videoPrefix}${version}/`;
      const objects = await store.deletePrefix(prefix);
      // 0: another janitor got there first.
      if (objects > 0) sink.removed(kind, { videoId, prefix, objects });
    }
  }
}

async function collectStageRunGarbage(options: StoreGarbageOptions, target: { videoId: string; versionPrefix: string; keys: string[] }): Promise<void> {
  const { store, sink } = options;
  for (const record of await options.stageRecords.list(target.videoId)) {
    const stagePrefix = `${target.versionPrefix}${record.name}/`;
    const runs = groupByChild(target.keys.filter((key) => key.startsWith(stagePrefix)), stagePrefix);
    for (const [runId, keys] of runs) {
      if (runId === record.run_id || runId === record.result_run_id) continue;
      const madeAt = await prefixCreatedAt(store, runId, keys);
      if (madeAt === null || madeAt >= options.madeBefore) continue;
      const prefix = `${stagePrefix}${runId}/`;
      const objects = await store.deletePrefix(prefix);
      if (objects > 0) sink.removed('stale-stage-run', { videoId: target.videoId, prefix, objects });
    }
  }
}

async function collectOriginalGarbage(options: StoreGarbageOptions): Promise<void> {
  const { store, videos, sink } = options;
  for (const key of await store.list(ORIGINALS)) {
    const videoId = key.slice(ORIGINALS.length);
    if (videoId.includes('/') || (await videos.get(videoId))) continue;
    const stat = await store.stat(key);
    if (!stat || stat.mtimeMs >= options.madeBefore) continue;
    // Checked again: an upload stores its original before its row, so the row may have just appeared.
    if (await videos.get(videoId)) continue;
    await store.delete(key);
    sink.removed('orphaned-original', { videoId, key });
  }
}
