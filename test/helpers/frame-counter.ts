/**
 * A clip whose every frame says which frame it is, robustly enough to survive any rung's encode:
 * two flat 160×160 blocks in the top-left corner carry the frame number in base 55 (luma 16 + 4·digit,
 * flat blocks compress almost exactly), over a moving test pattern. Reading the blocks back from a
 * rendition gives the source frame behind each output frame, so a test can say not only how many
 * frames there are but that they are the right ones, in order. Sync markers ride along: at marker
 * frames a 1 kHz burst starts in the audio (test/helpers/av-sync.ts finds it), so the frame with
 * that number and the burst must coincide.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { cachedFfmpegOutput } from './media.js';
import type { FetchedRendition } from './av-sync.js';

const run = promisify(execFile);

export const COUNTER_FPS = { num: 30000, den: 1001 };

/** Largest frame number the two blocks can carry. */
export const MAX_COUNTED_FRAMES = 55 * 55;

export function frameCounterClip(options: { seconds: number; markerFrames: number[]; width?: number; height?: number }): string {
  const { seconds, markerFrames, width = 854, height = 480 } = options;
  const fps = `${COUNTER_FPS.num}/${COUNTER_FPS.den}`;
  const frameSec = COUNTER_FPS.den / COUNTER_FPS.num;
  const beeps = markerFrames.map((n) => `between(t,${(n * frameSec).toFixed(6)},${(n * frameSec + 0.05).toFixed(6)})`).join('+');
  const block = (digit: string, x: number, input: string, output: string) =>
    `${input}split[${output}a][${output}b];[${output}b]crop=160:160:0:0,geq=lum='16+4*${digit}':cb=128:cr=128[${output}c];[${output}a][${output}c]overlay=${x}:0`;
  return cachedFfmpegOutput(`frame-counter-${seconds}s-${width}x${height}-${markerFrames.join('_')}.mp4`, [
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
    '-f', 'lavfi', '-i', `aevalsrc='if(${beeps},0.5*sin(2*PI*1000*t),0.01*sin(2*PI*200*t))':s=48000:d=${seconds}`,
    '-filter_complex', `${block('mod(N\\,55)', 0, '[0:v]', 'x')}[lo];${block('mod(floor(N/55)\\,55)', 160, '[lo]', 'y')}[v]`,
    '-map', '[v]', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '250', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k',
  ]);
}

/** The source frame number shown by each frame of a rendition, in presentation order. */
export async function frameCounters(rendition: FetchedRendition, scratchFile: string): Promise<number[]> {
  await writeFile(scratchFile, Buffer.concat([rendition.init, ...rendition.segments]));
  // 32×18 area-averaged grey: each block covers ≥ 5×6 pixels whatever the rung's size.
  const { stdout } = await run('ffmpeg', [
    '-v', 'error', '-i', scratchFile, '-an', '-vf', 'scale=32:18:flags=area,format=gray', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-',
  ], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  const raw = stdout as unknown as Buffer;
  const frameBytes = 32 * 18;
  const counters: number[] = [];
  // Full-range grey of limited-range luma 16 + 4·d: d = grey · 219/255 / 4.
  const digit = (frame: number, x: number) => Math.round((raw[frame * frameBytes + 2 * 32 + x]! * 219) / 255 / 4);
  for (let f = 0; (f + 1) * frameBytes <= raw.length; f++) counters.push(digit(f, 8) * 55 + digit(f, 2));
  return counters;
}
