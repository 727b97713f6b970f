/**
 * The benchmarks' shared source: `seconds` of 1080p30 that is hard to compress — a moving test
 * pattern under strong temporal noise, ≈ 80 Mb/s like a camera file — with a tone. Made once and
 * cached in bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const resultsDir = path.join(benchRoot, 'bench', 'results');

export function benchSource(seconds) {
  mkdirSync(resultsDir, { recursive: true });
  const source = path.join(resultsDir, `source-${seconds}s-1080p30.mp4`);
  if (!existsSync(source)) {
    console.error(`generating ${seconds} s 1080p30 noisy source…`);
    execFileSync('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-f', 'lavfi',
      '-i', 'sine=frequency=300:sample_rate=48000', '-t', String(seconds), '-vf', 'noise=alls=30:allf=t+u',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '26', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', source,
    ]);
  }
  return source;
}
