/**
 * Keyboard shortcuts, YouTube's set: they act while focus is in the player, and step aside for
 * whatever the focused element does with the key itself (a button's Space/Enter, a range input's
 * arrows, a menu's navigation, text fields entirely).
 */

export interface ShortcutActions {
  togglePlay(): void;
  seekBy(deltaSec: number): void;
  seekToFraction(fraction: number): void;
  seekToStart(): void;
  seekToEnd(): void;
  changeVolume(delta: number): void;
  toggleMute(): void;
  toggleFullscreen(): void;
  toggleCaptions(): void;
  changeSpeed(direction: 1 | -1): void;
  showShortcuts(): void;
}

/** For the `?` overlay. */
export const SHORTCUT_HELP: Array<{ keys: string[]; action: string }> = [
  { keys: ['Space', 'K'], action: 'Play / pause' },
  { keys: ['J', 'L'], action: 'Back / forward 10 seconds' },
  { keys: ['←', '→'], action: 'Back / forward 5 seconds' },
  { keys: ['↑', '↓'], action: 'Volume up / down' },
  { keys: ['M'], action: 'Mute / unmute' },
  { keys: ['F'], action: 'Full screen' },
  { keys: ['C'], action: 'Captions on / off' },
  { keys: ['0', '…', '9'], action: 'Jump to 0 % … 90 %' },
  { keys: ['Home', 'End'], action: 'Jump to start / end' },
  { keys: ['Shift', '.'], action: 'Faster' },
  { keys: ['Shift', ','], action: 'Slower' },
  { keys: ['?'], action: 'Show these shortcuts' },
];

const SEEK_SHORT_SEC = 5;
const SEEK_LONG_SEC = 10;
const VOLUME_STEP = 0.05;
const NAVIGATION_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown']);

/** Whether the focused element needs `key` for itself. */
function ownsKey(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof Element)) return false;
  if (target.closest('[role="menu"], [role="dialog"]')) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLElement && target.isContentEditable) return true;
  if (target instanceof HTMLInputElement) {
    return target.type === 'range' ? NAVIGATION_KEYS.has(key) : true;
  }
  if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement) return key === ' ' || key === 'Enter';
  return false;
}

/** Runs the shortcut for `event`, if any; returns whether it did (the caller then prevents the default). */
export function handleShortcut(event: KeyboardEvent, actions: ShortcutActions): boolean {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return false;
  if (ownsKey(event.target, event.key)) return false;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  // Shift+. and Shift+, by position too, for layouts where they do not type > and <.
  if (event.shiftKey && (event.code === 'Period' || event.code === 'Comma') && key !== '?') {
    actions.changeSpeed(event.code === 'Period' ? 1 : -1);
    return true;
  }
  switch (key) {
    case ' ':
    case 'k': actions.togglePlay(); return true;
    case 'j': actions.seekBy(-SEEK_LONG_SEC); return true;
    case 'l': actions.seekBy(SEEK_LONG_SEC); return true;
    case 'ArrowLeft': actions.seekBy(-SEEK_SHORT_SEC); return true;
    case 'ArrowRight': actions.seekBy(SEEK_SHORT_SEC); return true;
    case 'ArrowUp': actions.changeVolume(VOLUME_STEP); return true;
    case 'ArrowDown': actions.changeVolume(-VOLUME_STEP); return true;
    case 'm': actions.toggleMute(); return true;
    case 'f': actions.toggleFullscreen(); return true;
    case 'c': actions.toggleCaptions(); return true;
    case 'Home': actions.seekToStart(); return true;
    case 'End': actions.seekToEnd(); return true;
    case '>': actions.changeSpeed(1); return true;
    case '<': actions.changeSpeed(-1); return true;
    case '?': actions.showShortcuts(); return true;
  }
  if (/^[0-9]$/.test(key)) {
    actions.seekToFraction(Number(key) / 10);
    return true;
  }
  return false;
}
