/**
 * The `video.chunk` job of a chunked encode (docs/chunked-encoding.md). A video chunk runs the
 * ladder's own ffmpeg graph over a window of the source (ladder-command.ts, `window`): every rung,
 * output frames [k·C·G_i, (k+1)·C·G_i), keyframes every G_i frames, segments numbered globally. Its
 * segments come out timed from 0; each is moved to its place on the stream's timeline in place
 * (tfdt + sidx + mfhd, fragment-timing-patch.ts) and checked — G_i frames of constant duration,
 * decode times continuous — before it is stored at its final key. The audio job encodes every audio
 * track whole with the one-pass chains, so there is no AAC priming at chunk boundaries.
 *
 * Stored chunk outputs are not published: no playlist names them until `video.assemble` writes the
 * manifests. So a chunk redone after its worker died — or run twice by the at-least-once queue —
 * rewriting the same unpublished keys is harmless.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { PermanentError } from '../errors.js';
import type { H264Encoder } from '../media/encoders.js';
import { runProcess } from '../media/ffmpeg-process.js';
import { patchFragmentTiming } from '../media/fragment-timing-patch.js';
import { readInitSegment, readSegmentDecodeTime, readSegmentSamples } from '../media/mp4-boxes.js';
import type { LeasedJob, Queue } from '../queue/queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import { explainFullDisk } from '../storage/storage-errors.js';
import type { ChunkKey, ChunkRenditionResult, ChunkRepository, ChunkResult, StoredChunkPlan } from '../videos/chunk-repository.js';
import { chunkRowsOf } from '../videos/chunk-repository.js';
import type { VideoEventBus } from '../videos/video-events.js';
import type { VideoRepository } from '../videos/video-repository.js';
import { chunkFirstSegment, chunkFrames, chunkStartSec } from './chunk-plan.js';
import { type ChunkJobPayload, enqueueAssembleJob } from './chunked-jobs.js';
import { parseMediaPlaylist } from './hls-playlist.js';
import { ffmpegLimitsOf } from './input-limits.js';
import { buildLadderCommand, renditionDirs } from './ladder-command.js';
import type { PublishedSegment } from './ladder-publisher.js';
import { SourceCache } from './local-source.js';
import { failVideo, videoKeyPrefix } from './package-video.js';
import { createProgressReporter } from './progress-reporter.js';
import { streamOriginShiftSec } from './stream-origin.js';

/** Seconds decoded before a chunk's first frame: room for the demuxer's keyframe, bwdif and fps context. */
export const CHUNK_SEEK_MARGIN_SEC = 3;

/** A chunk's output is not the frames the plan says it must be: a seek that missed, or a muxer surprise. */
export class ChunkOutputError extends PermanentError {}

export interface ChunkedJobDeps {
  config: Config;
  store: BlobStore;
  videos: VideoRepository;
  events: VideoEventBus;
  logger: Logger;
  queue: Queue;
  chunks: ChunkRepository;
  /** The H.264 encoder detected at start-up (src/media/encoders.ts); libx264 when absent. */
  h264Encoder?: H264Encoder;
}

/** Where a worker keeps chunk scratch and cached originals: `<dataDir>/chunk-work/<videoId>/`. */
export function chunkWorkRoot(config: Config): string {
  return path.join(config.dataDir, 'chunk-work');
}

export function createChunkHandler(deps: ChunkedJobDeps) {
  const { config, store, videos, chunks } = deps;
  const sources = new SourceCache({ store, rootDir: chunkWorkRoot(config) });

  return async function encodeChunk(job: LeasedJob, ctx: { signal: AbortSignal }): Promise<void> {
    const payload = job.payload as ChunkJobPayload;
    const key: ChunkKey = { videoId: payload.videoId, version: payload.version, kind: payload.kind, idx: payload.idx };
    const { videoId, version } = key;
    const log = deps.logger.child({ jobId: job.id, videoId, chunk: `${key.kind}${key.idx}`, attempt: job.attempt });
    const video = await videos.get(videoId);
    const stored = await chunks.getPlan(videoId);
    if (!video || video.status !== 'processing' || !stored || stored.version !== version) {
      log.info({ status: video?.status }, 'nothing to do: video not processing or chunk plan superseded');
      return;
    }
    // Originals of videos finished meanwhile are of no further use on this worker.
    await sources.sweep(async (id) => id === videoId || (await videos.get(id))?.status === 'processing');
    if (!(await chunks.start(key, job.owner))) {
      log.info('chunk already done');
      await afterChunk(deps, stored);
      return;
    }
    const scratch = path.join(sources.dirOf(videoId), `${version}-${key.kind}${key.idx}-${randomBytes(3).toString('hex')}`);
    try {
      await mkdir(scratch, { recursive: true });
      const inputPath = await sources.path(videoId, video.source_key);
      const options = { deps, stored, inputPath, scratch, signal: ctx.signal };
      const result = key.kind === 'video' ? await encodeVideoChunk({ ...options, idx: key.idx }) : await encodeAudioTracks(options);
      if (!(await chunks.finish(key, job.owner, result))) {
        log.warn('another attempt took this chunk meanwhile; its result stands');
        return;
      }
      log.info({ ffmpegMs: result.ffmpegMs, segments: result.renditions[0]?.segments.length }, 'chunk done');
      await afterChunk(deps, stored);
    } catch (thrown) {
      const err = await explainFullDisk(scratch, thrown);
      const forGood = (err instanceof PermanentError || job.attempt >= job.maxAttempts) && !ctx.signal.aborted;
      const reason = `${key.kind === 'audio' ? 'audio' : `chunk ${key.idx}`}: ${(err as Error).message}`;
      await chunks.recordError(key, job.owner, reason, forGood).catch(() => {});
      if (forGood) await failVideo({ store, videos, events: deps.events, videoId, reason });
      throw err;
    } finally {
      await rm(scratch, { recursive: true, force: true }).catch(() => {});
    }
  };
}

