/**
 * Scratch directories on this machine's disk that a job left behind when its process was killed
 * (a job that ends removes its own): ladder and assembly scratch `<dataDir>/work/<videoId>/`, stage
 * scratch `<dataDir>/work/stages/<videoId>-<stage>-<runId>/` and chunk scratch with cached originals
 * `<dataDir>/chunk-work/<videoId>/`. A video's directory is garbage once the video is not processing
 * (the reconciler clears work/ of those too, but not the other two); a stage's once its run is not
 * the one running. Both must also be untouched for the grace period: the newest file inside counts.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ID_PATTERN } from '../ids.js';
import type { StageRepository } from '../videos/stage-repository.js';
import type { VideoRepository } from '../videos/video-repository.js';
import type { GarbageSink } from './janitor.js';

export interface ScratchGarbageOptions {
  dataDir: string;
  videos: VideoRepository;
  stageRecords: StageRepository;
  /** Only what was last modified before this (epoch ms) is removed. */
  madeBefore: number;
  sink: GarbageSink;
}

const VIDEO_ID = new RegExp(ID_PATTERN);
const STAGE_SCRATCH = new RegExp(`^(${ID_PATTERN.slice(1, -1)})-([a-z0-9-]+)-([0-9a-z]+)$`);

export async function collectScratchGarbage(options: ScratchGarbageOptions): Promise<void> {
  const { dataDir, videos, stageRecords } = options;
  const notProcessing = async (videoId: string) => (await videos.get(videoId))?.status !== 'processing';
  for (const root of [path.join(dataDir, 'work'), path.join(dataDir, 'chunk-work')]) {
    for (const name of await entries(root)) {
      if (VIDEO_ID.test(name) && (await notProcessing(name))) await removeIfIdle(options, path.join(root, name), { videoId: name });
    }
  }
  const stagesRoot = path.join(dataDir, 'work', 'stages');
  for (const name of await entries(stagesRoot)) {
    const match = STAGE_SCRATCH.exec(name);
    if (!match) continue;
    const [, videoId, stage, runId] = match as unknown as [string, string, string, string];
    const record = await stageRecords.get(videoId, stage);
    if (record?.run_id === runId && record.status === 'running') continue;
    await removeIfIdle(options, path.join(stagesRoot, name), { videoId, stage, runId });
  }
}

async function removeIfIdle(options: ScratchGarbageOptions, dir: string, detail: Record<string, string>): Promise<void> {
  const modified = await newestMtimeMs(dir);
  if (modified === null || modified >= options.madeBefore) return;
  await rm(dir, { recursive: true, force: true });
  options.sink.removed('scratch', { ...detail, dir });
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** The latest modification time of the directory or anything in it; null when it is gone. */
async function newestMtimeMs(dir: string): Promise<number | null> {
  const own = await stat(dir).catch(() => null);
  if (!own) return null;
  let newest = own.mtimeMs;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    const info = await stat(path.join(entry.parentPath, entry.name)).catch(() => null);
    if (info) newest = Math.max(newest, info.mtimeMs);
  }
  return newest;
}
