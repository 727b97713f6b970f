/**
 * Renders on-demand images of ready videos and caches them in the blob store under the video's
 * version (`videos/<id>/<version>/images/…`, so they go when the video goes). Each image is cut from
 * the ONE top-rung segment holding the frame (rendition-frames.ts). Concurrent requests for the same
 * image share one render; renders beyond `maxConcurrent` wait their turn, so a burst of distinct
 * requests cannot start a hundred ffmpegs. One renderer per server: no module-level state.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { salientRegion } from '../../media/frame-pixels.js';
import { BlobNotFoundError, type BlobStore } from '../../storage/blob-store.js';
import type { LadderPlan } from '../ladder-types.js';
import { analysisSize } from './candidate-frames.js';
import { geometryFilter, IMAGES_DIR, imageCacheKey, type ImageGeometry } from './image-request.js';
import { topRung } from './published-rungs.js';
import { locateFrame, readSegmentTimeline, renderFrames, writeSegmentRange, type ImageFormat, type SegmentTimeline } from './rendition-frames.js';

export type ImageCacheOutcome = 'hit' | 'miss' | 'coalesced';

export interface RenderedImage {
  body: Buffer;
  /** Blob key of the cached image (unique per video version, frame, geometry and format). */
  key: string;
  frameIndex: number;
  /** Time of the frame shown, seconds from the first frame. */
  frameTimeSec: number;
  cache: ImageCacheOutcome;
}

export interface ImageRequest {
  /** `videos/<id>/<version>/` of a ready video. */
  outputPrefix: string;
  plan: LadderPlan;
  /** Seconds from the first frame (normalised to the frame shown then). */
  timeSec: number;
  geometry: ImageGeometry;
  format: ImageFormat;
}

export interface ThumbnailRendererOptions {
  store: BlobStore;
  ffmpegPath: string;
  /** Scratch root; each render works in its own directory under it. */
  workDir: string;
  maxConcurrent?: number;
  renderTimeoutMs?: number;
  /**
   * Images kept per video version (default 2000). Beyond it images are still rendered but not
   * stored: every frame × every size is a few million files, and the disk is not a CDN.
   */
  maxCachedPerVideo?: number;
}

/**
 * Videos remembered in memory (their top rung's segment timeline, so a burst of requests reads the
 * playlist once, and their cached-image count); the oldest is forgotten first.
 */
const REMEMBERED_VIDEOS = 64;

export class ThumbnailRenderer {
  private readonly inFlight = new Map<string, Promise<{ body: Buffer; cache: ImageCacheOutcome }>>();
  private readonly timelines = new Map<string, SegmentTimeline>();
  /** Cached images per `videos/<id>/<version>/`, counted from the store once, then kept up to date. */
  private readonly cachedCounts = new Map<string, number>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;

  constructor(private readonly options: ThumbnailRendererOptions) {}

  /** The cache key and frame of a request, without rendering (enough to answer a conditional GET). */
  async locate(request: ImageRequest): Promise<{ key: string; frameIndex: number; frameTimeSec: number }> {
    const { key, position } = await this.place(request);
    return { key, frameIndex: position.frameIndex, frameTimeSec: position.timeSec };
  }

