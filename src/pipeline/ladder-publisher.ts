/**
 * Publishes a ladder while ffmpeg is still writing it, so viewers can start watching early.
 * Each sync() copies every newly finished segment (init first) from the attempt's work dir to the
 * blob store, then the media playlists that list only published segments, then the DASH MPD, and the
 * master playlist last — a player that can read the master can fetch everything it points to.
 * Segment keys are written once and never overwritten; only the manifests are replaced. Extra-codec
 * rungs (av1/v0…, vp9/v0…) are renditions like the others, listed as further variants and
 * AdaptationSets with the codec strings read from their init segments. Subtitle
 * tracks, made after the ladder (subtitles.ts), join through publishSubtitles, which rewrites the
 * MPD and the master, again master last.
 *
 * Chunked encoding has no running ffmpeg to follow: its assembly job hands the recorded segment lists
 * of every rendition to publishRecorded, which writes the same manifests (VOD playlists, static MPD,
 * master last) from them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readInitSegment, readSegmentDecodeTime } from '../media/mp4-boxes.js';
import type { BlobStore } from '../storage/blob-store.js';
import { type DashRepresentation, type TimelineEntry, writeMpd } from './dash-manifest.js';
import { parseMediaPlaylist, toVodPlaylist, writeMasterPlaylist, writeMediaPlaylist, writeSubtitlePlaylist } from './hls-playlist.js';
import type { AudioRendition, ExtraVideoCodec, LadderPlan, VideoRung } from './ladder-types.js';
import { renditionDirs } from './ladder-command.js';

export const MASTER_PLAYLIST = 'master.m3u8';
export const DASH_MANIFEST = 'manifest.mpd';

export interface PublishedSegment {
  uri: string;
  durationSec: number;
  bytes: number;
  /** Decode time in timescale ticks. */
  decodeTime: number;
}

/** Video codec of a rendition: the H.264 ladder or an extra one. */
export type VideoCodecFamily = 'h264' | ExtraVideoCodec;

/**
 * Preference between codec families where a player decodes several (HLS SCORE, DASH
 * @selectionPriority): AV1 for its efficiency, then H.264; VP9 — the cheap compatibility ladder
 * (realtime libvpx) — only for players without H.264.
 */
const FAMILY_PREFERENCE: VideoCodecFamily[] = ['av1', 'h264', 'vp9'];

interface RenditionState {
  dir: string;
  kind: 'video' | 'audio';
  family?: VideoCodecFamily;
  rung?: VideoRung;
  audio?: AudioRendition;
  initUri: string | null;
  codec: string | null;
  timescale: number;
  segments: PublishedSegment[];
  /** The playlist text matching `segments`, republished with the manifests. */
  playlistText: string | null;
}

/** A rendition whose segments are already stored at their final keys (chunked encoding). */
export interface RecordedRendition {
  /** v0, a0, …: as renditionDirs names them. */
  dir: string;
  initUri: string;
  codec: string;
  timescale: number;
  segments: PublishedSegment[];
}

export interface LadderPublisherOptions {
  store: BlobStore;
  /** Directory ffmpeg writes into (one sub-directory per rendition). */
  workDir: string;
  /** Blob prefix of this attempt's outputs, ending in '/'. */
  keyPrefix: string;
  plan: LadderPlan;
}

export interface SyncResult {
  /** Every rendition has at least one published segment and the master playlist exists. */
  playable: boolean;
  /** Seconds of media published on the shortest rendition. */
  publishedSec: number;
}

/** A WebVTT file ready to publish, and how players should list it. */
export interface SubtitleTrackFile {
  /** Published name of the WebVTT file, relative to the manifests: 'subtitles/s0.vtt'. */
  vtt: string;
  /** Published name of its HLS playlist: 'subtitles/s0.m3u8'. */
  playlist: string;
  /** Local file holding the WebVTT text. */
  localPath: string;
  /** BCP 47 tag, 'und' when unknown. */
  language: string;
  label: string;
}

interface PublishedSubtitle extends Omit<SubtitleTrackFile, 'localPath'> {
  bytes: number;
}

export interface RenditionSummary {
  dir: string;
  kind: 'video' | 'audio';
  /** Video only: which ladder the rendition belongs to. */
  family?: VideoCodecFamily;
  codec: string;
  width?: number;
  height?: number;
  frameRate?: number;
  peakBps: number;
  averageBps: number;
  durationSec: number;
  segmentCount: number;
  initUri: string;
  segmentUris: string[];
}

/**
 * Peak segment bit rate (Apple HLS authoring spec). A runt segment — the last few audio frames,
 * 20 ms carrying a whole moof header — would inflate it absurdly, so segments shorter than half
 * the target are left out unless nothing else exists.
 */
function peakBitrate(segments: PublishedSegment[], targetSec: number): number {
  const full = segments.filter((s) => s.durationSec >= targetSec / 2);
  const measured = full.length > 0 ? full : segments;
  return Math.max(0, ...measured.map((s) => (s.bytes * 8) / Math.max(s.durationSec, 0.001)));
}

function fpsString(rung: VideoRung): string {
  return rung.fps.den === 1 ? String(rung.fps.num) : `${rung.fps.num}/${rung.fps.den}`;
}

