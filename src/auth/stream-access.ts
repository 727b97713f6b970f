/**
 * Who may read a video's files under /stream/ (src/delivery/origin.ts asks before serving).
 *
 * Cheap for what is public: the visibility and owner of each video are held in memory, so a segment
 * of a public or unlisted video costs one Map lookup and a clock read. Entries are dropped when the
 * cache-invalidation bus announces `videos/<id>/` (a deletion, or a visibility change: videos.ts
 * publishes one, so every API process hears it) and are re-read after `ttlMs` in any case, which
 * bounds how long a missed announcement can matter.
 *
 * A private video's files need one of: a playback token for that video (playback-token.ts), or the
 * owner's / an admin's credentials (session cookie or bearer, authenticator.ts). The token travels
 * in a path prefix, `/stream/t/<token>/<id>/<version>/master.m3u8`, because every manifest names its
 * children by relative URI: hls.js, dash.js, Safari's native HLS and other players resolve them
 * against the manifest's URL, so segments, init segments, captions and renditions all inherit the
 * prefix — with no manifest rewriting, one cached copy of each file for every viewer, and nothing
 * lost where a player drops query strings. `?token=` is accepted as well, for single files (a
 * download, a poster, a caption file) linked directly, as Mux does.
 *
 * Refusals are 404s, the same as for a video that does not exist, so ids cannot be probed.
 */
import type { IncomingMessage } from 'node:http';
import { pathOf } from '../delivery/stream-path.js';
import type { VideoVisibility } from '../db/schema.js';
import type { Authenticator } from './authenticator.js';
import { grantAllows, normaliseIp, type PlaybackGrant, verifyPlaybackToken } from './playback-token.js';
import { canView } from './principal.js';

/** What the origin should serve: the path without any token, and whether the answer is private. */
export interface StreamAccessGrant {
  path: string;
  private: boolean;
}

export interface StreamAccessCheck {
  /** The grant, or null to answer 404; synchronous when the video's visibility is known and not private. */
  check(req: IncomingMessage, url: string): StreamAccessGrant | null | Promise<StreamAccessGrant | null>;
}

interface VideoAccessEntry {
  visibility: VideoVisibility;
  ownerId: string | null;
  expiresAtMs: number;
}

export interface StreamAccessOptions {
  /** Visibility and owner of a video, or null when there is none. */
  lookup(videoId: string): Promise<{ visibility: VideoVisibility; owner_id: string | null } | null>;
  authenticator: Authenticator;
  playbackKey: Uint8Array;
  urlPrefix?: string;
  /** How long a looked-up visibility is trusted without an announcement; default 30 s. */
  ttlMs?: number;
  /** How long "no such video" is remembered (ids are random: probing should not reach the database each time); default 1 s. */
  missingTtlMs?: number;
  /** Bounds on the memory of visibilities and verified tokens. */
  maxEntries?: number;
  /** The client's address for IP-bound tokens (client-ip.ts: behind a trusted proxy, not the peer's); default the peer's. */
  clientIp?: (req: IncomingMessage) => string | undefined;
}

const TOKEN_SEGMENT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const VIDEO_ID = /^[0-9A-Za-z]{12}$/;
const MAX_TOKEN_CHARS = 2048;

export class StreamAccess implements StreamAccessCheck {
  private readonly urlPrefix: string;
  private readonly tokenPrefix: string;
  private readonly ttlMs: number;
  private readonly missingTtlMs: number;
  private readonly maxEntries: number;
  private readonly entries = new Map<string, VideoAccessEntry | { missing: true; expiresAtMs: number }>();
  private readonly loading = new Map<string, Promise<VideoAccessEntry | null>>();
  private readonly grants = new Map<string, PlaybackGrant | null>();
  // Bumped by forget: a lookup that started before must not store what it read.
  private generation = 0;

