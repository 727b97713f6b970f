/**
 * Single frames out of a published rendition without reading all of it: the media playlist says
 * which segment holds a time (EXTINF durations from the first frame), and that one CMAF segment
 * behind its init segment is a small fragmented MP4 ffmpeg can seek in. Used by the image API (one
 * frame on demand) and the thumbnails stage (N frames, ONE ffmpeg with N seeking inputs).
 *
 * Times are seconds from the rendition's first frame. A time is normalised to the frame shown at
 * that instant (renditions are CFR: the ladder's `fps` filter), so 12.001 and 12.02 at 25 fps are the
 * same frame — the same image, the same cache entry.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { runProcess } from '../../media/ffmpeg-process.js';
import type { Rational } from '../../media/media-info.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { playlistFiles } from '../stages/published-rendition.js';

export interface TimelineSegment {
  uri: string;
  startSec: number;
  durationSec: number;
}

export interface SegmentTimeline {
  initUri: string;
  segments: TimelineSegment[];
  durationSec: number;
}

/** Segments of a media playlist we wrote, with start times summed from their EXTINF durations. */
export function parseSegmentTimeline(playlist: string): SegmentTimeline {
  const { initUri, segmentUris } = playlistFiles(playlist);
  const durations = [...playlist.matchAll(/^#EXTINF:([0-9.]+)/gm)].map((m) => Number(m[1]));
  if (durations.length !== segmentUris.length) throw new Error('media playlist: EXTINF and segment counts differ');
  let startSec = 0;
  const segments = segmentUris.map((uri, i) => {
    const segment = { uri, startSec, durationSec: durations[i]! };
    startSec += durations[i]!;
    return segment;
  });
  if (segments.length === 0) throw new Error('media playlist has no segments');
  return { initUri, segments, durationSec: startSec };
}

/** `renditionPrefix` = `videos/<id>/<version>/v0/`. */
export async function readSegmentTimeline(store: BlobStore, renditionPrefix: string): Promise<SegmentTimeline> {
  return parseSegmentTimeline((await store.getBytes(`${renditionPrefix}index.m3u8`)).toString('utf8'));
}

export interface FramePosition {
  /** Frame number from the first frame. */
  frameIndex: number;
  /** That frame's own time. */
  timeSec: number;
  segmentIndex: number;
  /** Where to seek in the segment file (ffmpeg `-ss` is relative to the file's first frame). */
  offsetSec: number;
}

/** The frame on screen at `timeSec` (clamped into the rendition), and where it is. */
export function locateFrame(timeline: SegmentTimeline, fps: Rational, timeSec: number): FramePosition {
  const rate = fps.num / fps.den;
  const lastFrame = Math.max(0, Math.round(timeline.durationSec * rate) - 1);
  const frameIndex = Math.min(lastFrame, Math.max(0, Math.floor(timeSec * rate + 1e-6)));
  const frameTime = frameIndex / rate;
  const segmentIndex = segmentIndexAt(timeline, frameTime);
  // Half a frame early: the first frame at or after the seek point is then exactly this one.
  const offsetSec = Math.max(0, frameTime - timeline.segments[segmentIndex]!.startSec - 0.5 / rate);
  return { frameIndex, timeSec: Math.round(frameTime * 1000) / 1000, segmentIndex, offsetSec };
}

/** Index of the segment that holds `timeSec` (clamped into the rendition). */
export function segmentIndexAt(timeline: SegmentTimeline, timeSec: number): number {
  let index = 0;
  timeline.segments.forEach((s, i) => {
    if (s.startSec <= timeSec + 1e-6) index = i;
  });
  return index;
}

/**
 * Writes init + media segments `fromIndex`…`toIndex` of `renditionPrefix` to `outPath`: a valid
 * fragmented MP4 whose first frame is segment `fromIndex`'s (ffmpeg's `-ss` counts from there).
 */
export async function writeSegmentRange(options: {
  store: BlobStore;
  renditionPrefix: string;
  timeline: SegmentTimeline;
  fromIndex: number;
  toIndex?: number;
  outPath: string;
}): Promise<string> {
  const { store, renditionPrefix, timeline, fromIndex } = options;
  const toIndex = options.toIndex ?? fromIndex;
  const segments = timeline.segments.slice(fromIndex, toIndex + 1);
  if (segments.length === 0) throw new Error(`no segments ${fromIndex}–${toIndex}`);
  const out = await open(options.outPath, 'w');
  try {
    for (const uri of [timeline.initUri, ...segments.map((s) => s.uri)]) {
      // Our playlists name files beside themselves; anything else is not ours to read.
      if (uri !== path.posix.basename(uri)) throw new Error(`unexpected segment URI ${uri}`);
      await out.write(await store.getBytes(`${renditionPrefix}${uri}`));
    }
  } finally {
    await out.close();
  }
  return options.outPath;
}

export type ImageFormat = 'jpg' | 'png' | 'webp';

export const IMAGE_CONTENT_TYPES: Readonly<Record<ImageFormat, string>> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

const ENCODERS: Readonly<Record<ImageFormat | 'rgb24', string[]>> = {
  // q 2–3 is visually lossless for mjpeg; full-range YUV is what JPEG viewers expect.
  jpg: ['-c:v', 'mjpeg', '-q:v', '3', '-pix_fmt', 'yuvj420p', '-f', 'image2'],
  png: ['-c:v', 'png', '-pix_fmt', 'rgb24', '-f', 'image2'],
  webp: ['-c:v', 'libwebp', '-quality', '80', '-pix_fmt', 'yuv420p', '-f', 'image2'],
  rgb24: ['-c:v', 'rawvideo', '-pix_fmt', 'rgb24', '-f', 'rawvideo'],
};

export interface FrameOutput {
  /** A segment file (writeSegmentFile) or a whole rendition file. */
  inputPath: string;
  offsetSec: number;
  outPath: string;
  format: ImageFormat | 'rgb24';
  /** Filter chain for this output (scale, crop, pad), or none for the frame as it is. */
  filter?: string;
}

/** Every frame in one ffmpeg: one seeking input per output (inputs may name the same file). */
export async function renderFrames(options: { ffmpegPath: string; outputs: FrameOutput[]; timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  if (options.outputs.length === 0) return;
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
  for (const o of options.outputs) {
    args.push('-protocol_whitelist', 'file', '-f', 'mov', '-ss', o.offsetSec.toFixed(4), '-i', `file:${o.inputPath}`);
  }
  options.outputs.forEach((o, i) => {
    args.push('-map', `${i}:v:0`, '-frames:v', '1');
    if (o.filter) args.push('-vf', o.filter);
    // -update: one image, and the name is never read as an image2 pattern (a '%' in the data dir).
    args.push(...ENCODERS[o.format], ...(o.format === 'rgb24' ? [] : ['-update', '1']), `file:${o.outPath}`);
  });
  await runProcess({ command: options.ffmpegPath, args, timeoutMs: options.timeoutMs, signal: options.signal });
  for (const o of options.outputs) {
    // ffmpeg exits 0 having written nothing when the seek lands past the last frame.
    const written = await stat(o.outPath).catch(() => null);
    if (!written || written.size === 0) throw new Error(`no frame at ${o.offsetSec.toFixed(3)} s into ${path.basename(o.inputPath)}`);
  }
}
