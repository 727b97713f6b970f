/** Mute button and volume slider (a native range input: keyboard and screen readers for free). */
import { Icon } from './icons.js';

export function VolumeControl(props: {
  volume: number;
  muted: boolean;
  onToggleMute(): void;
  onVolume(volume: number): void;
}) {
  const silent = props.muted || props.volume === 0;
  const shown = silent ? 0 : props.volume;
  return (
    <div class="sf-volume">
      <button
        type="button"
        class="sf-button"
        aria-label={silent ? 'Unmute' : 'Mute'}
        title={silent ? 'Unmute (m)' : 'Mute (m)'}
        onClick={props.onToggleMute}
      >
        <Icon name={silent ? 'volumeOff' : props.volume < 0.5 ? 'volumeLow' : 'volumeHigh'} />
      </button>
      <input
        class="sf-volume-slider"
        type="range"
        min={0}
        max={1}
        step={0.05}
        value={shown}
        aria-label="Volume"
        aria-valuetext={`${Math.round(shown * 100)}%`}
        style={{ '--sf-fill': `${shown * 100}%` }}
        onInput={(event) => props.onVolume(Number((event.target as HTMLInputElement).value))}
      />
    </div>
  );
}