/**
 * Progress (share of chunks done) and the fan-in: the result is recorded before counting, so the
 * last chunk to finish always sees every chunk done; chunks finishing together both enqueue the
 * assembly, and its dedupe key keeps one.
 */
async function afterChunk(deps: ChunkedJobDeps, stored: StoredChunkPlan): Promise<void> {
  const { videoId, version } = stored;
  const unfinished = await deps.chunks.countUnfinished(videoId, version);
  const total = chunkRowsOf(stored).length;
  createProgressReporter({ videoId, videos: deps.videos, events: deps.events })('transcoding', ((total - unfinished) / total) * 100, null);
  if (unfinished === 0) await enqueueAssembleJob(deps.queue, { videoId, version });
}

interface EncodeOptions {
  deps: ChunkedJobDeps;
  stored: StoredChunkPlan;
  inputPath: string;
  scratch: string;
  signal: AbortSignal;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function segmentName(index: number): string {
  return `seg_${String(index).padStart(5, '0')}.m4s`;
}

async function encodeVideoChunk(options: EncodeOptions & { idx: number }): Promise<ChunkResult> {
  const { deps, stored, scratch, idx } = options;
  const { config, store } = deps;
  const { plan, media, grid } = stored;
  const keyPrefix = `${videoKeyPrefix(stored.videoId)}${stored.version}/`;
  const dirs = renditionDirs({ ...plan, extraCodecs: [] }).video;
  for (const dir of dirs) await mkdir(path.join(scratch, dir), { recursive: true });
  const frames = plan.video.map((_, i) => chunkFrames(grid, idx, i));
  const firstSegment = chunkFirstSegment(grid, idx);
  const seekSec = Math.max(0, chunkStartSec(grid, idx) + streamOriginShiftSec(media) - CHUNK_SEEK_MARGIN_SEC);
  const run = await runProcess({
    command: config.ffmpegPath,
    args: buildLadderCommand({
      inputPath: options.inputPath,
      media,
      plan,
      outputDir: scratch,
      x264Preset: config.x264Preset,
      h264Encoder: deps.h264Encoder,
      window: { seekSec, frames, firstSegment },
    }),
    timeoutMs: config.ffmpegTimeoutMs,
    killGraceMs: config.ffmpegKillGraceMs,
    signal: options.signal,
    limits: ffmpegLimitsOf(config),
  });

  const renditions: ChunkRenditionResult[] = [];
  for (const [i, rung] of plan.video.entries()) {
    const dir = path.join(scratch, dirs[i]!);
    const where = `${dirs[i]} of chunk ${idx}`;
    const playlist = parseMediaPlaylist(await readFile(path.join(dir, 'index.m3u8'), 'utf8'));
    if (!playlist.initUri) throw new ChunkOutputError(`${where}: no init segment`);
    const init = await readFile(path.join(dir, playlist.initUri));
    const { codec, timescale } = readInitSegment(init);
    // One frame in track ticks: exact for the timescales the MP4 muxer picks (fps numerator, or a multiple).
    const frameTicks = (timescale * rung.fps.den) / rung.fps.num;
    if (!Number.isInteger(frameTicks)) throw new ChunkOutputError(`${where}: timescale ${timescale} cannot hold frames of ${rung.fps.num}/${rung.fps.den} s exactly`);
    const gop = grid.gopFrames[i]!;
    const { start, end } = frames[i]!;
    const offset = BigInt(start) * BigInt(frameTicks);
    // Chunk 0's init is the rendition's; the others' are compared with it at assembly (hash).
    if (idx === 0) await store.putBytes(`${keyPrefix}${dirs[i]}/${playlist.initUri}`, init);
    const segments: PublishedSegment[] = [];
    let expectedDecodeTime = Number(offset);
    let samples = 0;
    for (const [j, entry] of playlist.segments.entries()) {
      if (entry.uri !== segmentName(firstSegment + j)) throw new ChunkOutputError(`${where}: segment ${entry.uri} where ${segmentName(firstSegment + j)} was due`);
      const data = await readFile(path.join(dir, entry.uri));
      patchFragmentTiming(data, { decodeTimeOffset: offset, firstSequenceNumber: firstSegment + j + 1 });
      const frameTimes = readSegmentSamples(data, init);
      const last = j === playlist.segments.length - 1;
      // Whole GOPs of constant frame duration, each segment starting where the previous one ended.
      if (frameTimes[0]?.decodeTime !== expectedDecodeTime) {
        throw new ChunkOutputError(`${where}: ${entry.uri} starts at ${frameTimes[0]?.decodeTime}, expected ${expectedDecodeTime}`);
      }
      if ((!last || end !== null) && frameTimes.length !== gop) throw new ChunkOutputError(`${where}: ${entry.uri} has ${frameTimes.length} frames, not ${gop}`);
      if (frameTimes.some((f) => f.duration !== frameTicks)) throw new ChunkOutputError(`${where}: ${entry.uri} has a frame not ${frameTicks} ticks long`);
      expectedDecodeTime += frameTimes.length * frameTicks;
      samples += frameTimes.length;
      await store.putBytes(`${keyPrefix}${dirs[i]}/${entry.uri}`, data);
      segments.push({ uri: entry.uri, durationSec: entry.durationSec, bytes: data.length, decodeTime: frameTimes[0].decodeTime });
    }
    if (end !== null ? samples !== end - start : samples === 0) {
      throw new ChunkOutputError(`${where}: ${samples} frames, expected ${end !== null ? end - start : 'some'} (from frame ${start})`);
    }
    renditions.push({ dir: dirs[i]!, initUri: playlist.initUri, initSha256: sha256(init), codec, timescale, segments, samples });
  }
  return { renditions, ffmpegMs: run.durationMs };
}

/** Every audio track, whole, through the one-pass chains (same MediaInfo: same origin shift). */
async function encodeAudioTracks(options: EncodeOptions): Promise<ChunkResult> {
  const { deps, stored, scratch } = options;
  const { config, store } = deps;
  const audioPlan = { ...stored.plan, video: [], extraCodecs: [] };
  const keyPrefix = `${videoKeyPrefix(stored.videoId)}${stored.version}/`;
  const dirs = renditionDirs(audioPlan).audio;
  for (const dir of dirs) await mkdir(path.join(scratch, dir), { recursive: true });
  const run = await runProcess({
    command: config.ffmpegPath,
    args: buildLadderCommand({ inputPath: options.inputPath, media: stored.media, plan: audioPlan, outputDir: scratch, x264Preset: config.x264Preset }),
    timeoutMs: config.ffmpegTimeoutMs,
    killGraceMs: config.ffmpegKillGraceMs,
    signal: options.signal,
    limits: ffmpegLimitsOf(config),
  });
  const renditions: ChunkRenditionResult[] = [];
  for (const name of dirs) {
    const dir = path.join(scratch, name);
    const playlist = parseMediaPlaylist(await readFile(path.join(dir, 'index.m3u8'), 'utf8'));
    if (!playlist.initUri || playlist.segments.length === 0) throw new ChunkOutputError(`${name}: no audio segments`);
    const init = await readFile(path.join(dir, playlist.initUri));
    const { codec, timescale } = readInitSegment(init);
    await store.putBytes(`${keyPrefix}${name}/${playlist.initUri}`, init);
    const segments: PublishedSegment[] = [];
    let samples = 0;
    for (const entry of playlist.segments) {
      const data = await readFile(path.join(dir, entry.uri));
      await store.putBytes(`${keyPrefix}${name}/${entry.uri}`, data);
      samples += readSegmentSamples(data, init).length;
      segments.push({ uri: entry.uri, durationSec: entry.durationSec, bytes: data.length, decodeTime: readSegmentDecodeTime(data) });
    }
    renditions.push({ dir: name, initUri: playlist.initUri, initSha256: sha256(init), codec, timescale, segments, samples });
  }
  return { renditions, ffmpegMs: run.durationMs };
}
