/**
 * Signed playback tokens, shaped like Mux's signed playback IDs: an HS256 JWT whose `sub` is the
 * video id, with an expiry and optionally the viewer (`viewer`, a user id, for the record) and the
 * client IP it is bound to (`ip`). One token authorises every file of that one video under /stream/
 * (manifests, segments, captions, storyboard, download, poster) and its image API — nothing else.
 */
import { signJwt, verifyJwt } from './signed-jwt.js';

const AUDIENCE = 'streamforge:playback';
/** Longest lifetime a token may be minted with (a week). */
export const MAX_PLAYBACK_TOKEN_TTL_SEC = 7 * 24 * 60 * 60;

export interface PlaybackGrant {
  videoId: string;
  /** Epoch ms. */
  expiresAtMs: number;
  /** Only requests from this address may use it. */
  ip?: string;
  viewer?: string;
}

export async function signPlaybackToken(options: {
  key: Uint8Array;
  videoId: string;
  expiresInSec: number;
  ip?: string;
  viewer?: string;
}): Promise<{ token: string; expiresAt: Date }> {
  const claims: Record<string, string> = {};
  if (options.ip) claims.ip = options.ip;
  if (options.viewer) claims.viewer = options.viewer;
  return signJwt({ key: options.key, audience: AUDIENCE, subject: options.videoId, expiresInSec: options.expiresInSec, claims });
}

/** What a valid token grants, or null (bad signature, expired, not a playback token, malformed). */
export async function verifyPlaybackToken(options: { key: Uint8Array; token: string }): Promise<PlaybackGrant | null> {
  const payload = await verifyJwt({ key: options.key, audience: AUDIENCE, token: options.token });
  if (typeof payload?.sub !== 'string' || typeof payload.exp !== 'number') return null;
  return {
    videoId: payload.sub,
    expiresAtMs: payload.exp * 1000,
    ...(typeof payload.ip === 'string' && { ip: payload.ip }),
    ...(typeof payload.viewer === 'string' && { viewer: payload.viewer }),
  };
}

/** True when `grant` covers `videoId` now, from `clientIp`. */
export function grantAllows(grant: PlaybackGrant, videoId: string, clientIp: string | undefined, nowMs = Date.now()): boolean {
  if (grant.videoId !== videoId || grant.expiresAtMs <= nowMs) return false;
  return grant.ip === undefined || grant.ip === normaliseIp(clientIp);
}

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) → `1.2.3.4`, so either spelling matches a claim. */
export function normaliseIp(ip: string | undefined): string | undefined {
  return ip?.startsWith('::ffff:') ? ip.slice(7) : ip;
}
