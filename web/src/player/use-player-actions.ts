/**
 * Everything the viewer can do to playback, in one place, whatever asked for it: a button, a menu,
 * a key, the operating system's media controls. Each action reads the element at call time, so
 * they are safe to keep in event handlers; changes worth telling get a screen-reader announcement
 * (`announce`) or a brief on-screen confirmation (`confirm`).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { EngineSnapshot, MediaEngine } from './media-engine.js';
import { saveVolume } from './preferences.js';
import { SPEEDS, speedLabel } from './settings-menus.js';
import type { Timeline } from './timeline.js';

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export interface PlayerActions {
  /** Play was pressed before the engine was attached: it plays as soon as it is. */
  playRequested: boolean;
  play(): void;
  pause(): void;
  togglePlay(): void;
  seekTo(timeSec: number): void;
  seekBy(deltaSec: number): void;
  setVolume(volume: number): void;
  changeVolume(delta: number): void;
  toggleMute(): void;
  setSpeed(rate: number): void;
  changeSpeed(direction: 1 | -1): void;
  selectLevel(index: number): void;
  selectTextTrack(index: number): void;
  toggleCaptions(): void;
}

export function usePlayerActions(options: {
  media: HTMLVideoElement | null;
  engine: MediaEngine | null;
  snapshot: EngineSnapshot;
  timeline: Timeline;
  autoplay: boolean;
  announce(text: string): void;
  confirm(text: string): void;
}): PlayerActions {
  const { media, engine, snapshot, timeline, autoplay, announce, confirm } = options;
  const pendingSeekSec = useRef<number | null>(null);
  const lastTextTrack = useRef(0);

  useEffect(() => {
    if (!media) return;
    const seeked = () => {
      pendingSeekSec.current = null;
    };
    media.addEventListener('seeked', seeked);
    return () => media.removeEventListener('seeked', seeked);
  }, [media]);

  // Play waits for the engine: dash.js, for one, only follows a dynamic MPD after it has seen the
  // element's `play` event, so a Play pressed while the engine still loads is carried out once it
  // is attached (the spinner shows meanwhile).
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

  // A seek made before the stream is loaded (a key pressed while the page still starts) is carried
  // out again once the first frame can play: dash.js positions the element at its own start time
  // while it sets the stream up, which silently undid it (the playhead stayed at 0).
  const earlySeekSec = useRef<number | null>(null);
  useEffect(() => {
    if (!media) return;
    const replay = () => {
      const target = earlySeekSec.current;
      earlySeekSec.current = null;
      if (target === null || Math.abs(media.currentTime - target) < 0.1) return;
      pendingSeekSec.current = target;
      media.currentTime = target;
    };
    media.addEventListener('canplay', replay);
    return () => media.removeEventListener('canplay', replay);
  }, [media]);

  const seekTo = (timeSec: number) => {
    if (!media || timeline.seekLimitSec <= 0) return;
    const target = clamp(timeSec, 0, timeline.seekLimitSec);
    earlySeekSec.current = media.readyState === HTMLMediaElement.HAVE_NOTHING ? target : null;
    pendingSeekSec.current = target;
    media.currentTime = target;
  };

  const setVolume = (volume: number) => {
    if (!media) return;
    media.volume = clamp(volume, 0, 1);
    media.muted = media.volume === 0;
    saveVolume({ volume: media.volume, muted: media.muted });
  };

  const setSpeed = (rate: number) => {
    if (!media) return;
    // The default rate survives a source reload (a retry) too.
    media.defaultPlaybackRate = rate;
    media.playbackRate = rate;
    announce(`Playback speed ${speedLabel(rate)}`);
  };

  const selectTextTrack = (index: number) => {
    engine?.setTextTrack(index);
    if (index >= 0) lastTextTrack.current = index;
    const track = snapshot.textTracks.find((t) => t.index === index);
    announce(track ? `Captions ${track.label}` : 'Captions off');
  };

  return {
    playRequested,
    play,
    pause,
    togglePlay() {
      if (!media) return;
      if ((media.paused || media.ended) && !playRequested) play();
      else pause();
    },
    seekTo,
    /** Relative seeks add up while a seek is still in flight (L L L is +30 s). */
    seekBy(deltaSec) {
      if (!media) return;
      const from = media.seeking && pendingSeekSec.current !== null ? pendingSeekSec.current : media.currentTime;
      seekTo(from + deltaSec);
      confirm(`${deltaSec > 0 ? '+' : '−'}${Math.abs(deltaSec)} s`);
    },
    setVolume,
    changeVolume(delta) {
      if (!media) return;
      setVolume((media.muted ? 0 : media.volume) + delta);
      confirm(`Volume ${Math.round(media.muted ? 0 : media.volume * 100)}%`);
    },
    toggleMute() {
      if (!media) return;
      media.muted = !media.muted;
      if (!media.muted && media.volume === 0) media.volume = 0.5;
      saveVolume({ volume: media.volume, muted: media.muted });
      confirm(media.muted ? 'Muted' : `Volume ${Math.round(media.volume * 100)}%`);
    },
    setSpeed,
    changeSpeed(direction) {
      if (!media) return;
      const current = media.playbackRate;
      const nearest = SPEEDS.reduce((best, rate, i) => (Math.abs(rate - current) < Math.abs(SPEEDS[best]! - current) ? i : best), 0);
      const rate = SPEEDS[clamp(nearest + direction, 0, SPEEDS.length - 1)]!;
      setSpeed(rate);
      confirm(`${rate}×`);
    },
    selectLevel(index) {
      engine?.setLevel(index);
      const level = snapshot.levels.find((l) => l.index === index);
      announce(`Quality ${level ? level.label : 'Auto'}`);
    },
    selectTextTrack,
    toggleCaptions() {
      const { textTracks, textTrack } = snapshot;
      if (textTracks.length === 0) {
        confirm('No captions');
        return;
      }
      const next = textTrack >= 0 ? -1 : Math.min(lastTextTrack.current, textTracks.length - 1);
      selectTextTrack(next);
      confirm(next >= 0 ? `Captions: ${textTracks[next]!.label}` : 'Captions off');
    },
  };
}
