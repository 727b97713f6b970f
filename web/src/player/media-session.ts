/**
 * The operating system's media controls (lock screen, hardware keys, notification): title and
 * poster, and play/pause/seek handlers that drive the same actions as the player's own buttons.
 */
import { useEffect, useRef } from 'preact/hooks';

export interface MediaSessionActions {
  play(): void;
  pause(): void;
  seekBy(deltaSec: number): void;
  seekTo(timeSec: number): void;
}

export function useMediaSession(options: { title: string; poster: string | null; actions: MediaSessionActions }): void {
  const { title, poster } = options;
  // Handlers call the latest actions, so they are registered once per title, not once per render.
  const latest = useRef(options.actions);
  latest.current = options.actions;
  useEffect(() => {
    if (!('mediaSession' in navigator) || typeof MediaMetadata !== 'function') return;
    const session = navigator.mediaSession;
    session.metadata = new MediaMetadata({ title, artwork: poster ? [{ src: new URL(poster, location.href).href }] : [] });
    const handlers: Array<[MediaSessionAction, MediaSessionActionHandler]> = [
      ['play', () => latest.current.play()],
      ['pause', () => latest.current.pause()],
      ['seekbackward', (details) => latest.current.seekBy(-(details.seekOffset ?? 10))],
      ['seekforward', (details) => latest.current.seekBy(details.seekOffset ?? 10)],
      ['seekto', (details) => details.seekTime != null && latest.current.seekTo(details.seekTime)],
    ];
    const register = (action: MediaSessionAction, handler: MediaSessionActionHandler | null) => {
      try {
        session.setActionHandler(action, handler);
      } catch {
        // This browser does not know the action.
      }
    };
    for (const [action, handler] of handlers) register(action, handler);
    return () => {
      session.metadata = null;
      for (const [action] of handlers) register(action, null);
    };
  }, [title, poster]);
}
