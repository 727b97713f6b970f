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
 */
import Hls, { type ErrorData, type Level, type MediaPlaylist } from 'hls.js';
import { EngineBase } from './engine-base.js';
import { levelLabel, sortLevels, type EngineOptions, type MediaEngine, type QualityLevel, type TextTrackOption } from './media-engine.js';

/** A second fatal media error within this window means recovery is not working. */
const MEDIA_RECOVERY_WINDOW_MS = 3000;

export class HlsEngine extends EngineBase implements MediaEngine {
  readonly kind = 'hls';
  private readonly hls: Hls;
  private lastMediaRecoveryAt = 0;
  private swappedAudioCodec = false;

  static isSupported(): boolean {
    return Hls.isSupported();
  }

  constructor(private readonly options: EngineOptions) {
    super();
    this.hls = new Hls({ startPosition: options.startSec, enableWorker: true });
    const { hls } = this;
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => this.updateLevels(data.levels));
    hls.on(Hls.Events.LEVELS_UPDATED, (_event, data) => this.updateLevels(data.levels));
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => this.update({ playingLevel: data.level }));
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_event, data) => this.updateTextTracks(data.subtitleTracks));
    hls.on(Hls.Events.SUBTITLE_TRACK_SWITCH, (_event, data) => this.update({ textTrack: data.id }));
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
    this.hls.subtitleDisplay = index >= 0;
    this.hls.subtitleTrack = index;
    this.update({ textTrack: index });
  }

  destroy(): void {
    this.clearListeners();
    this.hls.destroy();
  }

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
