/**
 * The chrome along the bottom of the player: seek bar, then play, volume and time on the left,
 * captions, speed, quality and full screen on the right.
 */
import type { Storyboard } from '../api.js';
import { formatDuration } from '../format.js';
import { Icon } from './icons.js';
import type { EngineSnapshot } from './media-engine.js';
import { SeekBar } from './seek-bar.js';
import { CaptionsMenu, QualityMenu, SpeedMenu, type MenuName } from './settings-menus.js';
import type { Timeline } from './timeline.js';
import type { PlayerActions } from './use-player-actions.js';
import type { MediaState } from './use-media-state.js';
import { VolumeControl } from './volume-control.js';

export interface ControlBarProps {
  media: HTMLVideoElement | null;
  state: MediaState;
  timeline: Timeline;
  snapshot: EngineSnapshot;
  board: Storyboard | null;
  actions: PlayerActions;
  fullscreen: { active: boolean; toggle(): void };
  openMenu: MenuName | null;
  onMenuOpenChange(name: MenuName, open: boolean): void;
  onScrubbingChange(scrubbing: boolean): void;
}

export function ControlBar(props: ControlBarProps) {
  const { state, timeline, snapshot, actions, fullscreen, openMenu, onMenuOpenChange } = props;
  const paused = state.paused && !actions.playRequested;
  return (
    <div class="sf-chrome">
      <SeekBar
        media={props.media}
        totalSec={timeline.totalSec}
        availableSec={timeline.availableSec}
        board={props.board}
        onSeek={actions.seekTo}
        onScrubbingChange={props.onScrubbingChange}
      />
      <div class="sf-bar">
        <div class="sf-bar-group">
          <button
            type="button"
            class="sf-button"
            aria-label={paused ? 'Play' : 'Pause'}
            title={paused ? 'Play (k)' : 'Pause (k)'}
            onClick={actions.togglePlay}
          >
            <Icon name={state.ended ? 'replay' : paused ? 'play' : 'pause'} />
          </button>
          <VolumeControl volume={state.volume} muted={state.muted} onToggleMute={actions.toggleMute} onVolume={actions.setVolume} />
          <div class="sf-time">
            <span>{formatDuration(state.currentTime)}</span>
            <span class="sf-time-total"> / {formatDuration(timeline.totalSec)}</span>
          </div>
          {timeline.growing && (
            <span class="sf-growing" title="Still processing: more of the video becomes available as it is transcoded">Processing</span>
          )}
        </div>
        <div class="sf-bar-group">
          {snapshot.textTracks.length > 0 && (
            <CaptionsMenu open={openMenu} onOpenChange={onMenuOpenChange} snapshot={snapshot} onSelect={actions.selectTextTrack} />
          )}
          <SpeedMenu open={openMenu} onOpenChange={onMenuOpenChange} rate={state.playbackRate} onSelect={actions.setSpeed} />
          {snapshot.levels.length > 1 && (
            <QualityMenu open={openMenu} onOpenChange={onMenuOpenChange} snapshot={snapshot} onSelect={actions.selectLevel} />
          )}
          <button
            type="button"
            class="sf-button"
            aria-label={fullscreen.active ? 'Exit full screen' : 'Full screen'}
            title={fullscreen.active ? 'Exit full screen (f)' : 'Full screen (f)'}
            onClick={fullscreen.toggle}
          >
            <Icon name={fullscreen.active ? 'fullscreenExit' : 'fullscreen'} />
          </button>
        </div>
      </div>
    </div>
  );
}
