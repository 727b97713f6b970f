/**
 * The benchmarks' shared source: `seconds` of 1080p30 that is hard to compress — a moving test
 * pattern under strong temporal noise, ≈ 80 Mb/s like a camera file — with a tone. Made once and
 * cached in bench/results/. `noise` (default 30, ffmpeg's `noise=alls`) makes it lighter (8: a
 * grainy camera file, faster to transcode), so long sources fit in one sitting (bench/chunked takes
 * BENCH_SOURCE_NOISE for its 10-minute runs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const resultsDir = path.join(benchRoot, 'bench', 'results');

export function benchSource(seconds, { noise = 30 } = {}) {
  mkdirSync(resultsDir, { recursive: true });
  const source = path.join(resultsDir, `source-${seconds}s-1080p30${noise === 30 ? '' : `-noise${noise}`}.mp4`);
  if (!existsSync(source)) {
    console.error(`generating ${seconds} s 1080p30 source (noise ${noise})…`);
    execFileSync('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-f', 'lavfi',
      '-i', 'sine=frequency=300:sample_rate=48000', '-t', String(seconds), '-vf', `noise=alls=${noise}:allf=t+u`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '26', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', source,
    ]);
  }
  return source;
}
