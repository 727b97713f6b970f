/**
 * The part of the quality run's filter graph that measures the source (quality-command.ts puts it
 * beside the rendition comparison, over the same decode): `split` the video into a branch that sees
 * every frame (black, frozen, interlaced) and a branch that sees a frame every `sampleIntervalSec`
 * (blur, blockiness, noise: per-picture measures that change slowly and cost ~1 CPU-s per second of
 * 1080p each when run on every frame), and `asplit` the audio into silence, loudness and clipping.
 * Each branch ends in a `metadata=print` log in the scratch directory (cwd of the run), so the
 * graph needs no path escaping and the logs are parsed after ffmpeg exits (source-findings.ts).
 *
 * Noise estimator (Immerkær, "Fast Noise Variance Estimation", CVIU 1996): the luma is convolved
 * with the difference of two Laplacians [1 −2 1; −2 4 −2; 1 −2 1], which cancels image structure up
 * to second order and leaves noise with σ_out = 6·σ (the mask's L2 norm). Instead of the paper's
 * mean absolute response (which edges inflate) we read signalstats' 10th and 90th percentiles of the
 * response offset by 128: for Gaussian noise their distance is 2 × 1.2816 × 6σ, so
 * σ ≈ (YHIGH − YLOW) / 15.38 in 8-bit code values — robust to the up-to-10 % of pixels on edges.
 */
import { DETECTION } from './quality-thresholds.js';

/** Log files the graph writes, relative to the run's working directory. */
export const SOURCE_LOGS = {
  frames: 'frames.log',
  sampled: 'sampled.log',
  silence: 'silence.log',
  loudness: 'loudness.log',
  clipping: 'clipping.log',
} as const;

/** (YHIGH − YLOW) of the mask response ÷ this = noise σ; see the module comment. */
export const NOISE_PERCENTILE_SPAN = 2 * 1.2816 * 6;

const IMMERKAER_MASK = '1 -2 1 -2 4 -2 1 -2 1';

/** idet keys we do not need per frame (its running totals); the three `current_frame` verdicts stay. */
const IDET_TOTALS = [
  'repeated.neither', 'repeated.top', 'repeated.bottom',
  'single.tff', 'single.bff', 'single.progressive', 'single.undetermined',
  'multiple.tff', 'multiple.bff', 'multiple.progressive', 'multiple.undetermined',
].map((key) => `metadata=mode=delete:key=lavfi.idet.${key}`);

export interface SourceGraphOptions {
  /** Link or stream carrying the video to measure (e.g. `[0:0]`), or null for none. */
  videoInput: string | null;
  /**
   * Filters that turn autorotated frames back into coded ones (rotation.ts), when the input is
   * decoded with autorotation for the comparison: idet must see the fields as rows.
   */
  unrotate: string | null;
  /** Link or stream carrying the audio to measure (e.g. `[0:1]`), or null for none. */
  audioInput: string | null;
  audioSampleRate: number;
  sampleIntervalSec: number;
}

export interface SourceGraph {
  chains: string[];
  /** Output labels to map to the null muxer (they carry the run's progress). */
  outputs: string[];
}

export function buildSourceGraph(options: SourceGraphOptions): SourceGraph {
  const { videoInput, audioInput, sampleIntervalSec } = options;
  const chains: string[] = [];
  const outputs: string[] = [];

  if (videoInput) {
    chains.push(`${videoInput}${options.unrotate ? `${options.unrotate},` : ''}split=2[qfull][qsampled]`);
    chains.push(
      [
        '[qfull]' +
          `blackdetect=d=${DETECTION.blackMinSec}:pic_th=${DETECTION.blackPictureRatio}:pix_th=${DETECTION.blackPixelThreshold}`,
        `freezedetect=n=${DETECTION.freezeNoise}:d=${DETECTION.freezeMinSec}`,
        'idet',
        ...IDET_TOTALS,
        `metadata=mode=print:file=${SOURCE_LOGS.frames}[qvideo]`,
      ].join(','),
    );
    outputs.push('[qvideo]');
    chains.push(
      [
        // Quoted: the expression's commas are not filter separators.
        `[qsampled]select='isnan(prev_selected_t)+gte(t-prev_selected_t,${sampleIntervalSec})'`,
        'blurdetect',
        'blockdetect',
        // Noise in 8-bit code values whatever the source's depth; only the luma plane is convolved.
        'format=yuv420p',
        `convolution=0m='${IMMERKAER_MASK}':0bias=128`,
        'signalstats',
        `metadata=mode=print:file=${SOURCE_LOGS.sampled}`,
        'nullsink',
      ].join(','),
    );
  }

  if (audioInput) {
    const windowSamples = Math.max(1, Math.round(options.audioSampleRate * DETECTION.clipWindowSec));
    const clipLevel = 10 ** (DETECTION.clipLevelDbfs / 20);
    chains.push(`${audioInput}asplit=3[qsilence][qloudness][qclip]`);
    chains.push(
      `[qsilence]silencedetect=n=${DETECTION.silenceDb}dB:d=${DETECTION.silenceMinSec},` +
        `ametadata=mode=print:file=${SOURCE_LOGS.silence},anullsink`,
    );
    chains.push(`[qloudness]ebur128=peak=true:metadata=1,ametadata=mode=print:file=${SOURCE_LOGS.loudness},anullsink`);
    chains.push(
      [
        // 1 where a sample is at or above the clip level, else 0, per channel (`ch`): the mean of
        // that signal over a window (astats' DC offset) is the share of clipped samples in it.
        `[qclip]aeval=exprs='gte(abs(val(ch)),${clipLevel.toFixed(6)})':c=same`,
        `asetnsamples=n=${windowSamples}:p=0`,
        'astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=DC_offset+Number_of_samples',
        `ametadata=mode=print:file=${SOURCE_LOGS.clipping}[qaudio]`,
      ].join(','),
    );
    outputs.push('[qaudio]');
  }
  return { chains, outputs };
}
