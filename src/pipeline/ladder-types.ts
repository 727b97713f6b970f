/** The plan of renditions for one video, made by planLadder (ladder.ts) from its MediaInfo. */
import type { Rational } from '../media/media-info.js';

export interface VideoRung {
  /** Short name shown to viewers, e.g. '720p' (short side of the frame). */
  name: string;
  width: number;
  height: number;
  /** Output frame rate; equals the source's unless capped. */
  fps: Rational;
  /** x264 CRF (quality target) … */
  crf: number;
  /** … capped by this peak rate (kbit/s) … */
  maxrateKbps: number;
  /** … over this VBV buffer (kbit). */
  bufsizeKbps: number;
}

export interface AudioRendition {
  /** Input audio stream index. */
  sourceIndex: number;
  codec: 'aac';
  channels: 2;
  sampleRate: number;
  bitrateKbps: number;
  language: string | null;
}

export interface LadderPlan {
  /** Highest rung first; empty for audio-only input. */
  video: VideoRung[];
  /** Empty for a video without audio. */
  audio: AudioRendition[];
  segmentSeconds: number;
  /** Filter inserted before scaling, e.g. 'bwdif' for interlaced input; null when none is needed. */
  deinterlace: string | null;
}
