/**
 * The <video> element's state as the controls need it, re-read on every media event. The seek bar
 * follows the playhead on its own (per animation frame), so this re-renders at `timeupdate` pace.
 */
import { useEffect, useState } from 'preact/hooks';

export interface MediaState {
  paused: boolean;
  ended: boolean;
  /** The viewer pressed play at least once (or autoplay started). */
  started: boolean;
  /** Waiting for data to play (or to show the frame after a seek). */
  buffering: boolean;
  currentTime: number;
  /** Finite duration of the media as loaded so far, 0 while unknown (or infinite, for a dynamic MPD). */
  duration: number;
  /** End of the seekable range: how much of a stream still being transcoded exists. */
  seekableEnd: number;
  volume: number;
  muted: boolean;
  playbackRate: number;
}

const EVENTS = [
  'play', 'pause', 'playing', 'waiting', 'seeking', 'seeked', 'timeupdate', 'durationchange', 'volumechange',
  'ratechange', 'ended', 'loadedmetadata', 'loadeddata', 'canplay', 'canplaythrough', 'progress', 'emptied', 'stalled',
] as const;

const INITIAL_MEDIA_STATE: MediaState = {
  paused: true,
  ended: false,
  started: false,
  buffering: false,
  currentTime: 0,
  duration: 0,
  seekableEnd: 0,
  volume: 1,
  muted: false,
  playbackRate: 1,
};

function seekableEnd(media: HTMLMediaElement): number {
  const ranges = media.seekable;
  return ranges.length > 0 ? ranges.end(ranges.length - 1) : 0;
}

function read(media: HTMLVideoElement, started: boolean): MediaState {
  const duration = Number.isFinite(media.duration) ? media.duration : 0;
  return {
    paused: media.paused,
    ended: media.ended,
    started: started || !media.paused,
    buffering: media.seeking || (!media.paused && media.readyState < HTMLMediaElement.HAVE_FUTURE_DATA),
    currentTime: media.currentTime,
    duration,
    seekableEnd: seekableEnd(media),
    volume: media.volume,
    muted: media.muted,
    playbackRate: media.playbackRate,
  };
}

function same(a: MediaState, b: MediaState): boolean {
  return (Object.keys(a) as Array<keyof MediaState>).every((key) => a[key] === b[key]);
}

export function useMediaState(media: HTMLVideoElement | null): MediaState {
  const [state, setState] = useState<MediaState>(INITIAL_MEDIA_STATE);
  useEffect(() => {
    if (!media) return;
    const refresh = () => setState((previous) => {
      const next = read(media, previous.started);
      return same(previous, next) ? previous : next;
    });
    for (const type of EVENTS) media.addEventListener(type, refresh);
    refresh();
    return () => {
      for (const type of EVENTS) media.removeEventListener(type, refresh);
    };
  }, [media]);
  return state;
}
