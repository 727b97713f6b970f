/**
 * Undoing ffmpeg's autorotation. The quality run decodes the source once, autorotated (as the ladder
 * does: the comparison's reference must match the renditions), and the analysis needs coded frames
 * (idet tells fields apart by rows). ffmpeg (5.1, fftools get_rotation) inserts `transpose=clock`
 * for 90°, `transpose=cclock` for 270° and `hflip,vflip` for 180°; these are their inverses. When
 * the display matrix also mirrors the picture ffmpeg uses the `_flip` transposes instead, and the
 * inverse here leaves the frame mirrored: rows are still rows, so interlacing is still detected,
 * but its field order may read reversed.
 */
import type { VideoStreamInfo } from '../media/media-info.js';

export function unrotateFilter(rotation: VideoStreamInfo['rotation']): string | null {
  switch (rotation) {
    case 90:
      return 'transpose=cclock';
    case 270:
      return 'transpose=clock';
    case 180:
      return 'hflip,vflip';
    default:
      return null;
  }
}
