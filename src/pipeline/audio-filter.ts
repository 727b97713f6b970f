/**
 * The filter chain of one audio rendition, in the ladder's single ffmpeg run:
 *
 *   asetpts (origin shift) → aresample async pad/trim → stereo downmix → loudnorm (pass two) →
 *   aresample to the delivery rate → atrim of the encoder's priming
 *
 * - Timing (docs/ladder.md, "A/V sync"): the track is moved by the same shift as the video
 *   (stream-origin.ts), then `aresample=async=1:first_pts=0` pads (late audio) or trims (audio
 *   before the first picture) so it starts exactly at 0, and fills timestamp gaps with silence.
 *   This runs on the source's timestamps, before loudnorm: loudnorm re-stamps its output
 *   contiguously, so gaps must already be filled.
 * - Downmix: `aformat=channel_layouts=stereo`, i.e. libswresample's default matrix (what `-ac 2`
 *   applies): L = FL + 0.707·FC + 0.707·SL/BL, R likewise, LFE dropped (ITU-R BS.775 coefficients).
 *   It is the downmix the loudness measurement uses (src/media/loudness.ts), so what was measured
 *   is what gets normalised; mono is duplicated to both sides.
 * - Loudness: loudnorm with the pass-one measurements, `linear=true` (one gain for the whole
 *   track). It works at 192 kHz internally, so the rate conversion comes after it.
 * - Priming: ffmpeg's AAC encoder puts 1024 samples of priming before the first input sample, and
 *   fragmented MP4 (tfdt is unsigned) cannot start a track before 0; players without edit lists
 *   (every MSE player) would play the audio 1024 samples late. Feeding the encoder from sample 1024
 *   on puts sample k of the delivered audio at exactly k / rate.
 */
import type { MediaInfo } from '../media/media-info.js';
import { type LoudnessMeasurement, normalisationFilter } from '../media/loudness.js';
import type { AudioLoudness, AudioRendition } from './ladder-types.js';
import { originShiftExpression } from './stream-origin.js';

/** Encoder delay of ffmpeg's native AAC encoder (its `initial_padding`), in output samples. */
export const AAC_PRIMING_SAMPLES = 1024;

/** The loudnorm pass-two filter for a rendition's stored measurement, or null (off, or silence). */
export function loudnessFilter(loudness: AudioLoudness | null): string | null {
  if (!loudness || loudness.measuredLufs === null || loudness.thresholdLufs === null) return null;
  const value = (n: number | null) => n ?? Number.NEGATIVE_INFINITY;
  const measured: LoudnessMeasurement = {
    integratedLufs: value(loudness.measuredLufs),
    truePeakDbtp: value(loudness.truePeakDbtp),
    rangeLu: value(loudness.rangeLu),
    thresholdLufs: value(loudness.thresholdLufs),
    targetOffsetLu: value(loudness.targetOffsetLu),
  };
  return normalisationFilter(measured, {
    integratedLufs: loudness.targetLufs,
    truePeakDbtp: loudness.targetTruePeakDbtp,
    rangeLu: loudness.targetRangeLu,
  });
}

export function audioFilterChain(options: { media: MediaInfo; rendition: AudioRendition }): string {
  const { media, rendition } = options;
  const shift = originShiftExpression(media);
  return [
    shift && `asetpts=${shift}`,
    'aresample=async=1:first_pts=0',
    'aformat=channel_layouts=stereo',
    loudnessFilter(rendition.loudness),
    `aresample=${rendition.sampleRate}`,
    `atrim=start_sample=${AAC_PRIMING_SAMPLES}`,
  ]
    .filter(Boolean)
    .join(',');
}
