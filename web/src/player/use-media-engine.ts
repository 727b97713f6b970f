/**
 * Owns the engine's life: created when the media element and the stream URL are known, destroyed
 * when the URL (or the engine kind) changes or the player unmounts — and only then, so a fresh
 * `video` object (processing → ready) keeps playback going. `retry()` builds a new engine that
 * resumes where the failed one stopped.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  createMediaEngine,
  EMPTY_SNAPSHOT,
  UnsupportedBrowserError,
  type EngineError,
  type EngineKind,
  type EngineSnapshot,
  type MediaEngine,
} from './media-engine.js';

export interface EngineHandle {
  engine: MediaEngine | null;
  snapshot: EngineSnapshot;
  error: EngineError | null;
  retry(): void;
}

export function useMediaEngine(options: {
  media: HTMLVideoElement | null;
  kind: EngineKind;
  hlsUrl: string | null;
  dashUrl: string | null;
}): EngineHandle {
  const { media, kind, hlsUrl, dashUrl } = options;
  const [engine, setEngine] = useState<MediaEngine | null>(null);
  const [snapshot, setSnapshot] = useState<EngineSnapshot>(EMPTY_SNAPSHOT);
  const [error, setError] = useState<EngineError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const resume = useRef({ startSec: 0, play: false });

  useEffect(() => {
    if (!media || !hlsUrl || !dashUrl) return;
    let cancelled = false;
    let created: MediaEngine | null = null;
    let unsubscribe = () => {};
    const { startSec, play } = resume.current;
    resume.current = { startSec: 0, play: false };
    setError(null);
    createMediaEngine({
      media,
      kind,
      hlsUrl,
      dashUrl,
      startSec,
      onFatalError: (fatal) => {
        if (!cancelled) setError(fatal);
      },
    }).then(
      (instance) => {
        if (cancelled) {
          instance.destroy();
          return;
        }
        created = instance;
        unsubscribe = instance.subscribe(() => setSnapshot(instance.snapshot()));
        setSnapshot(instance.snapshot());
        setEngine(instance);
        if (play) media.play().catch(() => {});
      },
      (failure: unknown) => {
        if (cancelled) return;
        const unsupported = failure instanceof UnsupportedBrowserError;
        setError({
          kind: unsupported ? 'unsupported' : 'network',
          message: unsupported ? failure.message : 'The player could not start. Check your connection and try again.',
          detail: failure instanceof Error ? failure.message : String(failure),
        });
      },
    );
    return () => {
      cancelled = true;
      unsubscribe();
      created?.destroy();
      setEngine(null);
      setSnapshot(EMPTY_SNAPSHOT);
    };
  }, [media, kind, hlsUrl, dashUrl, attempt]);

  const retry = useCallback(() => {
    resume.current = { startSec: media?.currentTime ?? 0, play: true };
    setAttempt((n) => n + 1);
  }, [media]);

  return { engine, snapshot, error, retry };
}