  constructor(private readonly options: StreamAccessOptions) {
    this.urlPrefix = options.urlPrefix ?? '/stream/';
    this.tokenPrefix = `${this.urlPrefix}t/`;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.missingTtlMs = options.missingTtlMs ?? 1_000;
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  check(req: IncomingMessage, url: string): StreamAccessGrant | null | Promise<StreamAccessGrant | null> {
    let path = pathOf(url);
    let token: string | undefined;
    if (path.startsWith(this.tokenPrefix)) {
      const end = path.indexOf('/', this.tokenPrefix.length);
      if (end === -1) return null;
      token = path.slice(this.tokenPrefix.length, end);
      if (token.length > MAX_TOKEN_CHARS || !TOKEN_SEGMENT.test(token)) return null;
      path = this.urlPrefix + path.slice(end + 1);
    } else if (url.length !== path.length && url.includes('token=')) {
      token = new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('token') ?? undefined;
    }
    const idEnd = path.indexOf('/', this.urlPrefix.length);
    const videoId = path.slice(this.urlPrefix.length, idEnd === -1 ? undefined : idEnd);
    if (!VIDEO_ID.test(videoId)) return null;

    const known = this.entries.get(videoId);
    if (known !== undefined && known.expiresAtMs > Date.now()) {
      if ('missing' in known) return null;
      if (known.visibility !== 'private') return { path, private: false };
      return this.checkPrivate(req, videoId, known, path, token);
    }
    return this.load(videoId).then((entry) => {
      if (entry === null) return null;
      if (entry.visibility !== 'private') return { path, private: false };
      return this.checkPrivate(req, videoId, entry, path, token);
    });
  }

  /** Forgets what is known of videos under a blob prefix (`videos/<id>/`); `''` forgets everything. */
  forget(keyPrefix: string): void {
    this.generation++;
    this.loading.clear();
    const match = /^videos\/([0-9A-Za-z]{12})\//.exec(keyPrefix);
    if (match) this.entries.delete(match[1]!);
    else if (keyPrefix === '' || 'videos/'.startsWith(keyPrefix)) this.entries.clear();
  }

  private async checkPrivate(
    req: IncomingMessage,
    videoId: string,
    entry: VideoAccessEntry,
    path: string,
    token: string | undefined,
  ): Promise<StreamAccessGrant | null> {
    if (token !== undefined) {
      const grant = await this.grantOf(token);
      if (grant !== null && grantAllows(grant, videoId, this.options.clientIp?.(req) ?? normaliseIp(req.socket.remoteAddress))) return { path, private: true };
    }
    if (req.headers.authorization === undefined && req.headers.cookie === undefined) return null;
    const auth = await this.options.authenticator.authenticate(req.headers);
    if (!('principal' in auth)) return null;
    return canView(auth.principal, { visibility: entry.visibility, owner_id: entry.ownerId }) ? { path, private: true } : null;
  }

  /** A token is verified once: every later segment request with it is a Map lookup. */
  private async grantOf(token: string): Promise<PlaybackGrant | null> {
    const cached = this.grants.get(token);
    if (cached !== undefined) return cached;
    const grant = await verifyPlaybackToken({ key: this.options.playbackKey, token });
    if (this.grants.size >= this.maxEntries) this.grants.clear();
    this.grants.set(token, grant);
    return grant;
  }

  private load(videoId: string): Promise<VideoAccessEntry | null> {
    let pending = this.loading.get(videoId);
    if (pending === undefined) {
      const startedAt = this.generation;
      pending = this.options.lookup(videoId).then(
        (row) => {
          if (this.loading.get(videoId) === pending) this.loading.delete(videoId);
          const store = startedAt === this.generation;
          if (store && this.entries.size >= this.maxEntries) this.entries.clear();
          if (row === null) {
            if (store) this.entries.set(videoId, { missing: true, expiresAtMs: Date.now() + this.missingTtlMs });
            return null;
          }
          const entry = { visibility: row.visibility, ownerId: row.owner_id, expiresAtMs: Date.now() + this.ttlMs };
          if (store) this.entries.set(videoId, entry);
          return entry;
        },
        (err: unknown) => {
          if (this.loading.get(videoId) === pending) this.loading.delete(videoId);
          throw err;
        },
      );
      this.loading.set(videoId, pending);
    }
    return pending;
  }
}
