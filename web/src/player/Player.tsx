/**
 * The StreamForge video player: custom controls over a `<video playsinline>`, driven by hls.js
 * (default) or dash.js through one `MediaEngine` (media-engine.ts). What a viewer of a serious
 * video platform expects, after YouTube's player: big play button, seek bar with buffered ranges
 * and storyboard previews, volume, quality / speed / captions menus, full screen, keyboard
 * shortcuts (keyboard.ts), auto-hiding controls, and a clear message when playback fails.
 *
 * The engine lives as long as the stream URL: the watch page re-renders with a fresh `video` as
 * its status moves from processing to ready, and playback carries on. A video still transcoding
 * plays from the start like VOD; its timeline spans the source duration, of which the part that
 * exists so far is marked on the bar and is where seeks land (timeline.ts).
 *
 * Nothing is exposed globally: tests drive the player through its buttons, menus and keys.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Video } from '../api.js';
import { CaptionsOverlay } from './captions-overlay.js';
import { ControlBar } from './control-bar.js';
import { useFullscreen } from './fullscreen.js';
import { Icon } from './icons.js';
import { handleShortcut, type ShortcutActions } from './keyboard.js';
import type { EngineKind } from './media-engine.js';
import { useMediaSession } from './media-session.js';
import { Osd, useOsd } from './osd.js';
import { loadVolume } from './preferences.js';
import type { MenuName } from './settings-menus.js';
import { ShortcutsHelp } from './shortcuts-help.js';
import { useStoryboard } from './storyboard.js';
import { timelineOf } from './timeline.js';
import { useIdle } from './use-idle.js';
import { useMediaEngine } from './use-media-engine.js';
import { useMediaState } from './use-media-state.js';
import { usePlayerActions } from './use-player-actions.js';
import './player.css';

export interface PlayerProps {
  video: Video;
  /** Which engine plays the stream: hls.js (default) or dash.js. */
  engine?: EngineKind;
  /** Start playing once the stream loads (muted if the browser refuses sound without a gesture). */
  autoplay?: boolean;
}

const IDLE_MS = 2500;

