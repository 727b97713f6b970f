/**
 * A/V sync measurement. Sources carry sync markers — a white frame (flash) and a 1 kHz burst (beep)
 * at the same instants on the container's clock — with their video and audio streams starting at
 * chosen times, optionally with irregular (VFR) frame times. In a published rendition, the flash is
 * found by decoding the frames and the beep by decoding the samples; both are placed on the timeline
 * an MSE player uses: each sample's tfdt + duration (+ composition offset for video), read from the
 * CMAF segments themselves. Edit lists do not enter it: MSE players ignore them.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { readInitSegment, readSegmentSamples } from '../../src/media/mp4-boxes.js';

const run = promisify(execFile);

export interface SyncSourceOptions {
  /** Output file; its extension picks the container. */
  file: string;
  durationSec: number;
  /** Container times of the markers (flash + beep together). */
  markersSec: number[];
  /** Container time at which the video stream starts (0: with the container). */
  videoStartSec?: number;
  audioStartSec?: number;
  /** Frame times alternate 1/60 s and 1/20 s apart (30 fps on average): a strongly VFR stream. */
  vfr?: boolean;
  /** Audio codec: aac (priming and edit lists, as real MP4s) or pcm_s16le (exact). */
  audioCodec?: 'aac' | 'pcm_s16le';
}

const FPS = 30;

/** Makes a marker source; every marker lands on a frame and a sample exactly. */
export async function makeSyncSource(options: SyncSourceOptions): Promise<string> {
  const { file, durationSec, markersSec, videoStartSec = 0, audioStartSec = 0 } = options;
  const dir = path.dirname(file);
  const stem = path.basename(file, path.extname(file));
  const videoFile = path.join(dir, `${stem}.video.mp4`);
  const audioFile = path.join(dir, `${stem}.audio.mkv`);
  // Marker frames by number: in the VFR pattern frame 2k is at k/15 s, so frame 30·t is at t. The
  // flash lasts two frames: VFR → CFR conversion keeps one frame per output slot, and the second of
  // two frames 1/60 s apart may be the one kept.
  const frames = markersSec.map((t) => Math.round((t - videoStartSec) * FPS));
  const vfr = options.vfr ? ",settb=1/90000,setpts='(floor(N/2)/15+mod(N,2)/60)/TB'" : '';
  await run('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=black:s=640x360:r=${FPS}:d=${durationSec - videoStartSec}`,
    '-vf', `drawbox=c=white:t=fill:enable='${frames.map((n) => `between(n,${n},${n + 1})`).join('+')}'${vfr}`,
    '-fps_mode', 'passthrough', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-enc_time_base', '1/90000', '-video_track_timescale', '90000', videoFile,
  ]);
  const beeps = markersSec.map((t) => `between(t,${(t - audioStartSec).toFixed(6)},${(t - audioStartSec + 0.05).toFixed(6)})`).join('+');
  await run('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `aevalsrc='if(${beeps},0.5*sin(2*PI*1000*t),0.01*sin(2*PI*200*t))':s=48000:d=${durationSec - audioStartSec}`,
    '-c:a', 'pcm_s16le', audioFile,
  ]);
  const codec = options.audioCodec ?? 'aac';
  await run('ffmpeg', [
    '-v', 'error', '-y',
    '-itsoffset', String(videoStartSec), '-i', videoFile,
    '-itsoffset', String(audioStartSec), '-i', audioFile,
    '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', codec, ...(codec === 'aac' ? ['-b:a', '128k'] : []),
    ...(path.extname(file) === '.mp4' || path.extname(file) === '.mov' ? ['-video_track_timescale', '90000'] : []),
    file,
  ]);
  return file;
}

/** A rendition fetched over HTTP: init + media segments, as published. */
export interface FetchedRendition {
  init: Buffer;
  segments: Buffer[];
}

export async function fetchRendition(playlistUrl: string): Promise<FetchedRendition> {
  const playlist = await (await fetch(playlistUrl)).text();
  const base = playlistUrl.slice(0, playlistUrl.lastIndexOf('/') + 1);
  const initUri = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!;
  const uris = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
  const get = async (uri: string) => Buffer.from(await (await fetch(base + uri)).arrayBuffer());
  return { init: await get(initUri), segments: await Promise.all(uris.map(get)) };
}

/** Sample times in seconds on the MSE timeline, in presentation order, and the track's start. */
function timeline(rendition: FetchedRendition): { presentationSec: number[]; startSec: number; timescale: number } {
  const { timescale } = readInitSegment(rendition.init);
  const samples = rendition.segments.flatMap((segment) => readSegmentSamples(segment, rendition.init));
  return {
    presentationSec: samples.map((s) => (s.decodeTime + s.compositionOffset) / timescale).sort((a, b) => a - b),
    startSec: samples[0]!.decodeTime / timescale,
    timescale,
  };
}

async function asFile(rendition: FetchedRendition, file: string): Promise<string> {
  await writeFile(file, Buffer.concat([rendition.init, ...rendition.segments]));
  return file;
}

/** Presentation times of the first frame of each run of white frames. */
export async function flashTimes(rendition: FetchedRendition, scratchFile: string): Promise<number[]> {
  const { presentationSec } = timeline(rendition);
  const { stdout } = await run('ffmpeg', [
    '-v', 'error', '-i', await asFile(rendition, scratchFile), '-an',
    '-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-', '-fps_mode', 'passthrough', '-f', 'null', '-',
  ], { maxBuffer: 64 * 1024 * 1024 });
  const luma = stdout.split('\n').filter((l) => l.includes('YAVG=')).map((l) => Number(l.split('=')[1]));
  if (luma.length !== presentationSec.length) throw new Error(`decoded ${luma.length} frames of ${presentationSec.length}`);
  const times: number[] = [];
  luma.forEach((y, i) => {
    if (y > 128 && !(luma[i - 1]! > 128)) times.push(presentationSec[i]!);
  });
  return times;
}

/** Times of the first loud sample of each burst (priming included, as MSE plays it). */
export async function beepTimes(rendition: FetchedRendition, scratchFile: string): Promise<number[]> {
  const { startSec, timescale } = timeline(rendition);
  const { stdout } = await run('ffmpeg', [
    '-v', 'error', '-ignore_editlist', '1', '-i', await asFile(rendition, scratchFile),
    '-ac', '1', '-ar', String(timescale), '-f', 's16le', '-c:a', 'pcm_s16le', '-',
  ], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  const pcm = stdout as unknown as Buffer;
  const times: number[] = [];
  let lastLoud = -Infinity;
  for (let i = 0; i < pcm.length / 2; i++) {
    if (Math.abs(pcm.readInt16LE(i * 2)) < 4000) continue;
    if (i - lastLoud > timescale * 0.2) times.push(startSec + i / timescale);
    lastLoud = i;
  }
  return times;
}

/** Every video frame's presentation time in seconds on the MSE timeline, in presentation order. */
export function presentationTimes(rendition: FetchedRendition): number[] {
  return timeline(rendition).presentationSec;
}
