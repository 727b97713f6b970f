/**
 * Full screen for the player's container (so the custom controls come along), with the prefixed
 * WebKit API for Safari and, on iPhone where only a <video> may go full screen, the element's own.
 */
import type { RefObject } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';

interface WebKitDocument {
  webkitFullscreenElement?: Element | null;
  webkitExitFullscreen?: () => void;
}
interface WebKitElement {
  webkitRequestFullscreen?: () => void;
}
interface WebKitVideo {
  webkitEnterFullscreen?: () => void;
}

function fullscreenElement(): Element | null {
  return document.fullscreenElement ?? (document as WebKitDocument).webkitFullscreenElement ?? null;
}

export function useFullscreen(container: RefObject<HTMLElement>, media: HTMLVideoElement | null): { active: boolean; toggle(): void } {
  const [active, setActive] = useState(false);

  useEffect(() => {
    const onChange = () => setActive(fullscreenElement() !== null && fullscreenElement() === container.current);
    document.addEventListener('fullscreenchange', onChange);
    document.addEventListener('webkitfullscreenchange', onChange);
    return () => {
      document.removeEventListener('fullscreenchange', onChange);
      document.removeEventListener('webkitfullscreenchange', onChange);
    };
  }, [container]);

  const toggle = useCallback(() => {
    const element = container.current;
    if (!element) return;
    if (fullscreenElement()) {
      const doc = document as Document & WebKitDocument;
      if (doc.exitFullscreen) doc.exitFullscreen().catch(() => {});
      else doc.webkitExitFullscreen?.();
      return;
    }
    if (element.requestFullscreen) {
      element.requestFullscreen({ navigationUI: 'hide' }).catch(() => {});
    } else if ((element as WebKitElement).webkitRequestFullscreen) {
      (element as WebKitElement).webkitRequestFullscreen!();
    } else {
      (media as (HTMLVideoElement & WebKitVideo) | null)?.webkitEnterFullscreen?.();
    }
  }, [container, media]);

  return { active, toggle };
}
