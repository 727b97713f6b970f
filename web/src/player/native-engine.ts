/**
 * The browser's own HLS (Safari and iOS, where Media Source Extensions may be missing): the
 * element plays the master playlist itself, so there are no levels to choose from; text tracks
 * are the element's own `textTracks`.
 */
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
    this.media.src = options.startSec > 0 ? `${options.hlsUrl}#t=${options.startSec}` : options.hlsUrl;
  }

  setLevel(): void {
    // The browser picks the level; nothing to lock.
  }

  setTextTrack(index: number): void {
    this.captionTracks().forEach((track, i) => {
      track.mode = i === index ? 'showing' : 'disabled';
    });
    this.onTracks();
  }

  destroy(): void {
    this.clearListeners();
    this.media.textTracks.removeEventListener('addtrack', this.onTracks);
    this.media.textTracks.removeEventListener('removetrack', this.onTracks);
    this.media.textTracks.removeEventListener('change', this.onTracks);
    this.media.removeEventListener('error', this.onError);
    this.media.removeAttribute('src');
    this.media.load();
  }

  private captionTracks(): TextTrack[] {
    return Array.from(this.media.textTracks).filter((t) => t.kind === 'subtitles' || t.kind === 'captions');
  }

  private readonly onTracks = (): void => {
    const tracks = this.captionTracks();
    this.update({
      textTracks: tracks.map((t, index) => ({ index, label: t.label || t.language || `Track ${index + 1}`, language: t.language })),
      textTrack: tracks.findIndex((t) => t.mode === 'showing'),
    });
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
