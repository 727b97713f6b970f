/**
 * The StreamForge HTTP API as the app uses it: typed fetch helpers and the JSON shapes of
 * src/videos/video-repository.ts (kept by hand; the server's tests pin those shapes).
 */

export type VideoStatus = 'processing' | 'ready' | 'failed';
export type VideoStage = 'queued' | 'probing' | 'analysing' | 'transcoding' | 'packaging' | 'ready' | 'failed';

export interface VideoProgress {
  stage: VideoStage;
  percent: number;
  etaMs: number | null;
}

export interface Rendition {
  name: string;
  width: number;
  height: number;
  fps: number;
  maxrateKbps: number;
}

export type Visibility = 'public' | 'unlisted' | 'private';

export interface Video {
  id: string;
  title: string;
  visibility: Visibility;
  ownerId: string | null;
  description: string;
  tags: string[];
  status: VideoStatus;
  error: string | null;
  progress: VideoProgress | null;
  durationSec: number | null;
  source: { name: string | null; bytes: number; container: string | null } | null;
  renditions: Rendition[];
  audioOnly: boolean;
  playback: { hls: string; dash: string; mp4: string | null; poster: string | null; storyboard: string | null } | null;
  subtitles?: Array<{ language: string; label: string; url: string }>;
  timeToPlayableMs: number | null;
  createdAt: string;
  readyAt: string | null;
}

export type SortOrder = 'newest' | 'oldest' | 'title' | 'duration';

export interface VideoList {
  videos: Video[];
  total: number;
  limit: number;
  offset: number;
}

/** An error response of the API: `{ error: { code, message } }`, or plain text from the tus endpoint. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export async function request<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, headers: { Accept: 'application/json', ...init?.headers } });
  if (!res.ok) throw await errorOf(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new ApiError(body.error.message, res.status, body.error.code ?? 'error');
  } catch {
    // not JSON
  }
  return new ApiError(text.trim() || `${res.status} ${res.statusText}`, res.status, 'http_error');
}

export function listVideos(options: { q?: string; status?: VideoStatus | ''; sort?: SortOrder; limit?: number; offset?: number }): Promise<VideoList> {
  const params = new URLSearchParams();
  if (options.q) params.set('q', options.q);
  if (options.status) params.set('status', options.status);
  if (options.sort) params.set('sort', options.sort);
  params.set('limit', String(options.limit ?? 100));
  if (options.offset) params.set('offset', String(options.offset));
  return request(`/api/videos?${params}`);
}

export function getVideo(id: string): Promise<Video> {
  return request(`/api/videos/${encodeURIComponent(id)}`);
}

export function updateVideo(id: string, changes: { title?: string; description?: string; tags?: string[]; visibility?: Visibility }): Promise<Video> {
  return request(`/api/videos/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(changes),
  });
}

export interface User {
  id: string;
  username: string;
  role: 'admin' | 'creator' | 'viewer';
}

/** The signed-in user (session cookie), or null. */
export async function currentUser(): Promise<User | null> {
  return (await request<{ user: User | null }>('/api/auth/me')).user;
}

export async function signIn(username: string, password: string): Promise<User> {
  const body = await request<{ user: User }>('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return body.user;
}

export function signOut(): Promise<void> {
  return request('/api/auth/logout', { method: 'POST' });
}

export function deleteVideo(id: string): Promise<void> {
  return request(`/api/videos/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** The storyboard index (storyboard.json beside storyboard.vtt; see src/pipeline/storyboard.ts). */
export interface Storyboard {
  intervalSec: number;
  width: number;
  height: number;
  columns: number;
  rows: number;
  sprites: string[];
  /** `sprite` is relative to the index's own URL. */
  tiles: Array<{ start: number; end: number; sprite: string; x: number; y: number; w: number; h: number }>;
}

/** The storyboard of a ready video, with each sprite resolved to an absolute URL; null when it has none. */
export async function getStoryboard(video: Video): Promise<Storyboard | null> {
  const vtt = video.playback?.storyboard;
  if (!vtt) return null;
  const indexUrl = new URL(vtt.replace(/\.vtt$/, '.json'), location.href);
  const board = await request<Storyboard>(indexUrl.href);
  return { ...board, tiles: board.tiles.map((t) => ({ ...t, sprite: new URL(t.sprite, indexUrl).href })) };
}

export function eventsUrl(id: string): string {
  return `/api/videos/${encodeURIComponent(id)}/events`;
}
