/**
 * Who is asking, and what that lets them do with a video. Anonymous callers are `null`. The rules:
 * public and unlisted videos are watched by anyone (unlisted ones are not listed); private ones by
 * their owner and admins (and, on the stream path, by holders of a playback token for them);
 * creators upload and edit their own videos, admins everything.
 */
import type { Role, VideoRow, VideoVisibility } from '../db/schema.js';

export interface Principal {
  userId: string;
  username: string;
  role: Role;
  /** How the caller proved who they are: a session cookie needs CSRF checks, the others do not. */
  via: 'session' | 'access-token' | 'api-key' | 'bootstrap-key';
  /** The API key used (via `api-key`): rate limits count per key, not per user. */
  apiKeyId?: string;
}

type VideoAccessFields = Pick<VideoRow, 'owner_id'> & { visibility: VideoVisibility };

export function isAdmin(principal: Principal | null): boolean {
  return principal?.role === 'admin';
}

export function canUpload(principal: Principal | null): boolean {
  return principal?.role === 'admin' || principal?.role === 'creator';
}

export function isOwner(principal: Principal | null, video: VideoAccessFields): boolean {
  return principal !== null && video.owner_id !== null && video.owner_id === principal.userId;
}

export function canView(principal: Principal | null, video: VideoAccessFields): boolean {
  return video.visibility !== 'private' || isAdmin(principal) || isOwner(principal, video);
}

/** Edit details and visibility, delete, re-run stages, mint playback tokens. */
export function canEdit(principal: Principal | null, video: VideoAccessFields): boolean {
  return isAdmin(principal) || (principal?.role === 'creator' && isOwner(principal, video));
}
