/**
 * Subtitles from the upload: every text subtitle stream (SubRip, ASS/SSA, MP4 timed text, WebVTT,
 * plain text) becomes one WebVTT file, `subtitles/s<N>.vtt`, which the HLS master (a SUBTITLES group)
 * and the DASH MPD (a text AdaptationSet) list with its language and a label for captions menus.
 * Bitmap subtitles (PGS, DVD, DVB) are pictures of text: only OCR could make WebVTT of them, which
 * StreamForge does not do, so they are skipped and the reason recorded.
 *
 * Timing: the cues must meet the picture on the stream's timeline, which is not the source's. ffmpeg
 * writes the cues on the source's own clock (`-copyts`); the ladder places the first frame at the
 * presentation time of its first CMAF segment (0: segments use negative composition offsets, see
 * ladder-command.ts; it was the B-frame delay before). So every cue moves by (first frame in the
 * stream − first frame in the source), and the
 * WebVTT file is then on the media timeline itself: hls.js and Safari (no offset from
 * X-TIMESTAMP-MAP), dash.js (sidecar cues at face value) and a plain <track> all read it as is.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FfmpegError } from '../errors.js';
import { lastMeaningfulLine, runProcess } from '../media/ffmpeg-process.js';
import type { MediaInfo, SubtitleStreamInfo } from '../media/media-info.js';
import { readInitSegment, readSegmentPresentationTime } from '../media/mp4-boxes.js';
import type { ProcessLimits } from '../media/process-limits.js';
import { demuxerOf } from './ladder-command.js';
import { languageName, languageTag, TrackLabels } from './track-language.js';
import { retimeWebVtt } from './webvtt.js';

/** Folder of the subtitle files and playlists, beside the manifests. */
export const SUBTITLES_DIR = 'subtitles';

/** Codecs ffmpeg decodes to text and re-encodes as WebVTT. */
export const TEXT_SUBTITLE_CODECS: ReadonlySet<string> = new Set(['subrip', 'srt', 'ass', 'ssa', 'mov_text', 'webvtt', 'text']);
/** Subtitles stored as images. */
export const BITMAP_SUBTITLE_CODECS: ReadonlySet<string> = new Set(['hdmv_pgs_subtitle', 'dvd_subtitle', 'dvb_subtitle', 'xsub']);

/** A text track to publish (and, once published, what the video record keeps of it). */
export interface SubtitleTrack {
  /** Stream index in the source. */
  sourceIndex: number;
  codec: string;
  /** BCP 47 ('en' for the container's 'eng'), 'und' when unknown. */
  language: string;
  label: string;
  /** Published names, relative to the manifests: 'subtitles/s0.vtt', 'subtitles/s0.m3u8'. */
  vtt: string;
  playlist: string;
}

export interface SkippedSubtitle {
  sourceIndex: number;
  codec: string;
  language: string;
  reason: string;
}

export interface SubtitlePlan {
  tracks: SubtitleTrack[];
  skipped: SkippedSubtitle[];
}

/** The BCP 47 tag of a subtitle track (shared with audio renditions: track-language.ts). */
export const subtitleLanguage = languageTag;
export { languageName };

/**
 * Which subtitle streams become tracks, in source order, numbered s0, s1… over the text tracks.
 * Labels name the language, else the track's position ("Track 2"); two tracks of one language are
 * told apart by number ("English", "English (2)"), because HLS names must be unique in their group.
 */
export function planSubtitles(streams: SubtitleStreamInfo[]): SubtitlePlan {
  const tracks: SubtitleTrack[] = [];
  const skipped: SkippedSubtitle[] = [];
  const labels = new TrackLabels();
  for (const stream of streams) {
    const language = subtitleLanguage(stream.language);
    if (!TEXT_SUBTITLE_CODECS.has(stream.codec)) {
      const reason = BITMAP_SUBTITLE_CODECS.has(stream.codec)
        ? `${stream.codec} subtitles are images of text; making text of them would need OCR, which is not done`
        : `${stream.codec} subtitles are not converted (text formats converted: ${[...TEXT_SUBTITLE_CODECS].join(', ')})`;
      skipped.push({ sourceIndex: stream.index, codec: stream.codec, language, reason });
      continue;
    }
    const n = tracks.length;
    const label = labels.next(languageName(language) ?? `Track ${n + 1}`);
    tracks.push({
      sourceIndex: stream.index,
      codec: stream.codec,
      language,
      label,
      vtt: `${SUBTITLES_DIR}/s${n}.vtt`,
      playlist: `${SUBTITLES_DIR}/s${n}.m3u8`,
    });
  }
  return { tracks, skipped };
}

