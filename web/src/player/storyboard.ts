/**
 * The scrubbing thumbnails: the video's storyboard index (storyboard.json, see
 * src/pipeline/storyboard.ts), loaded once the video has one, and the tile for a given time.
 */
import { useEffect, useState } from 'preact/hooks';
import { getStoryboard, type Storyboard, type Video } from '../api.js';

export type StoryboardTile = Storyboard['tiles'][number];

/** The storyboard, or null while there is none (still transcoding, audio only) or it failed to load. */
export function useStoryboard(video: Video): Storyboard | null {
  const url = video.playback?.storyboard ?? null;
  const [board, setBoard] = useState<Storyboard | null>(null);
  useEffect(() => {
    setBoard(null);
    if (!url) return;
    let cancelled = false;
    getStoryboard(video).then(
      (loaded) => {
        if (!cancelled) setBoard(loaded);
      },
      // Previews are a nicety: without the index the seek bar shows the time alone.
      () => {},
    );
    return () => {
      cancelled = true;
    };
    // Only a new storyboard URL means a new index; `video` is re-sent with every status change.
  }, [url]);
  return board;
}

/** The tile covering `timeSec` (tiles are sorted and contiguous), clamped to the first and last. */
export function tileAt(board: Storyboard, timeSec: number): StoryboardTile | null {
  const { tiles } = board;
  if (tiles.length === 0) return null;
  let low = 0;
  let high = tiles.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (tiles[mid]!.start <= timeSec) low = mid;
    else high = mid - 1;
  }
  return tiles[low]!;
}