export class LadderPublisher {
  private readonly renditions: RenditionState[];
  private readonly startedAt = new Date();
  private manifestsWritten = false;
  private finished = false;
  private subtitles: PublishedSubtitle[] = [];

  constructor(private readonly options: LadderPublisherOptions) {
    const dirs = renditionDirs(options.plan);
    const blank = { initUri: null, codec: null, timescale: 0, segments: [], playlistText: null };
    const { plan } = options;
    this.renditions = [
      ...plan.video.map((rung, i) => ({ ...blank, segments: [], dir: dirs.video[i]!, kind: 'video' as const, family: 'h264' as const, rung })),
      ...dirs.extra.flatMap((ladder) =>
        ladder.rungs.map(({ index, dir }) => ({ ...blank, segments: [], dir, kind: 'video' as const, family: ladder.codec, rung: plan.video[index]! })),
      ),
      ...plan.audio.map((audio, i) => ({ ...blank, segments: [], dir: dirs.audio[i]!, kind: 'audio' as const, audio })),
    ];
  }

  /**
   * The manifests of a ladder whose segments are all stored already, from their recorded lists:
   * media playlists (VOD), the static MPD, then the master. Every rendition of the plan must be given.
   */
  static async publishRecorded(options: LadderPublisherOptions & { renditions: RecordedRendition[] }): Promise<LadderPublisher> {
    const publisher = new LadderPublisher(options);
    for (const state of publisher.renditions) {
      const recorded = options.renditions.find((r) => r.dir === state.dir);
      if (!recorded || recorded.segments.length === 0) throw new Error(`no recorded segments for rendition ${state.dir}`);
      state.initUri = recorded.initUri;
      state.codec = recorded.codec;
      state.timescale = recorded.timescale;
      state.segments = [...recorded.segments];
      state.playlistText = writeMediaPlaylist({ initUri: recorded.initUri, segments: recorded.segments });
    }
    await publisher.writeManifests(true);
    publisher.manifestsWritten = true;
    publisher.finished = true;
    return publisher;
  }

  /** Publishes what ffmpeg finished since the last call; `final` marks the manifests as VOD. */
  async sync(final: boolean): Promise<SyncResult> {
    let added = 0;
    for (const rendition of this.renditions) added += await this.syncRendition(rendition);
    const ready = this.renditions.every((r) => r.segments.length > 0);
    // Manifests are rewritten only when they would say something new.
    if (ready && (added > 0 || final || !this.manifestsWritten)) {
      await this.writeManifests(final);
      this.manifestsWritten = true;
      this.finished = final;
    }
    const publishedSec = Math.min(...this.renditions.map((r) => r.segments.reduce((s, x) => s + x.durationSec, 0)));
    return { playable: ready, publishedSec: Number.isFinite(publishedSec) ? publishedSec : 0 };
  }

  /** Seconds the finished stream lasts: its longest rendition, as the MPD declares. */
  durationSec(): number {
    return Math.max(0, ...this.summaries().map((s) => s.durationSec));
  }

  /**
   * Publishes subtitle tracks beside a finished ladder: each WebVTT file, then its playlist, then
   * the MPD and the master playlist naming them all (master last, as everywhere here).
   */
  async publishSubtitles(tracks: SubtitleTrackFile[]): Promise<void> {
    if (!this.finished) throw new Error('subtitles are published once the ladder is finished');
    const { store } = this.options;
    const durationSec = this.durationSec();
    const published: PublishedSubtitle[] = [];
    for (const track of tracks) {
      const text = await readFile(track.localPath);
      await store.putBytes(this.key(track.vtt), text);
      // The playlist sits beside its file, so it names it without the folder.
      const uri = path.posix.relative(path.posix.dirname(track.playlist), track.vtt);
      await store.putBytes(this.key(track.playlist), writeSubtitlePlaylist({ uri, durationSec }));
      const { localPath: _local, ...rest } = track;
      published.push({ ...rest, bytes: text.length });
    }
    this.subtitles = published;
    await store.putBytes(this.key(DASH_MANIFEST), this.buildMpd(true));
    await store.putBytes(this.key(MASTER_PLAYLIST), this.buildMaster());
  }

  summaries(): RenditionSummary[] {
    return this.renditions.map((r) => {
      const durationSec = r.segments.reduce((s, x) => s + x.durationSec, 0);
      const bytes = r.segments.reduce((s, x) => s + x.bytes, 0);
      return {
        dir: r.dir,
        kind: r.kind,
        family: r.family,
        codec: r.codec ?? '',
        width: r.rung?.width,
        height: r.rung?.height,
        frameRate: r.rung ? r.rung.fps.num / r.rung.fps.den : undefined,
        peakBps: peakBitrate(r.segments, this.options.plan.segmentSeconds),
        averageBps: durationSec > 0 ? (bytes * 8) / durationSec : 0,
        durationSec,
        segmentCount: r.segments.length,
        initUri: r.initUri ?? '',
        segmentUris: r.segments.map((s) => s.uri),
      };
    });
  }

