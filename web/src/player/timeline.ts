/**
 * What the seek bar spans. A ready video: the media's duration. A video still transcoding plays
 * like VOD from the start, but its timeline spans the source's whole duration (known from the
 * probe), of which only the part made so far can be played; seeks stop a second short of its end
 * so they land on a segment that exists.
 */
import type { Video } from '../api.js';
import type { MediaState } from './use-media-state.js';

const GROWING_EDGE_SEC = 1;

export interface Timeline {
  /** Still transcoding: the stream grows. */
  growing: boolean;
  /** Length of the seek bar. */
  totalSec: number;
  /** How much of it exists so far (equals `totalSec` once the video is complete). */
  availableSec: number;
  /** The furthest a seek may go. */
  seekLimitSec: number;
}

export function timelineOf(video: Video, state: MediaState): Timeline {
  const growing = video.status === 'processing';
  const madeSec = Math.max(state.seekableEnd, state.duration);
  const totalSec = growing && video.durationSec
    ? Math.max(video.durationSec, madeSec)
    : state.duration || madeSec || video.durationSec || 0;
  return {
    growing,
    totalSec,
    availableSec: growing ? madeSec : totalSec,
    seekLimitSec: growing ? Math.max(0, madeSec - GROWING_EDGE_SEC) : totalSec,
  };
}
