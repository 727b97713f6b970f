/**
 * Auto-hiding controls: "active" for a moment after each pointer move, tap, key or focus change in
 * the player, then idle. The player decides what idle hides (nothing while paused or a menu is open).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export function useIdle(timeoutMs: number): { idle: boolean; poke(): void; rest(): void } {
  const [idle, setIdle] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const poke = useCallback(() => {
    setIdle(false);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setIdle(true), timeoutMs);
  }, [timeoutMs]);
  const rest = useCallback(() => {
    clearTimeout(timer.current);
    setIdle(true);
  }, []);
  useEffect(() => () => clearTimeout(timer.current), []);
  return { idle, poke, rest };
}