  private key(relative: string): string {
    return `${this.options.keyPrefix}${relative}`;
  }

  /** Publishes the rendition's new segments; resolves with how many there were. */
  private async syncRendition(r: RenditionState): Promise<number> {
    const dir = path.join(this.options.workDir, r.dir);
    let text: string;
    try {
      text = await readFile(path.join(dir, 'index.m3u8'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0; // nothing written yet
      throw err;
    }
    const playlist = parseMediaPlaylist(text);
    if (!playlist.initUri) throw new Error(`${r.dir}/index.m3u8 has no EXT-X-MAP`);
    if (r.initUri === null) {
      const init = await readFile(path.join(dir, playlist.initUri));
      const info = readInitSegment(init);
      await this.options.store.putBytes(this.key(`${r.dir}/${playlist.initUri}`), init);
      r.initUri = playlist.initUri;
      r.codec = info.codec;
      r.timescale = info.timescale;
    }
    const fresh = playlist.segments.slice(r.segments.length);
    for (const segment of fresh) {
      const data = await readFile(path.join(dir, segment.uri));
      await this.options.store.putBytes(this.key(`${r.dir}/${segment.uri}`), data);
      r.segments.push({
        uri: segment.uri,
        durationSec: segment.durationSec,
        bytes: data.length,
        decodeTime: readSegmentDecodeTime(data),
      });
    }
    r.playlistText = text;
    return fresh.length;
  }

  private async writeManifests(final: boolean): Promise<void> {
    const { store } = this.options;
    for (const r of this.renditions) {
      const text = final ? toVodPlaylist(r.playlistText!) : r.playlistText!;
      await store.putBytes(this.key(`${r.dir}/index.m3u8`), text);
    }
    await store.putBytes(this.key(DASH_MANIFEST), this.buildMpd(final));
    await store.putBytes(this.key(MASTER_PLAYLIST), this.buildMaster());
  }

  private buildMaster(): string {
    const summaries = this.summaries();
    return writeMasterPlaylist({
      video: summaries
        .filter((s) => s.kind === 'video')
        .map((s) => ({
          uri: `${s.dir}/index.m3u8`,
          peakBps: s.peakBps,
          averageBps: s.averageBps,
          codec: s.codec,
          width: s.width!,
          height: s.height!,
          frameRate: s.frameRate!,
          score: FAMILY_PREFERENCE.length - FAMILY_PREFERENCE.indexOf(s.family!),
        })),
      audio: this.renditions
        .filter((r) => r.kind === 'audio')
        .map((r) => {
          const s = summaries.find((x) => x.dir === r.dir)!;
          return {
            uri: `${r.dir}/index.m3u8`,
            peakBps: s.peakBps,
            averageBps: s.averageBps,
            codec: s.codec,
            channels: r.audio!.channels,
            language: r.audio!.language,
            name: r.audio!.label,
            default: r.audio!.default,
          };
        }),
      subtitles: this.subtitles.map((s) => ({ uri: s.playlist, name: s.label, language: s.language })),
    });
  }

  private buildMpd(final: boolean): string {
    const summaries = this.summaries();
    const representations: DashRepresentation[] = this.renditions.map((r) => {
      const timeline: TimelineEntry[] = r.segments.map((s, i) => {
        const next = r.segments[i + 1];
        const d = next ? next.decodeTime - s.decodeTime : Math.round(s.durationSec * r.timescale);
        return { t: s.decodeTime, d };
      });
      const firstUri = r.segments[0]!.uri;
      const numbered = /^(.*?)(\d+)(\.m4s)$/.exec(firstUri);
      if (!numbered) throw new Error(`unexpected segment name ${firstUri}`);
      const [, stem, digits, ext] = numbered;
      const base = {
        id: r.dir,
        codec: r.codec!,
        bandwidthBps: summaries.find((s) => s.dir === r.dir)!.peakBps,
        timescale: r.timescale,
        initialization: `${r.dir}/${r.initUri}`,
        media: `${r.dir}/${stem}$Number%0${digits!.length}d$${ext}`,
        startNumber: Number(digits),
        timeline,
      };
      return r.kind === 'video'
        ? { ...base, kind: 'video', width: r.rung!.width, height: r.rung!.height, frameRate: fpsString(r.rung!), group: r.family }
        : {
            ...base,
            kind: 'audio',
            sampleRate: r.audio!.sampleRate,
            channels: r.audio!.channels,
            language: r.audio!.language,
            label: r.audio!.label,
            default: r.audio!.default,
          };
    });
    const durationSec = Math.max(...summaries.map((s) => s.durationSec));
    return writeMpd({
      type: final ? 'static' : 'dynamic',
      durationSec,
      segmentSeconds: this.options.plan.segmentSeconds,
      representations,
      videoGroupPriority: FAMILY_PREFERENCE,
      textTracks: this.subtitles.map((s) => ({
        id: path.posix.basename(s.vtt, '.vtt'),
        url: s.vtt,
        language: s.language,
        label: s.label,
        bandwidthBps: (s.bytes * 8) / Math.max(durationSec, 0.001),
      })),
      availabilityStartTime: this.startedAt,
      publishTime: new Date(),
    });
  }
}
