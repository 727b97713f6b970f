/**
 * planLadder: which renditions to make of a video, from its MediaInfo. Rules and worked examples in
 * docs/ladder.md; in short:
 * - rungs are named and sized by the frame's SHORT side (240…2160), so portrait stays portrait;
 * - never upscale: the top rung is the source's own display size (even), or 2160p for larger sources;
 * - a standard rung within 10 % of the top rung's pixels adds nothing and is dropped;
 * - peak rate = bits-per-pixel(rung) × width × height × fps, capped by the source's own bit rate;
 * - frame rate = source ÷ the smallest whole n that fits under the cap (60 at ≥ 720p, 30 below),
 *   so the cadence is kept (120→60, 59.94→59.94 or 29.97, 50→50 or 25);
 * - every audio track (up to 8) becomes an AAC-LC stereo rendition, the default one first.
 * What the probe cannot tell — interlacing by content, loudness — is added by ladder-analysis.ts.
 */
import type { AudioStreamInfo, MediaInfo, Rational, VideoStreamInfo } from '../media/media-info.js';
import { divideRational, rationalToNumber } from '../media/rational.js';
import { type AudioRendition, EXTRA_VIDEO_CODECS, type ExtraVideoCodec, type LadderPlan, type VideoRung } from './ladder-types.js';
import { languageName, languageTag, TrackLabels } from './track-language.js';

export interface PlanLadderOptions {
  segmentSeconds: number;
  /** Highest output frame rate of any rung (config `maxFps`). */
  maxFps: number;
  /** Extra codec ladders (AV1, VP9) over the same rungs; none by default. */
  extraCodecs?: readonly ExtraVideoCodec[];
}

/** Audio renditions of one video at most: a menu of more is unusable, and each costs an encode. */
export const MAX_AUDIO_RENDITIONS = 8;

export interface RungSpec {
  shortSide: number;
  /** Bits per pixel per frame at the peak rate; smaller frames need more bits per pixel. */
  bitsPerPixel: number;
  crf: number;
}

/**
 * The standard rungs. bpp decreases with size (larger frames compress better per pixel); CRF is a
 * little lower (better) on small rungs, which players upscale and so magnify their artefacts.
 */
export const RUNG_TABLE: readonly RungSpec[] = [
  { shortSide: 240, bitsPerPixel: 0.13, crf: 21 },
  { shortSide: 360, bitsPerPixel: 0.115, crf: 21 },
  { shortSide: 480, bitsPerPixel: 0.105, crf: 21 },
  { shortSide: 720, bitsPerPixel: 0.095, crf: 22 },
  { shortSide: 1080, bitsPerPixel: 0.08, crf: 23 },
  { shortSide: 1440, bitsPerPixel: 0.07, crf: 23 },
  { shortSide: 2160, bitsPerPixel: 0.06, crf: 23 },
];

/** Rungs with a short side below this are capped at LOW_RUNG_MAX_FPS. */
export const HIGH_FPS_MIN_SHORT_SIDE = 720;
export const LOW_RUNG_MAX_FPS = 30;
/** A lower rung must have less than this share of the top rung's pixels, or it is dropped. */
export const MAX_PIXEL_SHARE_BELOW_TOP = 0.9;
/** Headroom over the source's own video bit rate. */
export const SOURCE_BITRATE_HEADROOM = 1.1;
/** No rung's peak rate goes below this, whatever the source's bit rate. */
export const MIN_MAXRATE_KBPS = 150;
/** Motion-adaptive deinterlacer; `send_frame` gives one frame per frame, so the probed rate stays the output rate. */
export const DEINTERLACE_FILTER = 'bwdif=mode=send_frame';

const floorEven = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
const roundEven = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/**
 * `source ÷ n` for the smallest whole n with a result ≤ `capFps`: dropping every n-th frame keeps motion
 * regular, where resampling 50 → 30 would judder. Exact: (60000/1001) ÷ 2 = 30000/1001.
 */
export function outputFrameRate(source: Rational, capFps: number): Rational {
  const fps = rationalToNumber(source);
  const n = Math.max(1, Math.ceil(fps / capFps - 1e-9));
  return divideRational(source, n);
}

/** bpp and CRF for any short side: linear between table rows, clamped at both ends. */
export function rungSpecFor(shortSide: number): RungSpec {
  const first = RUNG_TABLE[0]!;
  const last = RUNG_TABLE[RUNG_TABLE.length - 1]!;
  if (shortSide <= first.shortSide) return { ...first, shortSide };
  if (shortSide >= last.shortSide) return { ...last, shortSide };
  const upper = RUNG_TABLE.findIndex((r) => r.shortSide >= shortSide);
  const hi = RUNG_TABLE[upper]!;
  const lo = RUNG_TABLE[upper - 1]!;
  const t = (shortSide - lo.shortSide) / (hi.shortSide - lo.shortSide);
  return {
    shortSide,
    bitsPerPixel: lo.bitsPerPixel + t * (hi.bitsPerPixel - lo.bitsPerPixel),
    crf: t < 0.5 ? lo.crf : hi.crf,
  };
}

