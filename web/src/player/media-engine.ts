/**
 * One small interface over the streaming engines the player can drive: hls.js (the default),
 * dash.js (`?player=dash`) and the browser's own HLS (Safari/iOS without Media Source Extensions).
 * The UI only ever sees `MediaEngine`: the quality levels, which one plays, the text tracks, and a
 * fatal error when the engine gives up. Each engine is loaded with a dynamic `import()`, so the
 * app's main bundle carries neither hls.js nor dash.js.
 *
 * Shape borrowed from hls.js itself (`levels`, `currentLevel`, `autoLevelEnabled`,
 * `subtitleTracks`), which is the vocabulary most web players settled on.
 */

export type EngineKind = 'hls' | 'dash';

/** One rung of the ladder as the engine sees it. `index` is the engine's own index for it. */
export interface QualityLevel {
  index: number;
  width: number;
  height: number;
  bitrateKbps: number;
  /** "720p": named by the short side, like the ladder's rungs (a portrait 720x1280 is 720p too). */
  label: string;
}

export interface TextTrackOption {
  index: number;
  label: string;
  language: string;
}

export interface EngineSnapshot {
  /** Highest first. Empty until the manifest is parsed (and for audio-only streams). */
  levels: QualityLevel[];
  /** True when the engine picks the level (adaptive bit rate); false when the viewer locked one. */
  autoLevel: boolean;
  /** The level on screen now (engine index), or -1 before the first one plays. */
  playingLevel: number;
  /** The level the viewer locked, or -1 for automatic. */
  selectedLevel: number;
  textTracks: TextTrackOption[];
  /** The text track shown, or -1 for none. */
  textTrack: number;
  /**
   * The captions to show now: the active cues of the shown track, as plain text. The player draws
   * them itself (captions-overlay.tsx) rather than letting the browser do it, so they move above
   * the controls when those show and look the same whatever the engine.
   */
  captions: string[];
}

export type EngineErrorKind = 'network' | 'media' | 'unsupported';

/** A failure the engine could not recover from: playback has stopped. */
export interface EngineError {
  kind: EngineErrorKind;
  /** For the viewer. */
  message: string;
  /** For a bug report: the engine's own error code or details. */
  detail: string;
}

export interface MediaEngine {
  readonly kind: EngineKind | 'native';
  snapshot(): EngineSnapshot;
  /** Calls `listener` after every snapshot change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Locks a level (an index from `levels`), or returns to automatic with -1. */
  setLevel(index: number): void;
  /** Shows a text track (an index from `textTracks`), or none with -1. */
  setTextTrack(index: number): void;
  /** Detaches from the media element and releases every buffer and request. */
  destroy(): void;
}

export interface EngineOptions {
  media: HTMLVideoElement;
  kind: EngineKind;
  hlsUrl: string;
  dashUrl: string;
  /** Seconds to start from: 0 for a fresh load (also for a growing EVENT playlist), or where a retry resumes. */
  startSec: number;
  onFatalError(error: EngineError): void;
}

export const EMPTY_SNAPSHOT: EngineSnapshot = {
  levels: [],
  autoLevel: true,
  playingLevel: -1,
  selectedLevel: -1,
  textTracks: [],
  textTrack: -1,
  captions: [],
};

function canUseMediaSource(): boolean {
  return typeof window.MediaSource === 'function' || 'ManagedMediaSource' in window;
}

/** The engine for `kind`, or the browser's own HLS where Media Source Extensions are missing. */
export async function createMediaEngine(options: EngineOptions): Promise<MediaEngine> {
  if (canUseMediaSource()) {
    if (options.kind === 'dash') {
      const { DashEngine } = await import('./dash-engine.js');
      return DashEngine.create(options);
    }
    const { HlsEngine } = await import('./hls-engine.js');
    if (HlsEngine.isSupported()) return new HlsEngine(options);
  }
  const { NativeEngine } = await import('./native-engine.js');
  if (NativeEngine.canPlayHls(options.media)) return new NativeEngine(options);
  throw new UnsupportedBrowserError();
}

export class UnsupportedBrowserError extends Error {
  constructor() {
    super('This browser cannot play adaptive video streams.');
    this.name = 'UnsupportedBrowserError';
  }
}

/** "720p" for a 1280x720 or a 720x1280 picture. */
export function levelLabel(width: number, height: number): string {
  const shortSide = width > 0 && height > 0 ? Math.min(width, height) : height;
  return shortSide > 0 ? `${shortSide}p` : 'Audio';
}

/** Highest resolution first, then highest bit rate. */
export function sortLevels(levels: QualityLevel[]): QualityLevel[] {
  return [...levels].sort((a, b) => b.height * b.width - a.height * a.width || b.bitrateKbps - a.bitrateKbps);
}
