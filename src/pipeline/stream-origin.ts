/**
 * Where the published stream's time 0 sits on the source's clock, so picture and sound keep the
 * relative timing they have in the source (docs/ladder.md, "A/V sync").
 *
 * ffmpeg counts every input timestamp from the container's first timestamp (MediaInfo.startSec).
 * The stream's origin is the first video frame (VideoStreamInfo.startSec) — or, for audio only, the
 * container's start. The ladder shifts video AND audio by the same amount (`setpts`/`asetpts`),
 * then pads or trims the audio to start exactly at the origin: audio before the first picture is
 * cut, a late audio track starts with silence. Both renditions then start at 0, and no player needs
 * an edit list to line them up.
 */
import type { MediaInfo } from '../media/media-info.js';

/** Seconds from the container's first timestamp to the stream's origin (≥ 0 for sane files). */
export function streamOriginShiftSec(media: MediaInfo): number {
  if (!media.video) return 0;
  const shift = media.video.startSec - media.startSec;
  // Sub-microsecond differences are rounding in ffprobe's printout, not an offset.
  return Math.abs(shift) < 1e-6 ? 0 : shift;
}

/** `setpts`/`asetpts` expression moving a stream by the origin shift; null when nothing moves. */
export function originShiftExpression(media: MediaInfo): string | null {
  const shift = streamOriginShiftSec(media);
  if (shift === 0) return null;
  return `PTS${shift > 0 ? '-' : '+'}${Math.abs(shift).toFixed(6)}/TB`;
}
