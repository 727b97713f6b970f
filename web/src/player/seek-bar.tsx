/**
 * The seek bar: a `role="slider"` over the timeline with the played part, the buffered ranges,
 * the part that exists so far (while the video is still transcoding), and a storyboard preview
 * wherever the pointer hovers or drags and wherever the keyboard seeks. Dragging moves the playhead
 * on the bar and seeks once, on release, so a scrub does not fire a request per pixel.
 *
 * It follows the playhead per animation frame while playing, re-rendering only itself.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Storyboard } from '../api.js';
import { formatDuration } from '../format.js';
import { previewHalfWidth, StoryboardPreview } from './storyboard-preview.js';

const KEY_STEP_SEC = 5;
const PAGE_STEP_SEC = 10;
const KEYBOARD_PREVIEW_MS = 1200;

export interface SeekBarProps {
  media: HTMLVideoElement | null;
  /** Length of the timeline: the whole video, even the part still being transcoded. */
  totalSec: number;
  /** How far the video exists so far; equals `totalSec` once it is complete. */
  availableSec: number;
  board: Storyboard | null;
  onSeek(timeSec: number): void;
  onScrubbingChange(scrubbing: boolean): void;
}

interface Preview {
  timeSec: number;
  source: 'pointer' | 'keyboard';
}

/** The playhead, per frame while playing and per event otherwise. */
function usePlayhead(media: HTMLVideoElement | null): number {
  const [time, setTime] = useState(0);
  useEffect(() => {
    if (!media) return;
    let frame = 0;
    const tick = () => {
      setTime(media.currentTime);
      frame = media.paused ? 0 : requestAnimationFrame(tick);
    };
    const restart = () => {
      cancelAnimationFrame(frame);
      tick();
    };
    const events = ['play', 'pause', 'seeking', 'seeked', 'timeupdate', 'emptied', 'loadedmetadata'];
    for (const type of events) media.addEventListener(type, restart);
    restart();
    return () => {
      cancelAnimationFrame(frame);
      for (const type of events) media.removeEventListener(type, restart);
    };
  }, [media]);
  return time;
}

/** Re-renders when the buffered ranges may have changed. */
function useBufferedRanges(media: HTMLVideoElement | null): Array<[number, number]> {
  const [ranges, setRanges] = useState<Array<[number, number]>>([]);
  useEffect(() => {
    if (!media) return;
    const read = () => {
      const next: Array<[number, number]> = [];
      for (let i = 0; i < media.buffered.length; i++) next.push([media.buffered.start(i), media.buffered.end(i)]);
      setRanges((previous) => (JSON.stringify(previous) === JSON.stringify(next) ? previous : next));
    };
    const events = ['progress', 'timeupdate', 'seeked', 'emptied', 'durationchange'];
    for (const type of events) media.addEventListener(type, read);
    read();
    return () => {
      for (const type of events) media.removeEventListener(type, read);
    };
  }, [media]);
  return ranges;
}

const percent = (part: number, whole: number) => `${whole > 0 ? Math.min(100, Math.max(0, (part / whole) * 100)) : 0}%`;

