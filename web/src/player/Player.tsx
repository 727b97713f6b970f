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
 * exists so far is marked on the bar and is where seeks land.
 *
 * Nothing is exposed globally: tests drive the player through its buttons, menus and keys.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Video } from '../api.js';
import { formatDuration } from '../format.js';
import { useFullscreen } from './fullscreen.js';
import { Icon } from './icons.js';
import { handleShortcut, type ShortcutActions } from './keyboard.js';
import type { EngineKind } from './media-engine.js';
import { useMediaSession } from './media-session.js';
import { Osd, useOsd } from './osd.js';
import { loadVolume, saveVolume } from './preferences.js';
import { SeekBar } from './seek-bar.js';
import { CaptionsMenu, QualityMenu, SPEEDS, SpeedMenu, speedLabel, type MenuName } from './settings-menus.js';
import { ShortcutsHelp } from './shortcuts-help.js';
import { useStoryboard } from './storyboard.js';
import { useIdle } from './use-idle.js';
import { useMediaEngine } from './use-media-engine.js';
import { useMediaState } from './use-media-state.js';
import { VolumeControl } from './volume-control.js';
import './player.css';

export interface PlayerProps {
  video: Video;
  /** Which engine plays the stream: hls.js (default) or dash.js. */
  engine?: EngineKind;
  /** Start playing once the stream loads (muted if the browser refuses sound without a gesture). */
  autoplay?: boolean;
}

