/**
 * The watch page: the player, then the video's title, details and actions. A video still being
 * transcoded plays as soon as its first segments exist; the page follows its processing over
 * Server-Sent Events and swaps in the final state without interrupting playback.
 */
import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { ApiError, eventsUrl, getVideo, type Video, type VideoProgress } from '../api.js';
import { canEditVideo, useSession } from '../app/session.js';
import { formatAge, formatBytes, formatDuration, formatEta, STAGE_LABELS } from '../format.js';
import { DeleteVideoDialog, EditVideoDialog } from '../library/EditVideoDialog.js';
import { Player } from '../player/Player.js';
import './watch.css';

export function WatchPage(props: { id: string }) {
  const { user } = useSession();
  const [video, setVideo] = useState<Video | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [, navigate] = useLocation();
  const engine = new URLSearchParams(location.search).get('player') === 'dash' ? 'dash' : 'hls';

  useEffect(() => {
    let alive = true;
    setVideo(null);
    setError(null);
    getVideo(props.id).then(
      (v) => alive && setVideo(v),
      (err: unknown) => alive && setError(err instanceof ApiError ? { status: err.status, message: err.message } : { status: 0, message: 'The server cannot be reached.' }),
    );
    return () => {
      alive = false;
    };
  }, [props.id]);

  const processing = video?.status === 'processing';
  useEffect(() => {
    if (!processing) return;
    const events = new EventSource(eventsUrl(props.id));
    const refresh = () => void getVideo(props.id).then(setVideo, () => {});
    events.addEventListener('progress', (e) => {
      const progress = JSON.parse((e as MessageEvent<string>).data) as VideoProgress;
      setVideo((v) => (v ? { ...v, progress } : v));
    });
    events.addEventListener('playable', refresh);
    const finish = (e: Event) => {
      events.close();
      setVideo(JSON.parse((e as MessageEvent<string>).data) as Video);
    };
    events.addEventListener('ready', finish);
    events.addEventListener('failed', finish);
    return () => events.close();
  }, [props.id, processing]);

  useEffect(() => {
    document.title = video ? `${video.title} · StreamForge` : 'StreamForge';
  }, [video?.title]);

  if (error) {
    return (
      <section class="page empty-state">
        <h1>{error.status === 404 ? 'Video not found' : 'Could not load this video'}</h1>
        <p>{error.status === 404 ? 'It may have been deleted.' : error.message}</p>
        <Link href="/" class="button">Back to the library</Link>
      </section>
    );
  }
  if (!video) {
    return <section class="page watch-page" aria-busy="true"><div class="player-skeleton" /></section>;
  }

  return (
    <section class="page watch-page">
      <div class="watch-stage">
        {video.playback ? (
          <Player video={video} engine={engine} />
        ) : (
          <div class={`player-placeholder ${video.status}`} role="status">
            {video.status === 'failed' ? (
              <>
                <h2>This video could not be processed</h2>
                <p>{video.error}</p>
              </>
            ) : (
              <>
                <div class="spinner" aria-hidden="true" />
                <h2>Getting your video ready</h2>
                <p>{progressText(video.progress)}</p>
                <p class="muted">It starts playing here as soon as the first seconds are transcoded.</p>
              </>
            )}
          </div>
        )}
      </div>

      <div class="watch-details">
        <div class="watch-heading">
          <h1>{video.title}</h1>
          <div class="watch-actions">
            {video.playback?.mp4 && (
              <a class="button small" href={video.playback.mp4} download={`${video.title}.${video.audioOnly ? 'm4a' : 'mp4'}`}>Download</a>
            )}
            {canEditVideo(user, video) && (
              <>
                <button type="button" class="button small" onClick={() => setEditing(true)}>Edit details</button>
                <button type="button" class="button small ghost danger" onClick={() => setDeleting(true)}>Delete</button>
              </>
            )}
          </div>
        </div>
        <div class="watch-meta">
          <span class={`badge ${video.status}`}>{video.status === 'ready' ? 'Ready' : video.status === 'failed' ? 'Failed' : 'Processing'}</span>
          {video.status === 'processing' && <span role="status">{progressText(video.progress)}</span>}
          {video.durationSec != null && <span>{formatDuration(video.durationSec)}</span>}
          <span>Uploaded {formatAge(video.createdAt)}</span>
          {video.renditions.length > 0 && <span>{video.renditions.length} qualities up to {Math.min(video.renditions[0]!.width, video.renditions[0]!.height)}p</span>}
          {video.source && <span>Original {formatBytes(video.source.bytes)}</span>}
          {video.timeToPlayableMs != null && <span>Playable {(video.timeToPlayableMs / 1000).toFixed(1)} s after upload</span>}
        </div>
        {video.tags.length > 0 && (
          <ul class="tags" aria-label="Tags">{video.tags.map((t) => <li class="tag" key={t}>{t}</li>)}</ul>
        )}
        {video.description ? <p class="watch-description">{video.description}</p> : null}
      </div>

      <EditVideoDialog video={editing ? video : null} onClose={() => setEditing(false)} onSaved={setVideo} />
      <DeleteVideoDialog video={deleting ? video : null} onClose={() => setDeleting(false)} onDeleted={() => navigate('/')} />
    </section>
  );
}

function progressText(progress: VideoProgress | null): string {
  if (!progress) return 'Queued';
  const eta = progress.etaMs != null && progress.etaMs > 0 ? ` · ${formatEta(progress.etaMs)}` : '';
  return `${STAGE_LABELS[progress.stage] ?? progress.stage} · ${Math.floor(progress.percent)}%${eta}`;
}