/** The first segment (and its init) of the ladder's top rung: where the stream's first frame is shown. */
export interface FirstVideoSegment {
  init: Buffer;
  segment: Buffer;
}

/**
 * Seconds to add to a source timestamp to reach the stream's timeline (see the module comment).
 * Audio-only streams start at the source's first timestamp (the ladder's `aresample first_pts=0`),
 * so they only lose the container's start time.
 */
export function subtitleTimelineOffset(media: MediaInfo, firstVideo: FirstVideoSegment | null): number {
  if (!media.video || !firstVideo) return 0 - media.startSec; // 0 - 0 is 0, not -0
  const { timescale } = readInitSegment(firstVideo.init);
  return readSegmentPresentationTime(firstVideo.segment) / timescale - media.video.startSec;
}

export interface MakeSubtitlesOptions {
  ffmpegPath: string;
  inputPath: string;
  media: MediaInfo;
  tracks: SubtitleTrack[];
  /** From subtitleTimelineOffset. */
  offsetSec: number;
  /** The stream's duration: cues past it are cut. */
  endSec: number;
  /** Work directory; the WebVTT files are written under it as each track's `vtt` name. */
  workDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
  processLimits?: ProcessLimits;
}

export interface MadeSubtitle {
  track: SubtitleTrack;
  localPath: string;
  cueCount: number;
}

export interface MakeSubtitlesResult {
  made: MadeSubtitle[];
  /** Text tracks ffmpeg could not convert, or that hold no cue within the video. */
  failed: SkippedSubtitle[];
}

/**
 * Converts the text tracks with one ffmpeg run (the file is demuxed once however many tracks it
 * has); when that run fails, each track gets its own, so one broken track costs only itself.
 * Time-outs and aborts are not a track's fault and are thrown.
 */
export async function makeSubtitles(options: MakeSubtitlesOptions): Promise<MakeSubtitlesResult> {
  const { tracks, workDir } = options;
  const failed: SkippedSubtitle[] = [];
  if (tracks.length === 0) return { made: [], failed };
  const outDir = path.join(workDir, SUBTITLES_DIR);
  await mkdir(outDir, { recursive: true });
  const rawName = (track: SubtitleTrack) => `${path.posix.basename(track.vtt, '.vtt')}.source.vtt`;

  let converted = tracks;
  try {
    await convert(options, tracks, outDir, rawName);
  } catch (err) {
    if (!isConversionFailure(err)) throw err;
    converted = [];
    for (const track of tracks) {
      try {
        await convert(options, [track], outDir, rawName);
        converted.push(track);
      } catch (trackErr) {
        if (!isConversionFailure(trackErr)) throw trackErr;
        const detail = lastMeaningfulLine(trackErr.stderrTail) || trackErr.message;
        failed.push({ ...skippedOf(track), reason: `ffmpeg could not convert it to WebVTT: ${detail}` });
      }
    }
  }

  const made: MadeSubtitle[] = [];
  for (const track of converted) {
    const source = await readFile(path.join(outDir, rawName(track)), 'utf8');
    const retimed = retimeWebVtt(source, { offsetSec: options.offsetSec, endSec: options.endSec });
    if (retimed.cueCount === 0) {
      failed.push({ ...skippedOf(track), reason: 'it holds no cue within the video' });
      continue;
    }
    const localPath = path.join(workDir, track.vtt);
    await writeFile(localPath, retimed.text);
    made.push({ track, localPath, cueCount: retimed.cueCount });
  }
  return { made, failed };
}

function skippedOf(track: SubtitleTrack): Omit<SkippedSubtitle, 'reason'> {
  return { sourceIndex: track.sourceIndex, codec: track.codec, language: track.language };
}

/** ffmpeg ran and refused (a bad track), as opposed to missing, timed out or aborted. */
function isConversionFailure(err: unknown): err is FfmpegError {
  return err instanceof FfmpegError && (err.exitCode !== null || err.signal !== null);
}

async function convert(
  options: MakeSubtitlesOptions,
  tracks: SubtitleTrack[],
  outDir: string,
  rawName: (track: SubtitleTrack) => string,
): Promise<void> {
  const outputs = tracks.flatMap((track) => ['-map', `0:${track.sourceIndex}`, '-c:s', 'webvtt', '-f', 'webvtt', rawName(track)]);
  await runProcess({
    command: options.ffmpegPath,
    args: [
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
      // Cue times on the source's own clock; subtitleTimelineOffset maps that clock to the stream's.
      '-copyts',
      '-protocol_whitelist', 'file', '-f', demuxerOf(options.media), '-i', `file:${options.inputPath}`,
      ...outputs,
    ],
    // Output names relative to cwd: the data dir's path may hold characters ffmpeg would parse.
    cwd: outDir,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    limits: options.processLimits,
  });
}
