/** What a probe learns about an input: the typed description the ladder planner works from. */

export interface Rational {
  num: number;
  den: number;
}

export type HdrTransfer = 'pq' | 'hlg' | null;

export interface VideoStreamInfo {
  /** Stream index in the input. */
  index: number;
  codec: string;
  profile: string | null;
  pixelFormat: string;
  bitDepth: number;
  /** Chroma subsampling from the pixel format: '420' | '422' | '444' | other. */
  chroma: string;
  codedWidth: number;
  codedHeight: number;
  /** Rotation (clockwise degrees) that a player applies from the display matrix. */
  rotation: 0 | 90 | 180 | 270;
  /** Size as displayed: coded size with rotation and sample aspect ratio applied. */
  displayWidth: number;
  displayHeight: number;
  /**
   * Presentation time of the first frame on the container's clock (ffprobe start_time). Against
   * MediaInfo.startSec it places the picture on the timeline ffmpeg's outputs count from.
   */
  startSec: number;
  /** Real average frame rate (frames / duration); for VFR this differs from `nominalFps`. */
  fps: number;
  /** Frame rate as a rational, for exact output rates (30000/1001). */
  fpsRational: Rational;
  nominalFps: number;
  isVfr: boolean;
  bitrateBps: number | null;
  interlaced: boolean;
  fieldOrder: string | null;
  colorTransfer: string | null;
  colorPrimaries: string | null;
  colorSpace: string | null;
  hdr: HdrTransfer;
}

export interface AudioStreamInfo {
  index: number;
  codec: string;
  profile: string | null;
  channels: number;
  channelLayout: string | null;
  sampleRate: number;
  language: string | null;
  bitrateBps: number | null;
}

export interface SubtitleStreamInfo {
  index: number;
  codec: string;
  language: string | null;
}

export interface MediaInfo {
  /** Demuxer that recognised the file (ffprobe format_name), e.g. 'mov,mp4,m4a,3gp,3g2,mj2'. */
  container: string;
  durationSec: number;
  /** The container's first timestamp (ffprobe format start_time); ffmpeg counts output time from it. */
  startSec: number;
  sizeBytes: number;
  bitrateBps: number | null;
  /** The main video stream (cover art is not video), or null for audio-only input. */
  video: VideoStreamInfo | null;
  audio: AudioStreamInfo[];
  subtitles: SubtitleStreamInfo[];
}