export function Player(props: PlayerProps) {
  const { video, engine: kind = 'hls', autoplay = false } = props;
  const rootRef = useRef<HTMLDivElement>(null);
  const [media, setMedia] = useState<HTMLVideoElement | null>(null);
  const { engine, snapshot, error, retry } = useMediaEngine({
    media,
    kind,
    hlsUrl: video.playback?.hls ?? null,
    dashUrl: video.playback?.dash ?? null,
  });
  const state = useMediaState(media);
  const timeline = timelineOf(video, state);
  const board = useStoryboard(video);
  const fullscreen = useFullscreen(rootRef, media);
  const { idle, poke, rest } = useIdle(IDLE_MS);
  const [openMenu, setOpenMenu] = useState<MenuName | null>(null);
  const [scrubbing, setScrubbing] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const [osd, showOsd] = useOsd();
  const pointerDownClosedMenu = useRef(false);
  const actions = usePlayerActions({ media, engine, snapshot, timeline, autoplay, announce: setAnnouncement, confirm: showOsd });

  useEffect(() => {
    const saved = media && loadVolume();
    if (media && saved) {
      media.volume = saved.volume;
      media.muted = saved.muted;
    }
  }, [media]);

  // Playback that starts without a pointer or key (autoplay, a media key) starts the hide timer too.
  useEffect(() => {
    if (!state.paused) poke();
  }, [state.paused, poke]);

  useMediaSession({ title: video.title, poster: video.playback?.poster ?? null, actions });

  const playable = video.playback !== null;
  const controlsShown = !state.started || state.paused || !idle || openMenu !== null || scrubbing || helpOpen || error !== null;
  const showBigPlay = playable && state.paused && !actions.playRequested && !scrubbing && error === null && !helpOpen;
  const showSpinner = error === null && (state.buffering || (actions.playRequested && !engine));

  const shortcuts: ShortcutActions = {
    togglePlay: actions.togglePlay,
    seekBy: actions.seekBy,
    seekToFraction: (fraction) => actions.seekTo(fraction * timeline.totalSec),
    seekToStart: () => actions.seekTo(0),
    seekToEnd: () => actions.seekTo(timeline.totalSec),
    changeVolume: actions.changeVolume,
    toggleMute: actions.toggleMute,
    toggleFullscreen: fullscreen.toggle,
    toggleCaptions: actions.toggleCaptions,
    changeSpeed: actions.changeSpeed,
    showShortcuts: () => setHelpOpen(true),
  };

  const onMenuOpenChange = useCallback((name: MenuName, open: boolean) => {
    setOpenMenu((current) => (open ? name : current === name ? null : current));
  }, []);

  const onKeyDown = (event: KeyboardEvent) => {
    poke();
    if (handleShortcut(event, shortcuts)) event.preventDefault();
  };

  const onVideoClick = (event: MouseEvent) => {
    // The click that closed a menu does nothing else.
    if (pointerDownClosedMenu.current) return;
    // On touch screens a tap shows or hides the controls; the play button is in them.
    if ((event as PointerEvent).pointerType === 'touch') {
      if (controlsShown && state.started && !state.paused) rest();
      else poke();
      return;
    }
    actions.togglePlay();
  };

  return (
    <div
      ref={rootRef}
      class={`sf-player${controlsShown ? '' : ' sf-idle'}${fullscreen.active ? ' sf-fullscreen' : ''}`}
      role="region"
      aria-label="Video player"
      tabIndex={0}
      onKeyDown={onKeyDown}
      onPointerMove={poke}
      onPointerDownCapture={() => {
        pointerDownClosedMenu.current = openMenu !== null;
      }}
      onPointerLeave={(event) => event.pointerType === 'mouse' && !state.paused && rest()}
      onFocusIn={poke}
    >
      <video
        ref={setMedia}
        class="sf-video"
        playsInline
        preload="metadata"
        poster={video.playback?.poster ?? undefined}
        onClick={onVideoClick}
        onDblClick={fullscreen.toggle}
      />

      {video.audioOnly && !video.playback?.poster && (
        <div class="sf-audio-only" aria-hidden="true"><Icon name="audio" /></div>
      )}

      {showSpinner && <div class="sf-spinner" role="progressbar" aria-label="Loading" />}

      {showBigPlay && (
        // A pointer target only: keyboard and screen-reader users have the bar's Play button and Space/K.
        <button type="button" class="sf-big-play" tabIndex={-1} aria-hidden="true" aria-label="Play" onClick={actions.play}>
          <Icon name={state.ended ? 'replay' : 'play'} />
        </button>
      )}

      {!playable && (
        <div class="sf-message">
          <p>{video.status === 'failed' ? 'This video could not be processed.' : 'This video is being prepared and will play in a moment.'}</p>
        </div>
      )}

      {error && (
        <div class="sf-message sf-error" role="alert">
          <Icon name="error" class="sf-error-icon" />
          <p class="sf-error-text">{error.message}</p>
          {error.kind !== 'unsupported' && (
            <button type="button" class="sf-retry" onClick={retry}>Try again</button>
          )}
          <p class="sf-error-detail">{error.detail}</p>
        </div>
      )}

      <CaptionsOverlay lines={snapshot.textTrack >= 0 ? snapshot.captions : []} lifted={controlsShown && playable && error === null} />

      <Osd message={osd} />

      {playable && error === null && (
        <ControlBar
          media={media}
          state={state}
          timeline={timeline}
          snapshot={snapshot}
          board={board}
          actions={actions}
          fullscreen={fullscreen}
          openMenu={openMenu}
          onMenuOpenChange={onMenuOpenChange}
          onScrubbingChange={setScrubbing}
        />
      )}

      {helpOpen && <ShortcutsHelp onClose={() => setHelpOpen(false)} />}

      <div class="visually-hidden" role="status" aria-live="polite">{announcement}</div>
    </div>
  );
}
