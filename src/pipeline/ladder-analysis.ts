/**
 * What the ladder needs to know that the probe cannot tell, found by looking at the content before
 * the ladder runs (the `analysing` stage of `video.process`):
 * - interlacing: containers often call woven fields "progressive" (or say nothing), so when the
 *   probe does not already say interlaced, idet classifies a sample of frames
 *   (src/media/interlace-detect.ts); interlaced content gets the plan's deinterlacer;
 * - loudness: pass one of the two-pass normalisation (src/media/loudness.ts) on every planned
 *   audio track; pass two is a filter in the ladder's own run (audio-filter.ts).
 * Both are recorded in the plan (ladder_json), so the video JSON and later stages can show them.
 */
import type { Logger } from 'pino';
import { FfmpegError, MediaLimitError, PermanentError } from '../errors.js';
import { detectInterlace } from '../media/interlace-detect.js';
import type { LoudnessTarget } from '../media/loudness.js';
import { measureLoudness } from '../media/loudness.js';
import type { MediaInfo } from '../media/media-info.js';
import type { ProcessLimits } from '../media/process-limits.js';
import { DEINTERLACE_FILTER } from './ladder.js';
import { demuxerOf } from './ladder-command.js';
import type { AudioLoudness, AudioRendition, InterlaceDecision, LadderPlan } from './ladder-types.js';

export interface LadderAnalysisOptions {
  ffmpegPath: string;
  inputPath: string;
  media: MediaInfo;
  plan: LadderPlan;
  /** The loudness target, or null when normalisation is off (then nothing is measured). */
  loudnessTarget: LoudnessTarget | null;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Memory and CPU caps of each ffmpeg run (process-limits.ts). */
  processLimits?: ProcessLimits;
  log: Logger;
  /** 0–100 as the analyses finish. */
  onProgress?: (percent: number) => void;
}

/** Analyses run at once: each is one ffmpeg; two keep a 2-core machine busy without queueing. */
const CONCURRENCY = 2;

const finiteOrNull = (n: number) => (Number.isFinite(n) ? Math.round(n * 100) / 100 : null);

/** The plan with the analyses' findings: deinterlacer and interlace record, each track's loudness. */
export async function analyseForLadder(options: LadderAnalysisOptions): Promise<LadderPlan> {
  const { media, plan, log } = options;
  const tasks: Array<() => Promise<void>> = [];
  let interlace: InterlaceDecision | undefined = plan.interlace;
  const audio: AudioRendition[] = plan.audio.map((a) => ({ ...a }));

  if (media.video && plan.video.length > 0 && !media.video.interlaced) {
    const video = media.video;
    tasks.push(async () => {
      try {
        const found = await detectInterlace({
          ffmpegPath: options.ffmpegPath,
          inputPath: options.inputPath,
          demuxer: demuxerOf(media),
          streamIndex: video.index,
          durationSec: media.durationSec,
          timeoutMs: options.timeoutMs,
          signal: options.signal,
          processLimits: options.processLimits,
        });
        const { tff, bff, progressive, undetermined } = found;
        interlace = { method: 'idet', interlaced: found.interlaced, fieldOrder: found.fieldOrder, frames: { tff, bff, progressive, undetermined } };
      } catch (err) {
        if (!isContentFailure(err)) throw err;
        // An undecodable sample says nothing about interlacing; the ladder reports real decode errors.
        log.warn({ err: (err as Error).message }, 'interlace detection failed; trusting the container');
        interlace = { method: 'probe', interlaced: false, fieldOrder: video.fieldOrder };
      }
    });
  }

  const target = options.loudnessTarget;
  if (target) {
    for (const track of audio) {
      tasks.push(async () => {
        try {
          const measured = await measureLoudness({
            ffmpegPath: options.ffmpegPath,
            inputPath: options.inputPath,
            demuxer: demuxerOf(media),
            streamIndex: track.sourceIndex,
            target,
            timeoutMs: options.timeoutMs,
            signal: options.signal,
            processLimits: options.processLimits,
          });
          const loudness: AudioLoudness = {
            measuredLufs: finiteOrNull(measured.integratedLufs),
            truePeakDbtp: finiteOrNull(measured.truePeakDbtp),
            rangeLu: finiteOrNull(measured.rangeLu),
            thresholdLufs: finiteOrNull(measured.thresholdLufs),
            targetOffsetLu: finiteOrNull(measured.targetOffsetLu),
            targetLufs: target.integratedLufs,
            targetTruePeakDbtp: target.truePeakDbtp,
            targetRangeLu: target.rangeLu,
          };
          track.loudness = loudness;
        } catch (err) {
          if (!isContentFailure(err)) throw err;
          // A track we cannot measure is delivered at its own level rather than failing the video.
          log.warn({ sourceIndex: track.sourceIndex, err: (err as Error).message }, 'loudness not measured; track left at its level');
          track.loudness = null;
        }
      });
    }
  }

  let done = 0;
  const queue = [...tasks];
  const worker = async () => {
    for (let task = queue.shift(); task; task = queue.shift()) {
      await task();
      options.onProgress?.((++done / tasks.length) * 100);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, tasks.length) }, worker));

  const deinterlace = plan.deinterlace ?? (interlace?.interlaced ? DEINTERLACE_FILTER : null);
  return { ...plan, audio, deinterlace, ...(interlace && { interlace }) };
}

/** ffmpeg ran and refused the content (or printed no measurement), as opposed to a time-out or abort. */
function isContentFailure(err: unknown): boolean {
  // A memory or CPU cap reached here would be reached again by the ladder: fail now.
  if (err instanceof MediaLimitError) return false;
  if (err instanceof FfmpegError) return err.exitCode !== null || err.signal !== null;
  // measureLoudness: ffmpeg succeeded but printed no loudnorm block.
  return err instanceof PermanentError;
}
