/**
 * hls.js behind `MediaEngine`. Error handling follows the hls.js API guide ("Fatal Error
 * Recovery"): a fatal media error is retried with `recoverMediaError()`, and if it happens again
 * within a few seconds, once more after `swapAudioCodec()`; a fatal network error means hls.js has
 * already spent its retry policy, so it is reported. Non-fatal errors are hls.js's own business: it
 * retries and nudges past gaps itself.
 *
 * A video still transcoding has a growing EVENT playlist, which hls.js treats as live; starting at
 * 0 (not the live edge) and leaving `liveMaxLatencyDuration` unset (so hls.js never jumps forward
 * to catch up) make it play like VOD from the start.
 *
 * Subtitles are not rendered by hls.js (`renderTextTracksNatively: false`): it would add
 * `<track src="data:,WEBVTT">` elements, which the page's CSP (media-src 'self' blob:) refuses.
 * Its parsed cues go into one hidden TextTrack per subtitle track instead (`addTextTrack` loads
 * nothing), whose active cues feed the player's caption overlay.
 */
import Hls, { type CuesParsedData, type ErrorData, type Level, type MediaPlaylist } from 'hls.js';
import { activeCueLines, sameLines } from './cue-text.js';
import { EngineBase } from './engine-base.js';
import { levelLabel, sortLevels, type EngineOptions, type MediaEngine, type QualityLevel, type TextTrackOption } from './media-engine.js';

/** A second fatal media error within this window means recovery is not working. */
const MEDIA_RECOVERY_WINDOW_MS = 3000;

export class HlsEngine extends EngineBase implements MediaEngine {
  readonly kind = 'hls';
  private readonly hls: Hls;
  private lastMediaRecoveryAt = 0;
  private swappedAudioCodec = false;
  /** Subtitle track index → the hidden TextTrack holding its cues. */
  private readonly cueTracks = new Map<number, TextTrack>();

  static isSupported(): boolean {
    return Hls.isSupported();
  }

  constructor(private readonly options: EngineOptions) {
    super();
    this.hls = new Hls({ startPosition: options.startSec, renderTextTracksNatively: false });
    const { hls } = this;
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => this.updateLevels(data.levels));
    hls.on(Hls.Events.LEVELS_UPDATED, (_event, data) => this.updateLevels(data.levels));
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => this.update({ playingLevel: data.level }));
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_event, data) => this.updateTextTracks(data.subtitleTracks));
    hls.on(Hls.Events.SUBTITLE_TRACK_SWITCH, (_event, data) => {
      this.update({ textTrack: data.id });
      this.onCueChange();
    });
    hls.on(Hls.Events.CUES_PARSED, (_event, data) => this.onCuesParsed(data));
    hls.on(Hls.Events.ERROR, (_event, data) => this.onError(data));
    hls.loadSource(options.hlsUrl);
    hls.attachMedia(options.media);
  }

  setLevel(index: number): void {
    if (index < 0) {
      // Back to automatic from the next fragment: no flush, no stall.
      this.hls.nextLevel = -1;
    } else {
      // Locking a level switches now: hls.js flushes the buffer ahead and loads the new level at the playhead.
      this.hls.currentLevel = index;
    }
    this.update({ selectedLevel: index, autoLevel: index < 0 });
  }

  setTextTrack(index: number): void {
    this.hls.subtitleTrack = index;
    this.update({ textTrack: index });
    this.onCueChange();
  }

  destroy(): void {
    this.clearListeners();
    this.hls.destroy();
    // Tracks made by addTextTrack cannot be removed from the element: empty and disable them.
    for (const track of this.cueTracks.values()) {
      track.removeEventListener('cuechange', this.onCueChange);
      for (const cue of Array.from(track.cues ?? [])) track.removeCue(cue);
      track.mode = 'disabled';
    }
  }

  private onCuesParsed(data: CuesParsedData): void {
    if (data.type !== 'subtitles') return;
    const found = data.subtitleTrack ? this.hls.subtitleTracks.indexOf(data.subtitleTrack) : -1;
    const index = found >= 0 ? found : this.hls.subtitleTrack;
    if (index < 0) return;
    const track = this.cueTrack(index);
    const known = new Set(Array.from(track.cues ?? [], (cue) => `${cue.startTime}|${cue.endTime}|${(cue as VTTCue).text}`));
    // A cue spanning two segmented WebVTT files is parsed twice.
    for (const cue of data.cues as VTTCue[]) {
      if (!known.has(`${cue.startTime}|${cue.endTime}|${cue.text}`)) track.addCue(cue);
    }
  }

  private cueTrack(index: number): TextTrack {
    let track = this.cueTracks.get(index);
    if (!track) {
      const info = this.hls.subtitleTracks[index];
      track = this.options.media.addTextTrack('subtitles', info?.name ?? '', info?.lang ?? '');
      track.mode = 'hidden';
      track.addEventListener('cuechange', this.onCueChange);
      this.cueTracks.set(index, track);
    }
    return track;
  }

  private readonly onCueChange = (): void => {
    const captions = activeCueLines(this.cueTracks.get(this.snapshot().textTrack) ?? null);
    if (!sameLines(captions, this.snapshot().captions)) this.update({ captions });
  };

  private updateLevels(levels: Level[]): void {
    const options: QualityLevel[] = levels
      .map((level, index) => ({
        index,
        width: level.width,
        height: level.height,
        bitrateKbps: Math.round(level.bitrate / 1000),
        label: levelLabel(level.width, level.height),
      }))
      // An audio-only variant has no picture to choose.
      .filter((level) => level.height > 0);
    this.update({ levels: sortLevels(options), playingLevel: this.hls.currentLevel });
  }

  private updateTextTracks(tracks: MediaPlaylist[]): void {
    const options: TextTrackOption[] = tracks.map((track, index) => ({
      index,
      label: track.name || track.lang || `Track ${index + 1}`,
      language: track.lang ?? '',
    }));
    this.update({ textTracks: options, textTrack: this.hls.subtitleTrack });
  }

  private onError(data: ErrorData): void {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      const now = performance.now();
      if (now - this.lastMediaRecoveryAt > MEDIA_RECOVERY_WINDOW_MS) {
        this.lastMediaRecoveryAt = now;
        this.hls.recoverMediaError();
        return;
      }
      if (!this.swappedAudioCodec) {
        this.swappedAudioCodec = true;
        this.lastMediaRecoveryAt = now;
        this.hls.swapAudioCodec();
        this.hls.recoverMediaError();
        return;
      }
      this.options.onFatalError({ kind: 'media', message: 'Your browser could not decode this video.', detail: data.details });
    } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
      this.options.onFatalError({ kind: 'network', message: 'The video could not be loaded. Check your connection and try again.', detail: data.details });
    } else {
      this.options.onFatalError({ kind: 'media', message: 'Playback stopped because of an error.', detail: data.details });
    }
    this.hls.stopLoad();
  }
}
