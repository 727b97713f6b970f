/**
 * Encoder arguments of one video rung, for every encoder the ladder can use. Whatever the encoder,
 * a rung means the same thing: constant quality capped by a peak rate over a VBV buffer, closed GOPs
 * of one segment, a keyframe forced at every segment boundary (`expr:gte(t,n_forced*seg)`, the same
 * expression on the same CFR frames, so every codec and every rung cut their segments at the same
 * frames), no scene-cut keyframes in between, BT.709 tags. docs/ladder.md tabulates the mapping.
 *
 * H.264: libx264 (software), or — when detected at start-up (src/media/encoders.ts) — NVENC, Quick
 * Sync or VAAPI. Extra ladders: AV1 (SVT-AV1) and VP9 (libvpx).
 */
import type { H264Encoder } from '../media/encoders.js';
import { VAAPI_DEVICE } from '../media/encoders.js';
import type { ExtraVideoCodec, VideoRung } from './ladder-types.js';

/** x264 preset names, as configured (config.x264Preset). */
export type X264Preset = 'ultrafast' | 'superfast' | 'veryfast' | 'faster' | 'fast' | 'medium' | 'slow';

export interface RungEncoding {
  rung: VideoRung;
  /** Output video stream index (the `:v:N` specifier). */
  index: number;
  segmentSeconds: number;
  /**
   * Chunked encoding (docs/chunked-encoding.md): keyframes every GOP by frame count from the
   * chunk's first frame (`expr:eq(mod(n,G),0)`), instead of by time from the stream's start, so
   * every chunk's segments are whole GOPs of exactly G frames.
   */
  frameGrid?: boolean;
}

/** Frames per GOP: one segment. */
export function gopFrames(rung: VideoRung, segmentSeconds: number): number {
  return Math.max(1, Math.round((rung.fps.num / rung.fps.den) * segmentSeconds));
}

/** Options every encoder shares: GOP length, forced keyframes at segment boundaries, colour tags. */
function commonArgs({ rung, index: i, segmentSeconds: seg, frameGrid }: RungEncoding): string[] {
  const gop = gopFrames(rung, seg);
  return [
    `-g:v:${i}`, String(gop),
    // Keyframes exactly at segment boundaries on every rung and codec.
    `-force_key_frames:v:${i}`, frameGrid ? `expr:eq(mod(n,${gop}),0)` : `expr:gte(t,n_forced*${seg})`,
    `-color_primaries:v:${i}`, 'bt709',
    `-color_trc:v:${i}`, 'bt709',
    `-colorspace:v:${i}`, 'bt709',
  ];
}

const rate = (kbps: number) => `${Math.round(kbps)}k`;

/** NVENC's p1 (fastest) … p7 (slowest) for the configured x264 preset. */
const NVENC_PRESET: Record<X264Preset, string> = {
  ultrafast: 'p1', superfast: 'p1', veryfast: 'p2', faster: 'p3', fast: 'p4', medium: 'p5', slow: 'p6',
};
/** Quick Sync knows veryfast … veryslow. */
const QSV_PRESET: Record<X264Preset, string> = {
  ultrafast: 'veryfast', superfast: 'veryfast', veryfast: 'veryfast', faster: 'faster', fast: 'fast', medium: 'medium', slow: 'slow',
};

/**
 * Capped constant quality in each H.264 encoder's own terms:
 * - libx264: CRF + maxrate/bufsize (VBV); closed GOPs by default; sc_threshold 0 (no scene-cut I).
 * - NVENC: VBR with constant-quality target (-cq = CRF, -b:v 0) + maxrate/bufsize; forced frames
 *   become IDR (-forced-idr), no scene-cut keyframes (-no-scenecut).
 * - Quick Sync: QVBR (quality -global_quality = CRF, average -b:v = half the peak, -maxrate peak);
 *   forced frames become IDR (-forced_idr); no adaptive I/B placement, no look-ahead.
 * - VAAPI: QVBR likewise (-rc_mode QVBR); every I-frame an IDR (-idr_interval 0). Frames reach it
 *   through `hwupload` (see h264FilterTail).
 */
export function h264EncoderArgs(options: RungEncoding & { encoder: H264Encoder; x264Preset: X264Preset }): string[] {
  const { rung, index: i, encoder, x264Preset } = options;
  const gop = String(gopFrames(rung, options.segmentSeconds));
  const cap = [`-maxrate:v:${i}`, rate(rung.maxrateKbps), `-bufsize:v:${i}`, rate(rung.bufsizeKbps)];
  const average = [`-b:v:${i}`, rate(rung.maxrateKbps / 2)];
  switch (encoder.hardware) {
    case null:
      return [
        `-c:v:${i}`, 'libx264', `-preset:v:${i}`, x264Preset, `-profile:v:${i}`, 'high',
        `-crf:v:${i}`, String(rung.crf), ...cap,
        `-keyint_min:v:${i}`, gop, `-sc_threshold:v:${i}`, '0',
        ...commonArgs(options),
      ];
    case 'nvenc':
      return [
        `-c:v:${i}`, encoder.name, `-preset:v:${i}`, NVENC_PRESET[x264Preset], `-tune:v:${i}`, 'hq', `-profile:v:${i}`, 'high',
        `-rc:v:${i}`, 'vbr', `-cq:v:${i}`, String(rung.crf), `-b:v:${i}`, '0', ...cap,
        `-forced-idr:v:${i}`, '1', `-no-scenecut:v:${i}`, '1',
        ...commonArgs(options),
      ];
    case 'qsv':
      return [
        `-c:v:${i}`, encoder.name, `-preset:v:${i}`, QSV_PRESET[x264Preset], `-profile:v:${i}`, 'high',
        `-global_quality:v:${i}`, String(rung.crf), ...average, ...cap,
        `-forced_idr:v:${i}`, '1', `-adaptive_i:v:${i}`, '0', `-adaptive_b:v:${i}`, '0', `-look_ahead:v:${i}`, '0',
        ...commonArgs(options),
      ];
    case 'vaapi':
      return [
        `-c:v:${i}`, encoder.name, `-profile:v:${i}`, 'high',
        `-rc_mode:v:${i}`, 'QVBR', `-global_quality:v:${i}`, String(rung.crf), ...average, ...cap,
        `-idr_interval:v:${i}`, '0',
        ...commonArgs(options),
      ];
  }
}