export function SeekBar(props: SeekBarProps) {
  const { media, totalSec, availableSec, board } = props;
  const barRef = useRef<HTMLDivElement>(null);
  const playhead = usePlayhead(media);
  const buffered = useBufferedRanges(media);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [dragSec, setDragSec] = useState<number | null>(null);
  const [barWidth, setBarWidth] = useState(0);
  const keyboardTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => () => clearTimeout(keyboardTimer.current), []);

  const timeAt = (clientX: number): number => {
    const rect = barRef.current!.getBoundingClientRect();
    setBarWidth(rect.width);
    const fraction = rect.width > 0 ? Math.min(1, Math.max(0, (clientX - rect.left) / rect.width)) : 0;
    return fraction * totalSec;
  };

  const onPointerDown = (event: PointerEvent) => {
    if (event.button !== 0 || totalSec <= 0) return;
    barRef.current!.setPointerCapture(event.pointerId);
    const time = timeAt(event.clientX);
    setDragSec(time);
    setPreview({ timeSec: time, source: 'pointer' });
    props.onScrubbingChange(true);
  };

  const onPointerMove = (event: PointerEvent) => {
    if (totalSec <= 0) return;
    const time = timeAt(event.clientX);
    setPreview({ timeSec: time, source: 'pointer' });
    if (dragSec !== null) setDragSec(time);
  };

  const endDrag = (commit: boolean) => {
    if (dragSec === null) return;
    if (commit) props.onSeek(dragSec);
    setDragSec(null);
    props.onScrubbingChange(false);
  };

  const onPointerUp = (event: PointerEvent) => {
    endDrag(true);
    // A touch has no hover: the preview goes with the finger.
    if (event.pointerType !== 'mouse') setPreview(null);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey || totalSec <= 0) return;
    const from = media?.currentTime ?? 0;
    let target: number;
    switch (event.key) {
      case 'ArrowLeft': case 'ArrowDown': target = from - KEY_STEP_SEC; break;
      case 'ArrowRight': case 'ArrowUp': target = from + KEY_STEP_SEC; break;
      case 'PageDown': target = from - PAGE_STEP_SEC; break;
      case 'PageUp': target = from + PAGE_STEP_SEC; break;
      case 'Home': target = 0; break;
      case 'End': target = totalSec; break;
      default: return;
    }
    event.preventDefault();
    target = Math.min(Math.max(0, target), Math.min(totalSec, availableSec));
    props.onSeek(target);
    setBarWidth(barRef.current!.getBoundingClientRect().width);
    setPreview({ timeSec: target, source: 'keyboard' });
    clearTimeout(keyboardTimer.current);
    keyboardTimer.current = setTimeout(() => setPreview((p) => (p?.source === 'keyboard' ? null : p)), KEYBOARD_PREVIEW_MS);
  };

  const shownSec = dragSec ?? playhead;
  const half = previewHalfWidth(board);
  const previewLeft = preview && barWidth > 0
    ? Math.min(Math.max((preview.timeSec / totalSec) * barWidth, half), Math.max(half, barWidth - half))
    : 0;
  const maxSec = Math.max(0, Math.floor(totalSec));

  return (
    <div
      ref={barRef}
      class={`sf-seek${dragSec !== null ? ' dragging' : ''}`}
      role="slider"
      tabIndex={0}
      aria-label="Seek"
      aria-valuemin={0}
      aria-valuemax={maxSec}
      aria-valuenow={Math.min(maxSec, Math.floor(shownSec))}
      aria-valuetext={`${formatDuration(shownSec)} of ${formatDuration(totalSec)}`}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={() => endDrag(false)}
      onPointerLeave={() => dragSec === null && setPreview((p) => (p?.source === 'pointer' ? null : p))}
      onKeyDown={onKeyDown}
      onBlur={() => setPreview(null)}
    >
      <div class="sf-seek-track">
        {availableSec < totalSec && <div class="sf-seek-available" style={{ width: percent(availableSec, totalSec) }} />}
        {buffered.map(([start, end]) => (
          <div key={start} class="sf-seek-buffered" style={{ left: percent(start, totalSec), width: percent(end - start, totalSec) }} />
        ))}
        {preview?.source === 'pointer' && dragSec === null && (
          <div class="sf-seek-hover" style={{ width: percent(preview.timeSec, totalSec) }} />
        )}
        <div class="sf-seek-played" style={{ width: percent(shownSec, totalSec) }} />
      </div>
      <div class="sf-seek-thumb" style={{ left: percent(shownSec, totalSec) }} />
      {preview && totalSec > 0 && <StoryboardPreview board={board} timeSec={preview.timeSec} leftPx={previewLeft} />}
    </div>
  );
}
