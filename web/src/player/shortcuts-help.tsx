/** The `?` overlay listing the keyboard shortcuts; Escape, the close button or `?` again dismiss it. */
import { useEffect, useRef } from 'preact/hooks';
import { Icon } from './icons.js';
import { SHORTCUT_HELP } from './keyboard.js';

export function ShortcutsHelp(props: { onClose(): void }) {
  const dialogRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    dialogRef.current?.focus();
    return () => previous?.focus();
  }, []);
  return (
    <div
      ref={dialogRef}
      class="sf-help"
      role="dialog"
      aria-label="Keyboard shortcuts"
      tabIndex={-1}
      onKeyDown={(event) => {
        if (event.key === 'Escape' || event.key === '?') {
          event.preventDefault();
          event.stopPropagation();
          props.onClose();
        }
      }}
    >
      <div class="sf-help-header">
        <h2>Keyboard shortcuts</h2>
        <button type="button" class="sf-button" aria-label="Close" onClick={props.onClose}>
          <Icon name="close" />
        </button>
      </div>
      <dl>
        {SHORTCUT_HELP.map((row) => (
          <div key={row.action} class="sf-help-row">
            <dt>{row.keys.map((key) => (key === '…' ? <span key={key}>…</span> : <kbd key={key}>{key}</kbd>))}</dt>
            <dd>{row.action}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