const IDLE_MS = 2500;
/** A stream still being transcoded: seeks stop this far before the last segment made so far. */
const GROWING_EDGE_SEC = 1;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

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
  const board = useStoryboard(video);
  const fullscreen = useFullscreen(rootRef, media);
  const { idle, poke, rest } = useIdle(IDLE_MS);
  const [openMenu, setOpenMenu] = useState<MenuName | null>(null);
  const [scrubbing, setScrubbing] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const [osd, showOsd] = useOsd();
  const lastTextTrack = useRef(0);
  const pendingSeekSec = useRef<number | null>(null);
  const pointerDownClosedMenu = useRef(false);

  useEffect(() => {
    if (!media) return;
    const saved = loadVolume();
    if (saved) {
      media.volume = saved.volume;
      media.muted = saved.muted;
    }
    const seeked = () => {
      pendingSeekSec.current = null;
    };
    media.addEventListener('seeked', seeked);
    return () => media.removeEventListener('seeked', seeked);
  }, [media]);

  // Play waits for the engine: dash.js, for one, only follows a dynamic MPD after it has seen the
  // element's `play` event, so a Play pressed while the engine still loads is carried out once it is
  // attached (the spinner shows meanwhile).
  const [playRequested, setPlayRequested] = useState(autoplay);
  useEffect(() => {
    if (!engine || !media || !playRequested) return;
    setPlayRequested(false);
    media.play().catch((failure: DOMException) => {
      if (failure.name !== 'NotAllowedError' || !autoplay) return;
      // Browsers allow autoplay without sound.
      media.muted = true;
      media.play().catch(() => {});
    });
  }, [engine, media, playRequested, autoplay]);

  // Playback that starts without a pointer or key (autoplay, a media key) starts the hide timer too.
  useEffect(() => {
    if (!state.paused) poke();
  }, [state.paused, poke]);

  // The timeline (see the module comment).
  const growing = video.status === 'processing';
  const availableSec = Math.max(state.seekableEnd, state.duration);
  const totalSec = growing && video.durationSec
    ? Math.max(video.durationSec, availableSec)
    : state.duration || availableSec || video.durationSec || 0;
  const seekLimitSec = growing ? Math.max(0, availableSec - GROWING_EDGE_SEC) : totalSec;

  const playable = video.playback !== null;
  const controlsShown = !state.started || state.paused || !idle || openMenu !== null || scrubbing || helpOpen || error !== null;
  const showBigPlay = playable && state.paused && !playRequested && !scrubbing && error === null && !helpOpen;
  const showSpinner = error === null && (state.buffering || (playRequested && !engine));

  const announce = (text: string) => setAnnouncement(text);

  const play = () => {
    if (!engine) {
      setPlayRequested(true);
      return;
    }
    media?.play().catch(() => {
      // Rejected when a pause or a new source interrupts it: nothing to tell the viewer.
    });
  };
  const pause = () => {
    setPlayRequested(false);
    media?.pause();
  };
  const togglePlay = () => {
    if (!media) return;
    if ((media.paused || media.ended) && !playRequested) play();
    else pause();
  };

  const seekTo = (timeSec: number) => {
    if (!media || seekLimitSec <= 0) return;
    const target = clamp(timeSec, 0, seekLimitSec);
    pendingSeekSec.current = target;
    media.currentTime = target;
  };
  /** Relative seeks add up while a seek is still in flight (L L L is +30 s). */
  const seekBy = (deltaSec: number) => {
    if (!media) return;
    const from = media.seeking && pendingSeekSec.current !== null ? pendingSeekSec.current : media.currentTime;
    seekTo(from + deltaSec);
    showOsd(`${deltaSec > 0 ? '+' : '−'}${Math.abs(deltaSec)} s`);
  };

  const setVolume = (volume: number) => {
    if (!media) return;
    media.volume = clamp(volume, 0, 1);
    media.muted = media.volume === 0;
    saveVolume({ volume: media.volume, muted: media.muted });
  };
  const changeVolume = (delta: number) => {
    if (!media) return;
    setVolume((media.muted ? 0 : media.volume) + delta);
    showOsd(`Volume ${Math.round(media.muted ? 0 : media.volume * 100)}%`);
  };
  const toggleMute = () => {
    if (!media) return;
    media.muted = !media.muted;
    if (!media.muted && media.volume === 0) media.volume = 0.5;
    saveVolume({ volume: media.volume, muted: media.muted });
    showOsd(media.muted ? 'Muted' : `Volume ${Math.round(media.volume * 100)}%`);
  };

  const setSpeed = (rate: number) => {
    if (!media) return;
    // The default rate survives a source reload (a retry) too.
    media.defaultPlaybackRate = rate;
    media.playbackRate = rate;
    announce(`Playback speed ${speedLabel(rate)}`);
  };
  const changeSpeed = (direction: 1 | -1) => {
    if (!media) return;
    const nearest = SPEEDS.reduce((best, rate, i) => (Math.abs(rate - media.playbackRate) < Math.abs(SPEEDS[best]! - media.playbackRate) ? i : best), 0);
    const rate = SPEEDS[clamp(nearest + direction, 0, SPEEDS.length - 1)]!;
    setSpeed(rate);
    showOsd(`${rate}×`);
  };

  const selectLevel = (index: number) => {
    engine?.setLevel(index);
    const level = snapshot.levels.find((l) => l.index === index);
    announce(`Quality ${level ? level.label : 'Auto'}`);
  };

  const selectTextTrack = (index: number) => {
    engine?.setTextTrack(index);
    if (index >= 0) lastTextTrack.current = index;
    const track = snapshot.textTracks.find((t) => t.index === index);
    announce(track ? `Captions ${track.label}` : 'Captions off');
    return track;
  };
  const toggleCaptions = () => {
    if (snapshot.textTracks.length === 0) {
      showOsd('No captions');
      return;
    }
    const track = selectTextTrack(snapshot.textTrack >= 0 ? -1 : Math.min(lastTextTrack.current, snapshot.textTracks.length - 1));
    showOsd(track ? `Captions: ${track.label}` : 'Captions off');
  };

  const shortcuts: ShortcutActions = {
    togglePlay,
    seekBy,
    seekToFraction: (fraction) => seekTo(fraction * totalSec),
    seekToStart: () => seekTo(0),
    seekToEnd: () => seekTo(totalSec),
    changeVolume,
    toggleMute,
    toggleFullscreen: fullscreen.toggle,
    toggleCaptions,
    changeSpeed,
    showShortcuts: () => setHelpOpen(true),
  };

  useMediaSession({ title: video.title, poster: video.playback?.poster ?? null, actions: { play, pause, seekBy, seekTo } });

  const onMenuOpenChange = useCallback((name: MenuName, open: boolean) => {
    setOpenMenu((current) => (open ? name : current === name ? null : current));
  }, []);

  const onKeyDown = (event: KeyboardEvent) => {
    poke();
    if (handleShortcut(event, shortcuts)) event.preventDefault();
  };

  const onVideoClick = (event: MouseEvent) => {
    if (pointerDownClosedMenu.current) return;
    // On touch screens a tap shows or hides the controls; the play button is in them.
    if ((event as PointerEvent).pointerType === 'touch') {
      if (controlsShown && state.started && !state.paused) rest();
      else poke();
      return;
    }
    togglePlay();
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
        <button type="button" class="sf-big-play" tabIndex={-1} aria-hidden="true" aria-label="Play" onClick={play}>
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

      <Osd message={osd} />

      {playable && error === null && (
        <div class="sf-chrome">
          <SeekBar
            media={media}
            totalSec={totalSec}
            availableSec={growing ? availableSec : totalSec}
            board={board}
            onSeek={seekTo}
            onScrubbingChange={setScrubbing}
          />
          <div class="sf-bar">
            <div class="sf-bar-group">
              <button
                type="button"
                class="sf-button"
                aria-label={state.paused ? 'Play' : 'Pause'}
                title={state.paused ? 'Play (k)' : 'Pause (k)'}
                onClick={togglePlay}
              >
                <Icon name={state.ended ? 'replay' : state.paused ? 'play' : 'pause'} />
              </button>
              <VolumeControl volume={state.volume} muted={state.muted} onToggleMute={toggleMute} onVolume={setVolume} />
              <div class="sf-time">
                <span>{formatDuration(state.currentTime)}</span>
                <span class="sf-time-total"> / {formatDuration(totalSec)}</span>
              </div>
              {growing && <span class="sf-growing" title="Still processing: more of the video becomes available as it is transcoded">Processing</span>}
            </div>
            <div class="sf-bar-group">
              {snapshot.textTracks.length > 0 && (
                <CaptionsMenu open={openMenu} onOpenChange={onMenuOpenChange} snapshot={snapshot} onSelect={selectTextTrack} />
              )}
              <SpeedMenu open={openMenu} onOpenChange={onMenuOpenChange} rate={state.playbackRate} onSelect={setSpeed} />
              {snapshot.levels.length > 1 && (
                <QualityMenu open={openMenu} onOpenChange={onMenuOpenChange} snapshot={snapshot} onSelect={selectLevel} />
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
      )}

      {helpOpen && <ShortcutsHelp onClose={() => setHelpOpen(false)} />}

      <div class="visually-hidden" role="status" aria-live="polite">{announcement}</div>
    </div>
  );
}
