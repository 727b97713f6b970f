/**
 * A menu button with a single-choice menu, after the WAI-ARIA "menu button" pattern: the button
 * opens the menu (click, Enter, Space, ↓ or ↑) and focus moves to the checked item; ↑/↓/Home/End
 * move between items; Enter/Space/click choose and close; Escape closes and gives focus back to the
 * button; Tab or a click outside closes. The player keeps at most one menu open.
 */
import type { ComponentChildren } from 'preact';
import { useId, useLayoutEffect, useRef } from 'preact/hooks';

export interface MenuItem<T> {
  value: T;
  label: string;
  /** Small text after the label ("HD", "Normal"). */
  hint?: string;
}

export interface MenuProps<T> {
  /** The button's aria-label and the menu's name. */
  label: string;
  /** Heading shown at the top of the open menu. */
  title: string;
  icon: ComponentChildren;
  /** Extra class on the button (e.g. for a badge or the "on" state). */
  buttonClass?: string;
  items: Array<MenuItem<T>>;
  selected: T;
  open: boolean;
  onOpenChange(open: boolean): void;
  onSelect(value: T): void;
}

export function Menu<T>(props: MenuProps<T>) {
  const { open, onOpenChange } = props;
  const menuId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const focusOnOpen = useRef<'checked' | 'last'>('checked');
  // The owner passes a fresh callback on every render (the player re-renders as the video plays);
  // the effect below must run when the menu opens, not on each of those renders.
  const onOpenChangeRef = useRef(onOpenChange);
  onOpenChangeRef.current = onOpenChange;

  const items = () => Array.from(menuRef.current?.querySelectorAll<HTMLButtonElement>('[role="menuitemradio"]') ?? []);

  // A layout effect: focus is in the menu as soon as it is on screen, before the next key press.
  useLayoutEffect(() => {
    if (!open) return;
    const list = items();
    const checked = list.find((item) => item.getAttribute('aria-checked') === 'true');
    (focusOnOpen.current === 'last' ? list.at(-1) : checked ?? list[0])?.focus();
    focusOnOpen.current = 'checked';
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!menuRef.current?.contains(target) && !buttonRef.current?.contains(target)) onOpenChangeRef.current(false);
    };
    document.addEventListener('pointerdown', onPointerDown, true);
    return () => document.removeEventListener('pointerdown', onPointerDown, true);
  }, [open]);

  const close = (returnFocus: boolean) => {
    onOpenChange(false);
    if (returnFocus) buttonRef.current?.focus();
  };

  const onButtonKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && open) {
      event.preventDefault();
      onOpenChange(false);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      focusOnOpen.current = event.key === 'ArrowUp' ? 'last' : 'checked';
      onOpenChange(true);
    }
  };

  const onMenuKeyDown = (event: KeyboardEvent) => {
    const list = items();
    const at = list.indexOf(document.activeElement as HTMLButtonElement);
    const move = (index: number) => list[(index + list.length) % list.length]?.focus();
    switch (event.key) {
      case 'ArrowDown': move(at + 1); break;
      case 'ArrowUp': move(at - 1); break;
      case 'Home': move(0); break;
      case 'End': move(list.length - 1); break;
      case 'Escape': close(true); break;
      case 'Tab': close(false); return;
      default: return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        class={`sf-button${props.buttonClass ? ` ${props.buttonClass}` : ''}`}
        aria-label={props.label}
        title={props.label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => onOpenChange(!open)}
        onKeyDown={onButtonKeyDown}
      >
        {props.icon}
      </button>
      {open && (
        <div ref={menuRef} id={menuId} class="sf-menu" role="menu" aria-label={props.label} onKeyDown={onMenuKeyDown}>
          <div class="sf-menu-title" aria-hidden="true">{props.title}</div>
          {props.items.map((item) => {
            const checked = item.value === props.selected;
            return (
              <button
                key={String(item.value)}
                type="button"
                role="menuitemradio"
                aria-checked={checked}
                tabIndex={-1}
                class="sf-menu-item"
                onClick={() => {
                  props.onSelect(item.value);
                  close(true);
                }}
              >
                <svg class="sf-check" viewBox="0 0 24 24" aria-hidden="true"><path d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z" /></svg>
                <span class="sf-menu-label">{item.label}</span>
                {item.hint && <span class="sf-menu-hint" aria-hidden="true">{item.hint}</span>}
              </button>
            );
          })}
        </div>
      )}
    </>
  );
}
