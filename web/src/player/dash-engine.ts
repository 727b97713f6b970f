/**
 * dash.js behind `MediaEngine`, loaded on demand (`import('dashjs')`) so only `?player=dash`
 * viewers download it. Locking a level turns dash.js's ABR off for video and replaces the buffer
 * ahead (`forceReplace`), so the new rung shows within a segment; Auto turns ABR back on.
 *
 * Captions: with `dispatchForManualRendering` dash.js keeps its text tracks 'hidden' rather than
 * drawing them; the player's overlay shows the active cues of the picked one (read from the
 * element: dash.js's own cue enter events are not sent again when a track is re-enabled), found
 * the way dash.js finds it, since no track's mode is 'disabled'. Text starts off until the viewer
 * picks a track, with `setTextTrack` (-1 turns it off), as dash.js documents. dash-caption-files.ts
 * makes up for two gaps in dash.js's handling of caption files (one dropped when a seek overtakes
 * it, cues not shown while paused).
 *
 * dash.js reports errors through one `error` event; the ones listed in FATAL_CODES stop playback
 * for good (the manifest cannot be loaded or parsed, the browser cannot play the codecs). Segment
 * download failures are retried by dash.js itself, and a <video> element error ends playback.
 */
import type { MediaPlayerClass, Representation } from 'dashjs';
import { activeCueLines, sameLines } from './cue-text.js';
import { watchCaptionFiles } from './dash-caption-files.js';
import { EngineBase } from './engine-base.js';
import { levelLabel, sortLevels, type EngineError, type EngineOptions, type MediaEngine } from './media-engine.js';

/** MediaPlayerErrors codes (dashjs index.d.ts) that end playback. */
const FATAL_CODES: Record<number, EngineError['kind']> = {
  10: 'network', // MANIFEST_LOADER_PARSING_FAILURE
  11: 'network', // MANIFEST_LOADER_LOADING_FAILURE
  23: 'unsupported', // CAPABILITY_MEDIASOURCE
  25: 'network', // DOWNLOAD_ERROR_ID_MANIFEST
  31: 'media', // MANIFEST_ERROR_ID_PARSE
  32: 'media', // MANIFEST_ERROR_ID_NOSTREAMS
  34: 'media', // MANIFEST_ERROR_ID_MULTIPLEXED
  35: 'unsupported', // MEDIASOURCE_TYPE_UNSUPPORTED
};

const MESSAGES: Record<EngineError['kind'], string> = {
  network: 'The video could not be loaded. Check your connection and try again.',
  media: 'Your browser could not decode this video.',
  unsupported: 'This browser cannot play this video format.',
};

export class DashEngine extends EngineBase implements MediaEngine {
  readonly kind = 'dash';
  private representations: Representation[] = [];
  private destroyed = false;
  private streamStarted = false;
  private readonly stopWatchingCaptionFiles: () => void;

  static async create(options: EngineOptions): Promise<DashEngine> {
    const dashjs = await import('dashjs');
    return new DashEngine(dashjs.MediaPlayer().create(), options);
  }

  private constructor(
    private readonly player: MediaPlayerClass,
    private readonly options: EngineOptions,
  ) {
    super();
    const manifestUrl = new URL(options.dashUrl, location.href).href;
    player.updateSettings({
      streaming: {
        abr: { autoSwitchBitrate: { video: true } },
        text: { defaultEnabled: false, dispatchForManualRendering: true },
        // A dynamic MPD (still transcoding) needs the server's clock. Without a UTCTiming element
        // dash.js would ask time.akamai.com, which the page's CSP (connect-src 'self') forbids:
        // the Date header of a HEAD on the manifest is the same clock, from the same origin.
        utcSynchronization: { defaultTimingSource: { scheme: 'urn:mpeg:dash:utc:http-head:2014', value: manifestUrl } },
      },
    });
    player.on('streamInitialized', this.onStreamInitialized);
    player.on('qualityChangeRendered', this.onQualityRendered);
    player.on('allTextTracksAdded', this.onTextTracks);
    player.on('error', this.onError);
    player.on('playbackError', this.onPlaybackError);
    options.media.textTracks.addEventListener('addtrack', this.onTextTrackAdded);
    options.media.textTracks.addEventListener('change', this.onCueChange);
    this.stopWatchingCaptionFiles = watchCaptionFiles({ player, media: options.media, pickAgain: this.pickTextTrackAgain });
    // An absolute URL: dash.js's CMCD reporter parses every response URL with `new URL(url)` and
    // warns on each relative one. For a dynamic MPD the start time is relative to the DVR window:
    // 0 is its start, the beginning of the video.
    player.initialize(options.media, manifestUrl, false, options.startSec);
  }