  async render(request: ImageRequest): Promise<RenderedImage> {
    const { key, position, timeline, renditionPrefix, source } = await this.place(request);
    const result = (body: Buffer, cache: ImageCacheOutcome): RenderedImage => ({
      body,
      key,
      frameIndex: position.frameIndex,
      frameTimeSec: position.timeSec,
      cache,
    });

    // The store lookup is part of the shared work, so requests that arrive together never race
    // between "not in the store" and "being rendered": one looks, and renders if it must.
    const shared = this.inFlight.get(key);
    if (shared) return result((await shared).body, 'coalesced');
    const work = (async (): Promise<{ body: Buffer; cache: ImageCacheOutcome }> => {
      try {
        return { body: await this.options.store.getBytes(key), cache: 'hit' };
      } catch (err) {
        if (!(err instanceof BlobNotFoundError)) throw err;
      }
      const body = await this.withSlot(() =>
        this.renderUncached({ renditionPrefix, timeline, position, source, geometry: request.geometry, format: request.format }),
      );
      if (await this.roomToCache(request.outputPrefix)) await this.options.store.putBytes(key, body);
      return { body, cache: 'miss' };
    })();
    this.inFlight.set(key, work);
    try {
      const { body, cache } = await work;
      return result(body, cache);
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async place(request: ImageRequest) {
    const top = topRung(request.plan);
    const renditionPrefix = `${request.outputPrefix}${top.dir}/`;
    const timeline = await this.timeline(renditionPrefix);
    const position = locateFrame(timeline, top.rung.fps, request.timeSec);
    const key = `${request.outputPrefix}${imageCacheKey({ frameIndex: position.frameIndex, geometry: request.geometry, format: request.format })}`;
    return { key, position, timeline, renditionPrefix, source: top.rung };
  }

  private async roomToCache(outputPrefix: string): Promise<boolean> {
    let count = this.cachedCounts.get(outputPrefix);
    if (count === undefined) {
      count = (await this.options.store.list(`${outputPrefix}${IMAGES_DIR}/`)).length;
      if (this.cachedCounts.size >= REMEMBERED_VIDEOS) this.cachedCounts.delete(this.cachedCounts.keys().next().value!);
    }
    const room = count < (this.options.maxCachedPerVideo ?? 2000);
    this.cachedCounts.set(outputPrefix, room ? count + 1 : count);
    return room;
  }

  private async timeline(renditionPrefix: string): Promise<SegmentTimeline> {
    const cached = this.timelines.get(renditionPrefix);
    if (cached) return cached;
    const timeline = await readSegmentTimeline(this.options.store, renditionPrefix);
    if (this.timelines.size >= REMEMBERED_VIDEOS) this.timelines.delete(this.timelines.keys().next().value!);
    this.timelines.set(renditionPrefix, timeline);
    return timeline;
  }

  private async renderUncached(job: {
    renditionPrefix: string;
    timeline: SegmentTimeline;
    position: ReturnType<typeof locateFrame>;
    source: { width: number; height: number };
    geometry: ImageGeometry;
    format: ImageFormat;
  }): Promise<Buffer> {
    const dir = path.join(this.options.workDir, `image-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    const timeoutMs = this.options.renderTimeoutMs ?? 60_000;
    try {
      const segmentPath = await writeSegmentRange({
        store: this.options.store,
        renditionPrefix: job.renditionPrefix,
        timeline: job.timeline,
        fromIndex: job.position.segmentIndex,
        outPath: path.join(dir, 'segment.mp4'),
      });
      let focus: { x: number; y: number } | undefined;
      if (job.geometry.mode === 'smartcrop') {
        // A small copy of the frame first, to find where the subject is.
        const size = analysisSize(job.source.width, job.source.height);
        const rawPath = path.join(dir, 'frame.rgb');
        await renderFrames({
          ffmpegPath: this.options.ffmpegPath,
          outputs: [{ inputPath: segmentPath, offsetSec: job.position.offsetSec, outPath: rawPath, format: 'rgb24', filter: `scale=${size.width}:${size.height}:flags=area` }],
          timeoutMs,
        });
        focus = salientRegion({ ...size, data: await readFile(rawPath) });
      }
      const outPath = path.join(dir, `image.${job.format}`);
      await renderFrames({
        ffmpegPath: this.options.ffmpegPath,
        outputs: [{ inputPath: segmentPath, offsetSec: job.position.offsetSec, outPath, format: job.format, filter: geometryFilter(job.geometry, job.source, focus) }],
        timeoutMs,
      });
      return await readFile(outPath);
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  }

  private async withSlot<T>(work: () => Promise<T>): Promise<T> {
    // A finished render hands its slot straight to the next waiter, so `running` never overshoots.
    if (this.running >= (this.options.maxConcurrent ?? 2)) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
