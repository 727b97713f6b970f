/**
 * The thumbnail and time shown above the seek bar while hovering, dragging or keyboard-seeking:
 * the storyboard tile for that time (a window onto the sprite sheet: CSS background at -x/-y,
 * sized w×h), or the time alone when the video has no storyboard.
 */
import type { Storyboard } from '../api.js';
import { formatDuration } from '../format.js';
import { tileAt } from './storyboard.js';

export function StoryboardPreview(props: {
  board: Storyboard | null;
  timeSec: number;
  /** Horizontal centre in px from the seek bar's left edge (already kept inside the bar). */
  leftPx: number;
}) {
  const tile = props.board ? tileAt(props.board, props.timeSec) : null;
  return (
    <div class={`sf-preview${tile ? ' has-thumb' : ''}`} style={{ left: `${props.leftPx}px` }} aria-hidden="true">
      {tile && (
        <div
          class="sf-preview-thumb"
          style={{
            width: `${tile.w}px`,
            height: `${tile.h}px`,
            backgroundImage: `url("${tile.sprite}")`,
            backgroundPosition: `-${tile.x}px -${tile.y}px`,
          }}
        />
      )}
      <div class="sf-preview-time">{formatDuration(props.timeSec)}</div>
    </div>
  );
}

/** Half the preview's width, to keep it inside the bar: the tile's, or the time label's alone. */
export function previewHalfWidth(board: Storyboard | null): number {
  return board ? board.width / 2 + 2 : 28;
}
