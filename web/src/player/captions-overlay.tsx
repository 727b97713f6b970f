/**
 * The captions, drawn by the player: bottom-centre lines on a dark box, sized to the player's
 * width, lifted above the control bar while it shows (where the browser's own rendering would sit
 * under it).
 */
export function CaptionsOverlay(props: { lines: string[]; lifted: boolean }) {
  if (props.lines.length === 0) return null;
  return (
    <div class={`sf-captions${props.lifted ? ' lifted' : ''}`} aria-hidden="true">
      {props.lines.map((line, i) => (
        <span key={i} class="sf-caption-line">{line}</span>
      ))}
    </div>
  );
}