  setLevel(index: number): void {
    const auto = index < 0;
    this.player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: auto } } } });
    const representation = this.representations[index];
    if (!auto && representation) this.player.setRepresentationForTypeById('video', representation.id, true);
    this.update({ selectedLevel: auto ? -1 : index, autoLevel: auto });
  }

  setTextTrack(index: number): void {
    this.player.setTextTrack(index);
    this.update({ textTrack: index });
    this.onCueChange();
  }

  destroy(): void {
    this.destroyed = true;
    this.clearListeners();
    this.player.off('streamInitialized', this.onStreamInitialized);
    this.player.off('qualityChangeRendered', this.onQualityRendered);
    this.player.off('allTextTracksAdded', this.onTextTracks);
    this.player.off('error', this.onError);
    this.player.off('playbackError', this.onPlaybackError);
    this.stopWatchingCaptionFiles();
    const { textTracks } = this.options.media;
    textTracks.removeEventListener('addtrack', this.onTextTrackAdded);
    textTracks.removeEventListener('change', this.onCueChange);
    for (const track of Array.from(textTracks)) track.removeEventListener('cuechange', this.onCueChange);
    this.player.destroy();
  }

  private readonly onStreamInitialized = (): void => {
    this.representations = this.player.getRepresentationsByType('video');
    const levels = this.representations
      .map((rep, index) => ({
        index,
        width: rep.width,
        height: rep.height,
        bitrateKbps: Math.round(rep.bandwidth / 1000),
        label: levelLabel(rep.width, rep.height),
      }))
      .filter((level) => level.height > 0);
    const current = this.player.getCurrentRepresentationForType('video');
    this.update({ levels: sortLevels(levels), playingLevel: this.indexOf(current) });
    this.onTextTracks();
    // dash.js listens to the element only from now on, and starts following a dynamic MPD on the
    // element's `play` event. If playback was requested before (Play pressed while the manifest
    // loaded), replay that event, or a video still transcoding would stop at the first segments.
    const { media } = this.options;
    if (!this.streamStarted && !media.paused) {
      media.pause();
      media.play().catch(() => {});
    }
    this.streamStarted = true;
  };

  private readonly onQualityRendered = (event: { mediaType: string; newRepresentation: Representation }): void => {
    if (event.mediaType === 'video') this.update({ playingLevel: this.indexOf(event.newRepresentation) });
  };

  private readonly onTextTracks = (): void => {
    const textTracks = this.player.getTracksFor('text').map((info, index) => ({
      index,
      label: info.labels[0]?.text || info.lang || `Track ${index + 1}`,
      language: info.lang ?? '',
    }));
    this.update({ textTracks, textTrack: this.player.isTextEnabled() ? this.player.getCurrentTextTrackIndex() : -1 });
  };

  /** Picking the track already picked does nothing in dash.js: off, then on again. */
  private readonly pickTextTrackAgain = (): void => {
    const index = this.player.isTextEnabled() ? this.player.getCurrentTextTrackIndex() : -1;
    if (this.destroyed || index < 0) return;
    this.player.setTextTrack(-1);
    this.player.setTextTrack(index);
  };

  private readonly onTextTrackAdded = (event: TrackEvent): void => {
    event.track?.addEventListener('cuechange', this.onCueChange);
  };

  private readonly onCueChange = (): void => {
    const captions = activeCueLines(this.pickedElementTrack());
    if (!sameLines(captions, this.snapshot().captions)) this.update({ captions });
  };

  /**
   * The element's TextTrack of the picked track. Its mode cannot tell: dash.js never makes its
   * tracks 'disabled' (with two tracks, both were 'hidden' while the second was picked). dash.js
   * finds a track's element track by kind, label and language, the label being the AdaptationSet
   * id, else the language (TextTracks `_createNativeTextrackElement`, VideoModel `getTextTrack`);
   * the kind is always 'subtitles' in our MPD.
   */
  private pickedElementTrack(): TextTrack | null {
    const index = this.snapshot().textTrack;
    const info = index >= 0 ? this.player.getTracksFor('text')[index] : undefined;
    if (!info) return null;
    const lang = info.lang ?? '';
    const label = info.id ?? lang;
    return Array.from(this.options.media.textTracks).find((track) => (!label || track.label === label) && track.language === lang) ?? null;
  }

  private readonly onError = (event: { error: unknown }): void => {
    const error = event.error;
    const code = typeof error === 'object' && error && 'code' in error ? Number((error as { code: unknown }).code) : NaN;
    const kind = FATAL_CODES[code];
    if (!kind || this.destroyed) return;
    const message = (error as { message?: string }).message ?? '';
    this.options.onFatalError({ kind, message: MESSAGES[kind], detail: `dash.js ${code}: ${message}` });
  };

  private readonly onPlaybackError = (): void => {
    if (this.destroyed) return;
    const mediaError = this.options.media.error;
    this.options.onFatalError({ kind: 'media', message: MESSAGES.media, detail: `MediaError ${mediaError?.code ?? '?'}: ${mediaError?.message ?? ''}` });
  };

  private indexOf(representation: Representation | null): number {
    if (!representation) return -1;
    return this.representations.findIndex((rep) => rep.id === representation.id);
  }
}
