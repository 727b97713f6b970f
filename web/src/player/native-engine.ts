/**
 * The browser's own HLS (Safari and iOS, where Media Source Extensions may be missing): the
 * element plays the master playlist itself, so there are no levels to choose from; text tracks
 * are the element's own `textTracks`, the shown one kept 'hidden' so the player's overlay draws it.
 */
import { activeCueLines, sameLines } from './cue-text.js';
import { EngineBase } from './engine-base.js';
import type { EngineOptions, MediaEngine } from './media-engine.js';

const HLS_MIME = 'application/vnd.apple.mpegurl';

export class NativeEngine extends EngineBase implements MediaEngine {
  readonly kind = 'native';
  private readonly media: HTMLVideoElement;

  static canPlayHls(media: HTMLVideoElement): boolean {
    return media.canPlayType(HLS_MIME) !== '';
  }

  constructor(private readonly options: EngineOptions) {
    super();
    this.media = options.media;
    this.media.textTracks.addEventListener('addtrack', this.onTracks);
    this.media.textTracks.addEventListener('removetrack', this.onTracks);
    this.media.textTracks.addEventListener('change', this.onTracks);
    this.media.addEventListener('error', this.onError);
    for (const track of Array.from(this.media.textTracks)) track.addEventListener('cuechange', this.onCueChange);
    this.media.src = options.startSec > 0 ? `${options.hlsUrl}#t=${options.startSec}` : options.hlsUrl;
  }

  setLevel(): void {
    // The browser picks the level; nothing to lock.
  }

  setTextTrack(index: number): void {
    this.captionTracks().forEach((track, i) => {
      track.mode = i === index ? 'hidden' : 'disabled';
    });
    this.onTracks();
  }

  destroy(): void {
    this.clearListeners();
    this.media.textTracks.removeEventListener('addtrack', this.onTracks);
    this.media.textTracks.removeEventListener('removetrack', this.onTracks);
    this.media.textTracks.removeEventListener('change', this.onTracks);
    this.media.removeEventListener('error', this.onError);
    for (const track of Array.from(this.media.textTracks)) track.removeEventListener('cuechange', this.onCueChange);
    this.media.removeAttribute('src');
    this.media.load();
  }

  private captionTracks(): TextTrack[] {
    return Array.from(this.media.textTracks).filter((t) => t.kind === 'subtitles' || t.kind === 'captions');
  }

  private readonly onTracks = (event?: Event): void => {
    if (event?.type === 'addtrack') (event as TrackEvent).track?.addEventListener('cuechange', this.onCueChange);
    const tracks = this.captionTracks();
    // Safari may show a track by itself (its own captions preference): the overlay draws it instead.
    for (const track of tracks) if (track.mode === 'showing') track.mode = 'hidden';
    this.update({
      textTracks: tracks.map((t, index) => ({ index, label: t.label || t.language || `Track ${index + 1}`, language: t.language })),
      textTrack: tracks.findIndex((t) => t.mode === 'hidden'),
    });
    this.onCueChange();
  };

  private readonly onCueChange = (): void => {
    const shown = this.captionTracks()[this.snapshot().textTrack] ?? null;
    const captions = activeCueLines(shown);
    if (!sameLines(captions, this.snapshot().captions)) this.update({ captions });
  };

  private readonly onError = (): void => {
    const error = this.media.error;
    const network = error?.code === MediaError.MEDIA_ERR_NETWORK;
    this.options.onFatalError({
      kind: network ? 'network' : 'media',
      message: network ? 'The video could not be loaded. Check your connection and try again.' : 'Your browser could not decode this video.',
      detail: `MediaError ${error?.code ?? '?'}: ${error?.message ?? ''}`,
    });
  };
}
