/**
 * The library: every video as a card, searchable, filterable by status and sortable; edit and
 * delete from the card. While any listed video is processing the list refreshes every few
 * seconds (one request for the whole grid, not one event stream per card: browsers allow six
 * connections per host).
 */
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ApiError, listVideos, type SortOrder, type Video, type VideoStatus } from '../api.js';
import { DeleteVideoDialog, EditVideoDialog } from './EditVideoDialog.js';
import { VideoCard } from './VideoCard.js';
import './library.css';

const REFRESH_MS = 3000;
const SEARCH_DEBOUNCE_MS = 250;

export function LibraryPage() {
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<VideoStatus | ''>('');
  const [sort, setSort] = useState<SortOrder>('newest');
  const [videos, setVideos] = useState<Video[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Video | null>(null);
  const [deleting, setDeleting] = useState<Video | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const timer = setTimeout(() => setSearch(query.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [query]);

  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const list = await listVideos({ q: search, status, sort });
        if (!alive) return;
        setVideos(list.videos);
        setTotal(list.total);
        setError(null);
        if (list.videos.some((v) => v.status === 'processing')) timer = setTimeout(load, REFRESH_MS);
      } catch (err) {
        if (!alive) return;
        setError(err instanceof ApiError ? err.message : 'The server cannot be reached. Retrying…');
        timer = setTimeout(load, REFRESH_MS);
      }
    };
    void load();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [search, status, sort, reload]);

  const filtered = search !== '' || status !== '';
  return (
    <section class="page library-page">
      <div class="page-header">
        <div>
          <h1>Library</h1>
          <p aria-live="polite">{videos === null ? 'Loading…' : `${total} ${total === 1 ? 'video' : 'videos'}${filtered ? ' match' : ''}`}</p>
        </div>
        <div class="library-toolbar" role="search">
          <label class="toolbar-search">
            <span class="visually-hidden">Search videos</span>
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><circle cx="11" cy="11" r="7" fill="none" stroke="currentColor" stroke-width="2" /><path d="m20 20-4-4" stroke="currentColor" stroke-width="2" stroke-linecap="round" /></svg>
            <input type="search" placeholder="Search title, description, tags" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
          </label>
          <label>
            <span class="visually-hidden">Status</span>
            <select value={status} onChange={(e) => setStatus(e.currentTarget.value as VideoStatus | '')}>
              <option value="">All statuses</option>
              <option value="ready">Ready</option>
              <option value="processing">Processing</option>
              <option value="failed">Failed</option>
            </select>
          </label>
          <label>
            <span class="visually-hidden">Sort by</span>
            <select value={sort} onChange={(e) => setSort(e.currentTarget.value as SortOrder)}>
              <option value="newest">Newest first</option>
              <option value="oldest">Oldest first</option>
              <option value="title">Title A–Z</option>
              <option value="duration">Longest first</option>
            </select>
          </label>
        </div>
      </div>

      {error && <p class="error-banner" role="alert">{error}</p>}

      {videos !== null && videos.length === 0 && !filtered && (
        <div class="empty-state">
          <svg viewBox="0 0 48 48" width="64" height="64" aria-hidden="true"><rect x="4" y="10" width="40" height="28" rx="6" fill="none" stroke="currentColor" stroke-width="2" /><path d="M20 18v12l10-6z" fill="currentColor" /></svg>
          <h2>No videos yet</h2>
          <p>Upload your first video: it will be ready to stream on any device in minutes.</p>
          <Link href="/upload" class="button primary">Upload a video</Link>
        </div>
      )}
      {videos !== null && videos.length === 0 && filtered && (
        <div class="empty-state"><h2>No videos match</h2><p>Try another search or status.</p></div>
      )}

      {videos !== null && videos.length > 0 && (
        <div class="video-grid">
          {videos.map((video) => (
            <VideoCard key={video.id} video={video} onEdit={setEditing} onDelete={setDeleting} />
          ))}
        </div>
      )}

      <EditVideoDialog
        video={editing}
        onClose={() => setEditing(null)}
        onSaved={(saved) => {
          setVideos((list) => list?.map((v) => (v.id === saved.id ? saved : v)) ?? null);
          setReload((n) => n + 1);
        }}
      />
      <DeleteVideoDialog
        video={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={(id) => {
          setVideos((list) => list?.filter((v) => v.id !== id) ?? null);
          setTotal((n) => Math.max(0, n - 1));
        }}
      />
    </section>
  );
}
