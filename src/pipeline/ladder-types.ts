/** The plan of renditions for one video, made by planLadder (ladder.ts) from its MediaInfo. */
import type { Rational } from '../media/media-info.js';

export interface VideoRung {
  /** Short name shown to viewers, e.g. '720p' (short side of the frame). */
  name: string;
  width: number;
  height: number;
  /** Output frame rate; equals the source's unless capped. */
  fps: Rational;
  /** x264 CRF (quality target; other encoders map it, see video-encoders.ts) … */
  crf: number;
  /** … capped by this peak rate (kbit/s) … */
  maxrateKbps: number;
  /** … over this VBV buffer (kbit). */
  bufsizeKbps: number;
}

/** Codecs of the optional extra ladders, beside the H.264 one (docs/ladder.md, "Extra codecs"). */
export type ExtraVideoCodec = 'av1' | 'vp9';
export const EXTRA_VIDEO_CODECS: readonly ExtraVideoCodec[] = ['av1', 'vp9'];

/**
 * Pass one of the two-pass loudness normalisation (src/media/loudness.ts) on one track, and the
 * target pass two aims at. Measured values are null when the track has no measurable loudness
 * (digital silence): then no gain is applied.
 */
export interface AudioLoudness {
  measuredLufs: number | null;
  truePeakDbtp: number | null;
  rangeLu: number | null;
  thresholdLufs: number | null;
  targetOffsetLu: number | null;
  targetLufs: number;
  targetTruePeakDbtp: number;
  targetRangeLu: number;
}

export interface AudioRendition {
  /** Input audio stream index. */
  sourceIndex: number;
  codec: 'aac';
  channels: 2;
  sampleRate: number;
  bitrateKbps: number;
  /** BCP 47 tag ('en' for the container's 'eng'), 'und' when unknown. */
  language: string;
  /** Name in players' audio menus, unique within the video ('English', 'English (2)', 'Track 2'). */
  label: string;
  /** The default track (the probe lists it first): DEFAULT=YES in HLS, Role main in DASH. */
  default: boolean;
  /** Channels of the source track (6 for 5.1: downmixed to stereo). */
  sourceChannels: number;
  /** Pass-one loudness and the target, or null when normalisation is off (or not yet measured). */
  loudness: AudioLoudness | null;
}

/** How the plan decided about interlacing: the container's field order, else idet on the content. */
export interface InterlaceDecision {
  method: 'probe' | 'idet';
  interlaced: boolean;
  fieldOrder: string | null;
  /** idet's multi-frame counts, when it ran. */
  frames?: { tff: number; bff: number; progressive: number; undetermined: number };
}

export interface LadderPlan {
  /** Highest rung first; empty for audio-only input. */
  video: VideoRung[];
  /** Default track first; empty for a video without audio. */
  audio: AudioRendition[];
  segmentSeconds: number;
  /** Filter inserted before scaling, e.g. 'bwdif' for interlaced input; null when none is needed. */
  deinterlace: string | null;
  /** Extra codec ladders over the same rungs (AV1, VP9); absent or empty: H.264 only. */
  extraCodecs?: ExtraVideoCodec[];
  /** The interlacing decision, once the analysis before the ladder has run. */
  interlace?: InterlaceDecision;
}
