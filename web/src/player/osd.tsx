/** A short-lived bubble confirming a keyboard action ("+10 s", "Volume 40%", "1.5×"), as YouTube does. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

const SHOW_MS = 800;

export function useOsd(): [message: { text: string; id: number } | null, show: (text: string) => void] {
  const [message, setMessage] = useState<{ text: string; id: number } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const show = useCallback((text: string) => {
    setMessage((previous) => ({ text, id: (previous?.id ?? 0) + 1 }));
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setMessage(null), SHOW_MS);
  }, []);
  useEffect(() => () => clearTimeout(timer.current), []);
  return [message, show];
}

/** Visual only: the player's live region announces what matters to screen-reader users. */
export function Osd(props: { message: { text: string; id: number } | null }) {
  if (!props.message) return null;
  return <div key={props.message.id} class="sf-osd" aria-hidden="true">{props.message.text}</div>;
}
