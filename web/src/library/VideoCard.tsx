/**
 * One video in the library grid: poster, duration, title, status; while the pointer rests on a
 * ready video (or it has keyboard focus) the poster gives way to its storyboard frames, playing
 * through the video, and moving the pointer across the card scrubs them.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { canEditVideo, useSession } from '../app/session.js';
import { Link } from 'wouter-preact';
import { getStoryboard, type Storyboard, type Video } from '../api.js';
import { formatAge, formatDuration, STAGE_LABELS } from '../format.js';

const FRAME_MS = 450;
const storyboards = new Map<string, Promise<Storyboard | null>>();

function storyboardOf(video: Video): Promise<Storyboard | null> {
  const key = video.playback?.storyboard ?? '';
  let board = storyboards.get(key);
  if (!board) {
    board = getStoryboard(video).catch(() => null);
    storyboards.set(key, board);
  }
  return board;
}

export function VideoCard(props: { video: Video; onEdit: (video: Video) => void; onDelete: (video: Video) => void }) {
  const { user } = useSession();
  const { video } = props;
  const [previewing, setPreviewing] = useState(false);
  const [board, setBoard] = useState<Storyboard | null>(null);
  // Frame 0 is often a black lead-in: the preview starts one interval in.
  const [frame, setFrame] = useState(1);
  const scrubbing = useRef(false);
  const thumb = useRef<HTMLDivElement>(null);
  const canPreview = video.status === 'ready' && !!video.playback?.storyboard;

  useEffect(() => {
    if (!previewing || !canPreview) return;
    let alive = true;
    void storyboardOf(video).then((b) => alive && setBoard(b));
    return () => {
      alive = false;
    };
  }, [previewing, canPreview, video]);

  useEffect(() => {
    if (!previewing || !board || board.tiles.length < 2) return;
    const timer = setInterval(() => {
      if (!scrubbing.current) setFrame((f) => (f + 1) % board.tiles.length);
    }, FRAME_MS);
    return () => clearInterval(timer);
  }, [previewing, board]);

  const start = () => canPreview && setPreviewing(true);
  const stop = () => {
    setPreviewing(false);
    scrubbing.current = false;
    setFrame(1);
  };
  const scrub = (event: PointerEvent) => {
    if (!board || !thumb.current) return;
    const rect = thumb.current.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
    scrubbing.current = true;
    setFrame(Math.min(board.tiles.length - 1, Math.floor(fraction * board.tiles.length)));
  };

  const tile = previewing && board ? board.tiles[Math.min(frame, board.tiles.length - 1)] : undefined;
  const width = thumb.current?.clientWidth ?? 0;
  const scale = tile && width > 0 ? width / tile.w : 1;
  const tileStyle = tile && board
    ? {
        backgroundImage: `url("${tile.sprite}")`,
        backgroundSize: `${board.columns * board.width * scale}px ${board.rows * board.height * scale}px`,
        backgroundPosition: `${-tile.x * scale}px ${-tile.y * scale}px`,
      }
    : undefined;

  const watchHref = `/watch/${video.id}`;
  return (
    <article class={`video-card status-${video.status}`} data-video-id={video.id}>
      <Link
        href={watchHref}
        class="video-thumb-link"
        aria-label={`${video.title}, ${statusWords(video)}`}
        onFocus={start}
        onBlur={stop}
      >
        <div
          ref={thumb}
          class="video-thumb"
          onPointerEnter={start}
          onPointerLeave={stop}
          onPointerMove={scrub}
        >
          {video.playback?.poster ? (
            <img src={video.playback.poster} alt="" loading="lazy" decoding="async" />
          ) : (
            <div class="thumb-placeholder" aria-hidden="true">
              {video.audioOnly ? <AudioIcon /> : video.status === 'failed' ? <WarningIcon /> : <div class="spinner" />}
            </div>
          )}
          {tileStyle && <div class="storyboard-frame" style={tileStyle} data-testid="card-preview" />}
          {tile && board && (
            <div class="preview-progress" aria-hidden="true"><div style={{ width: `${((frame + 1) / board.tiles.length) * 100}%` }} /></div>
          )}
          {video.durationSec != null && <span class="duration-badge">{formatDuration(video.durationSec)}</span>}
          {video.status === 'processing' && (
            <div class="thumb-status">
              <span>{STAGE_LABELS[video.progress?.stage ?? 'queued']} · {Math.floor(video.progress?.percent ?? 0)}%</span>
              <div class="progress processing"><div style={{ width: `${video.progress?.percent ?? 0}%` }} /></div>
            </div>
          )}
        </div>
      </Link>
      <div class="video-info">
        <h2 class="video-title"><Link href={watchHref}>{video.title}</Link></h2>
        <div class="video-meta">
          <span class={`badge ${video.status}`}>{video.status === 'ready' ? 'Ready' : video.status === 'failed' ? 'Failed' : 'Processing'}</span>
          <span>{formatAge(video.createdAt)}</span>
          {video.renditions.length > 0 && <span>{topQuality(video)}</span>}
        </div>
        {video.status === 'failed' && video.error && <p class="video-error" title={video.error}>{video.error}</p>}
        {canEditVideo(user, video) && <div class="card-actions">
          <button type="button" class="button ghost small icon-button" aria-label={`Edit details of ${video.title}`} onClick={() => props.onEdit(video)}>
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path d="M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" /></svg>
          </button>
          <button type="button" class="button ghost small icon-button danger" aria-label={`Delete ${video.title}`} onClick={() => props.onDelete(video)}>
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path d="M5 7h14M10 7V5h4v2m-7 0 1 12h8l1-12" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" /></svg>
          </button>
        </div>}
      </div>
    </article>
  );
}

function topQuality(video: Video): string {
  const top = video.renditions.reduce((a, b) => (Math.min(b.width, b.height) > Math.min(a.width, a.height) ? b : a));
  const p = Math.min(top.width, top.height);
  return p >= 2160 ? '4K' : p >= 1440 ? '1440p' : `${p}p`;
}

function statusWords(video: Video): string {
  if (video.status === 'ready') return `${formatDuration(video.durationSec)} long`;
  if (video.status === 'failed') return 'processing failed';
  return `processing, ${Math.floor(video.progress?.percent ?? 0)} percent`;
}

function AudioIcon() {
  return <svg viewBox="0 0 24 24" width="40" height="40"><path d="M9 18V6l10-2v12M9 18a3 3 0 1 1-3-3 3 3 0 0 1 3 3zm10-2a3 3 0 1 1-3-3 3 3 0 0 1 3 3z" fill="none" stroke="currentColor" stroke-width="1.6" /></svg>;
}

function WarningIcon() {
  return <svg viewBox="0 0 24 24" width="40" height="40"><path d="M12 3 2 20h20zM12 10v4m0 3v.5" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round" /></svg>;
}