/** Frame sizes (width, height) from the display size, largest first. */
function rungSizes(video: VideoStreamInfo): Array<{ width: number; height: number; shortSide: number }> {
  const portrait = video.displayHeight > video.displayWidth;
  const srcShort = Math.min(video.displayWidth, video.displayHeight);
  const srcLong = Math.max(video.displayWidth, video.displayHeight);
  const sized = (shortSide: number, longSide: number) => ({
    width: portrait ? shortSide : longSide,
    height: portrait ? longSide : shortSide,
    shortSide,
  });
  const largest = RUNG_TABLE[RUNG_TABLE.length - 1]!.shortSide;
  const top =
    srcShort > largest
      ? sized(largest, roundEven((largest * srcLong) / srcShort))
      : sized(floorEven(srcShort), floorEven(srcLong));
  const sizes = [top];
  for (const spec of [...RUNG_TABLE].reverse()) {
    if (spec.shortSide >= top.shortSide) continue;
    const rung = sized(spec.shortSide, roundEven((spec.shortSide * srcLong) / srcShort));
    if (rung.width * rung.height >= MAX_PIXEL_SHARE_BELOW_TOP * top.width * top.height) continue;
    sizes.push(rung);
  }
  return sizes;
}

function planVideo(video: VideoStreamInfo, maxFps: number): VideoRung[] {
  const sourceCapKbps =
    video.bitrateBps !== null && video.bitrateBps > 0
      ? Math.max(MIN_MAXRATE_KBPS, (video.bitrateBps / 1000) * SOURCE_BITRATE_HEADROOM)
      : Infinity;
  return rungSizes(video).map(({ width, height, shortSide }) => {
    const spec = rungSpecFor(shortSide);
    const capFps = shortSide < HIGH_FPS_MIN_SHORT_SIDE ? Math.min(maxFps, LOW_RUNG_MAX_FPS) : maxFps;
    const fps = outputFrameRate(video.fpsRational, capFps);
    const byPixels = (spec.bitsPerPixel * width * height * rationalToNumber(fps)) / 1000;
    const maxrateKbps = Math.round(Math.max(MIN_MAXRATE_KBPS, Math.min(byPixels, sourceCapKbps)));
    return {
      name: `${shortSide}p`,
      width,
      height,
      fps,
      crf: spec.crf,
      maxrateKbps,
      bufsizeKbps: 2 * maxrateKbps,
    };
  });
}

/**
 * Every decodable audio track, default first (probeMedia sorts it so), up to MAX_AUDIO_RENDITIONS:
 * AAC-LC stereo (surround is downmixed, see audio-filter.ts), labelled by language.
 */
function planAudio(audio: AudioStreamInfo[]): AudioRendition[] {
  const labels = new TrackLabels();
  const kept = audio.slice(0, MAX_AUDIO_RENDITIONS);
  return kept.map((source, i) => {
    const language = languageTag(source.language);
    const unnamed = kept.length === 1 ? 'Main audio' : `Audio ${i + 1}`;
    return {
      sourceIndex: source.index,
      codec: 'aac',
      channels: 2,
      // Resampling 44.1 kHz music to 48 kHz buys nothing; everything else is delivered at 48 kHz.
      sampleRate: source.sampleRate === 44100 ? 44100 : 48000,
      bitrateKbps: source.channels === 1 ? 96 : 128,
      language,
      label: labels.next(languageName(language) ?? unnamed),
      default: i === 0,
      sourceChannels: source.channels,
      loudness: null,
    };
  });
}

export function planLadder(media: MediaInfo, options: PlanLadderOptions): LadderPlan {
  // 10-bit, 4:4:4 and HDR sources get the same rungs: the encoder converts to 8-bit 4:2:0 (and tone-maps).
  return {
    video: media.video ? planVideo(media.video, options.maxFps) : [],
    audio: planAudio(media.audio),
    segmentSeconds: options.segmentSeconds,
    deinterlace: media.video?.interlaced ? DEINTERLACE_FILTER : null,
    extraCodecs: media.video ? EXTRA_VIDEO_CODECS.filter((codec) => options.extraCodecs?.includes(codec)) : [],
    ...(media.video?.interlaced && { interlace: { method: 'probe' as const, interlaced: true, fieldOrder: media.video.fieldOrder } }),
  };
}