/** Arguments the H.264 encoder needs before the input: VAAPI opens its device there. */
export function h264GlobalArgs(encoder: H264Encoder): string[] {
  return encoder.hardware === 'vaapi' ? ['-vaapi_device', VAAPI_DEVICE] : [];
}

/** Filters after a rung's software chain (which ends in yuv420p) that its H.264 encoder needs. */
export function h264FilterTail(encoder: H264Encoder): string | null {
  return encoder.hardware === 'vaapi' ? 'format=nv12,hwupload' : null;
}

/** Tuning of the extra-codec encoders (config: av1Preset, vp9Speed). */
export interface ExtraCodecTuning {
  /** SVT-AV1 preset, 0 (slowest) … 13 (fastest). */
  av1Preset: number;
  /** libvpx-vp9 cpu-used: 0 (slowest) … 5 with the good-quality deadline, 6 … 8 with the realtime one. */
  vp9Speed: number;
}

export const DEFAULT_EXTRA_CODEC_TUNING: ExtraCodecTuning = { av1Preset: 10, vp9Speed: 6 };

/**
 * CRF of the other codecs for an x264 CRF: their scales differ (0–63). Measured here (docs/ladder.md)
 * SVT-AV1 preset 10 at x264 CRF + 14 matched x264 veryfast's PSNR within 0.4 dB with 19 % fewer bits.
 * VP9 is the cheap compatibility ladder (for browsers without H.264): realtime speed 6 by default,
 * which libvpx runs as a rate-targeted encoder (its CRF barely matters there); the good-quality
 * deadline (speed ≤ 5) is 1.6 dB below x264 for 30 % fewer bits at 4–8× the CPU. The peak-rate cap
 * is the same as the H.264 rung's.
 */
export const AV1_CRF_OFFSET = 14;
export const VP9_CRF_OFFSET = 10;

/**
 * - AV1 (libsvtav1): capped CRF (SVT-AV1 ≥ 1.3 turns -crf + -maxrate into its "capped CRF" mode),
 *   random-access prediction; SVT-AV1 honours forced keyframes as key frames.
 * - VP9 (libvpx-vp9): constrained quality (-crf + -b:v as the ceiling) over the same buffer;
 *   row multithreading; the good-quality deadline up to cpu-used 5, the realtime one above (libvpx
 *   caps good-quality speed at 5; realtime is ~4× cheaper and ~2.5 dB worse here).
 */
export function extraCodecArgs(options: RungEncoding & { codec: ExtraVideoCodec; tuning: ExtraCodecTuning }): string[] {
  const { rung, index: i, codec, tuning } = options;
  if (codec === 'av1') {
    return [
      `-c:v:${i}`, 'libsvtav1', `-preset:v:${i}`, String(tuning.av1Preset),
      `-crf:v:${i}`, String(Math.min(63, rung.crf + AV1_CRF_OFFSET)),
      `-maxrate:v:${i}`, rate(rung.maxrateKbps), `-bufsize:v:${i}`, rate(rung.bufsizeKbps),
      ...commonArgs(options),
    ];
  }
  return [
    `-c:v:${i}`, 'libvpx-vp9', `-deadline:v:${i}`, tuning.vp9Speed > 5 ? 'realtime' : 'good', `-cpu-used:v:${i}`, String(tuning.vp9Speed),
    `-row-mt:v:${i}`, '1', `-crf:v:${i}`, String(Math.min(63, rung.crf + VP9_CRF_OFFSET)),
    `-b:v:${i}`, rate(rung.maxrateKbps), `-bufsize:v:${i}`, rate(rung.bufsizeKbps),
    `-keyint_min:v:${i}`, String(gopFrames(rung, options.segmentSeconds)),
    ...commonArgs(options),
  ];
}

/** SVT-AV1 refuses frames smaller than this on either side; such rungs get no AV1 copy. */
export const AV1_MIN_SIDE = 64;

/** Whether a rung gets a copy in the given extra codec. */
export function extraCodecCovers(codec: ExtraVideoCodec, rung: VideoRung): boolean {
  return codec !== 'av1' || Math.min(rung.width, rung.height) >= AV1_MIN_SIDE;
}
