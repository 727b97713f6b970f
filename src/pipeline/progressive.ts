/**
 * The download/fallback file and the poster, made from what the ladder already encoded (no second
 * encode): a rung's CMAF init + segments concatenated are a valid fragmented MP4, which ffmpeg
 * remuxes (stream copy) with the audio into a faststart MP4; the poster is one frame of it.
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runProcess } from '../media/ffmpeg-process.js';
import type { ProcessLimits } from '../media/process-limits.js';

export interface FragmentedTrack {
  /** Directory holding the init and segment files. */
  dir: string;
  initUri: string;
  segmentUris: string[];
}

/** Init + media segments of one rendition, concatenated: a valid fragmented MP4 any demuxer reads. */
export async function writeFragmentedFile(track: FragmentedTrack, outPath: string): Promise<void> {
  const out = await open(outPath, 'w');
  try {
    // Segments are a few MB each: whole-file reads keep this simple and fast.
    for (const uri of [track.initUri, ...track.segmentUris]) await out.write(await readFile(path.join(track.dir, uri)));
  } finally {
    await out.close();
  }
}

export interface ProgressiveOptions {
  ffmpegPath: string;
  workDir: string;
  video: FragmentedTrack | null;
  audio: FragmentedTrack | null;
  /** Output file (.mp4 with video, .m4a for audio only). */
  outPath: string;
  timeoutMs: number;
  signal?: AbortSignal;
  processLimits?: ProcessLimits;
}

export async function makeProgressiveFile(options: ProgressiveOptions): Promise<void> {
  const inputs: string[] = [];
  const maps: string[] = [];
  for (const [name, track] of [['video', options.video], ['audio', options.audio]] as const) {
    if (!track) continue;
    const file = path.join(options.workDir, `progressive-${name}.mp4`);
    await writeFragmentedFile(track, file);
    maps.push('-map', `${maps.length / 2}:0`);
    inputs.push('-protocol_whitelist', 'file', '-f', 'mov', '-i', `file:${file}`);
  }
  await runProcess({
    command: options.ffmpegPath,
    args: ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...inputs, ...maps, '-c', 'copy', '-movflags', '+faststart', options.outPath],
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    limits: options.processLimits,
  });
}

export interface PosterOptions {
  ffmpegPath: string;
  /** A progressive MP4 (already rotated, tone-mapped, yuv420p). */
  inputPath: string;
  atSec: number;
  outPath: string;
  timeoutMs: number;
  signal?: AbortSignal;
  processLimits?: ProcessLimits;
}

export async function makePoster(options: PosterOptions): Promise<void> {
  await runProcess({
    command: options.ffmpegPath,
    args: [
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
      '-protocol_whitelist', 'file', '-f', 'mov', '-ss', options.atSec.toFixed(3), '-i', `file:${options.inputPath}`,
      // The most representative of the next 60 frames (ffmpeg's `thumbnail` filter, histogram-based),
      // so a fade or a black frame at that instant does not become the poster.
      '-vf', 'thumbnail=60', '-frames:v', '1', '-q:v', '3', '-update', '1', options.outPath,
    ],
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    limits: options.processLimits,
  });
}
