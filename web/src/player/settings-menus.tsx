/**
 * The three choices the control bar offers, each a `Menu`: quality ("Auto (720p)" and one item per
 * rung), playback speed, and captions (only when the stream has text tracks).
 */
import type { EngineSnapshot } from './media-engine.js';
import { Icon } from './icons.js';
import { Menu, type MenuItem } from './menu.js';

export type MenuName = 'quality' | 'speed' | 'captions';

export const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2] as const;

interface MenuState {
  open: MenuName | null;
  onOpenChange(name: MenuName, open: boolean): void;
}

/** "HD" from 720p, "4K" from 2160p, as the badge on the quality button and in the list. */
function definitionBadge(shortSide: number): string | undefined {
  if (shortSide >= 2160) return '4K';
  if (shortSide >= 720) return 'HD';
  return undefined;
}

/** "Auto (720p)" while the engine picks, naming the rung it picked; plain "Auto" while one is locked. */
export function autoQualityLabel(snapshot: EngineSnapshot): string {
  const playing = snapshot.levels.find((level) => level.index === snapshot.playingLevel);
  return snapshot.autoLevel && playing ? `Auto (${playing.label})` : 'Auto';
}

export function QualityMenu(props: MenuState & { snapshot: EngineSnapshot; onSelect(index: number): void }) {
  const { snapshot } = props;
  const items: Array<MenuItem<number>> = snapshot.levels.map((level) => ({
    value: level.index,
    label: level.label,
    hint: definitionBadge(Math.min(level.width, level.height)),
  }));
  items.push({ value: -1, label: autoQualityLabel(snapshot) });
  const playing = snapshot.levels.find((level) => level.index === snapshot.playingLevel);
  const badge = playing ? definitionBadge(Math.min(playing.width, playing.height)) : undefined;
  return (
    <Menu
      label="Quality"
      title="Quality"
      icon={<>
        <Icon name="settings" />
        {badge && <span class="sf-badge" aria-hidden="true">{badge}</span>}
      </>}
      items={items}
      selected={snapshot.autoLevel ? -1 : snapshot.selectedLevel}
      open={props.open === 'quality'}
      onOpenChange={(open) => props.onOpenChange('quality', open)}
      onSelect={props.onSelect}
    />
  );
}

export function speedLabel(rate: number): string {
  return rate === 1 ? 'Normal' : `${rate}×`;
}

export function SpeedMenu(props: MenuState & { rate: number; onSelect(rate: number): void }) {
  return (
    <Menu
      label="Playback speed"
      title="Playback speed"
      buttonClass={props.rate !== 1 ? 'sf-speed-set' : undefined}
      icon={props.rate !== 1 ? <span class="sf-speed-text" aria-hidden="true">{props.rate}×</span> : <Icon name="speed" />}
      items={SPEEDS.map((rate) => ({ value: rate as number, label: speedLabel(rate) }))}
      selected={props.rate}
      open={props.open === 'speed'}
      onOpenChange={(open) => props.onOpenChange('speed', open)}
      onSelect={props.onSelect}
    />
  );
}

export function CaptionsMenu(props: MenuState & { snapshot: EngineSnapshot; onSelect(index: number): void }) {
  const { snapshot } = props;
  const items: Array<MenuItem<number>> = [
    { value: -1, label: 'Off' },
    ...snapshot.textTracks.map((track) => ({ value: track.index, label: track.label, hint: track.language || undefined })),
  ];
  return (
    <Menu
      label="Captions"
      title="Captions"
      buttonClass={snapshot.textTrack >= 0 ? 'sf-on' : undefined}
      icon={<Icon name="captions" />}
      items={items}
      selected={snapshot.textTrack}
      open={props.open === 'captions'}
      onOpenChange={(open) => props.onOpenChange('captions', open)}
      onSelect={props.onSelect}
    />
  );
}
