/**
 * Test clips for the image stages, made once per machine (test-artifacts/generated) and reused: a
 * 20 s 640×360 clip whose spans are known to be good or bad thumbnail material, with one stretch of
 * fast cuts for the preview clip to find. Spans are in seconds from the first frame.
 */
import { cachedFfmpegOutput } from './media.js';

export const TRAP_CLIP_SECONDS = 20;

/** Where no thumbnail worth showing exists: black, deep in a fade (under half brightness), blurred. */
export const TRAP_BAD_SPANS: ReadonlyArray<{ from: number; to: number; what: string }> = [
  { from: 0, to: 2, what: 'black' },
  { from: 2, to: 2.75, what: 'fade-in from black' },
  { from: 5, to: 8, what: 'heavily blurred' },
  { from: 10.5, to: 11, what: 'fade-out to black' },
  { from: 11, to: 12, what: 'black' },
];

/** Ten different shots of 0.4 s (10 frames) each: the busiest stretch of the clip by far. */
export const TRAP_ACTIVE_SPAN = { from: 12, to: 16 };

const ACTIVE_SHOTS = ['testsrc', 'rgbtestsrc', 'yuvtestsrc', 'smptebars', 'pal75bars', 'testsrc2', 'pal100bars', 'smptehdbars', 'mandelbrot', 'rgbtestsrc'];

export function thumbnailTrapClip(): string {
  const size = 's=640x360:r=25';
  const sources = [
    `color=black:${size}:d=2`,
    // 2–5: sharp, colourful, fading in from black until 3.5.
    `mandelbrot=${size},trim=duration=3,fade=t=in:st=0:d=1.5`,
    // 5–8: the same kind of pattern, blurred beyond use.
    `testsrc2=${size},trim=duration=3,boxblur=20:4`,
    // 8–11: sharp bars, fading out to black from 10.
    `smptehdbars=${size},trim=duration=3,fade=t=out:st=2:d=1`,
    `color=black:${size}:d=1`,
    // 12–16: a cut every 0.4 s (a whole number of frames, so the spans stay exact).
    ...ACTIVE_SHOTS.map((src) => `${src}=${size},trim=duration=0.4`),
    // 16–20: sharp, moving, no cuts.
    `testsrc2=${size},trim=duration=4`,
  ];
  const args: string[] = [];
  for (const source of sources) args.push('-f', 'lavfi', '-i', source);
  args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${TRAP_CLIP_SECONDS}`);
  const inputs = sources.map((_, i) => `[${i}:v]setsar=1,format=yuv420p[s${i}]`).join(';');
  const concat = `${sources.map((_, i) => `[s${i}]`).join('')}concat=n=${sources.length}:v=1:a=0[v]`;
  args.push(
    '-filter_complex', `${inputs};${concat}`,
    '-map', '[v]', '-map', `${sources.length}:a`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
  );
  return cachedFfmpegOutput('image-trap-v2-20s-640x360-25.mp4', args);
}
