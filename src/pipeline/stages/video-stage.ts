/**
 * An enrichment stage: work done on a video after it is ready to watch (smart thumbnails,
 * animated previews, the quality report, …). Each stage is its own queue job (`video.stage`), so
 * it is retried on its own, reports its own progress and can be re-run on request with options,
 * without touching the ladder or holding back `ready`.
 *
 * A stage reads the published outputs (renditions, download file) or the original, writes files
 * under `<keyPrefix><name>/` of the same version, and returns a JSON result that is stored with
 * its record (src/videos/stage-repository.ts).
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Config } from '../../config/config.js';
import type { MediaInfo } from '../../media/media-info.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { LadderPlan } from '../ladder-types.js';

export interface StageContext<O> {
  videoId: string;
  /** The output version the stage works on (e.g. `lq3x9a…`). */
  version: string;
  /** `videos/<id>/<version>/<stage>/<runId>/`: where this run publishes its files (served under /stream/). */
  keyPrefix: string;
  /** Empty scratch directory of this run, removed afterwards. */
  workDir: string;
  media: MediaInfo;
  plan: LadderPlan;
  options: O;
  config: Config;
  store: BlobStore;
  logger: Logger;
  signal: AbortSignal;
  /** Local path of the uploaded original (the store's own file when local, else a scratch copy). */
  sourceFile(): Promise<string>;
  /**
   * Local fragmented MP4 of one published rendition (`v0` is the highest video rung, `a0` the
   * default audio), assembled from its init segment and media segments.
   */
  renditionFile(rendition: string): Promise<string>;
  /** 0–100 within the stage. */
  progress(percent: number): void;
}

export interface VideoStage<O = Record<string, never>, R = unknown> {
  /** URL- and key-safe name, e.g. `thumbnails`. */
  readonly name: string;
  /** Validates (and defaults) the options of a run: those of an API request, or `{}` for the automatic run. */
  readonly options: z.ZodType<O>;
  /** Whether the automatic run after `ready` applies to this video (e.g. not for audio only). */
  appliesTo(media: MediaInfo, plan: LadderPlan): boolean;
  run(ctx: StageContext<O>): Promise<R>;
}

// Stages are heterogeneous in options and result; the registry and runner treat them alike.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyVideoStage = VideoStage<any, unknown>;
