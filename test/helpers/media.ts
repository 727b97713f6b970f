/** Paths of the shared real-media corpus and generated test clips. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const mediaDir = process.env.STREAMFORGE_MEDIA_DIR ?? path.resolve(repoRoot, '../shared/media');

export function corpusFile(name: string): string {
  return path.join(mediaDir, name);
}

const generatedDir = path.join(repoRoot, 'test-artifacts', 'generated');

/**
 * `ffmpeg -v error -y ARGS OUT` into test-artifacts/generated/NAME, made once per machine and reused.
 * Test files run in parallel workers and may make the same file at once: each writes its own temp
 * file, and link() — which never replaces an existing file — publishes the first, so a reader that
 * already opened it keeps a stable file.
 */
export function cachedFfmpegOutput(name: string, args: string[]): string {
  mkdirSync(generatedDir, { recursive: true });
  const file = path.join(generatedDir, name);
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp${path.extname(file)}`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, tmp]);
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return file;
}

/**
 * A synthetic clip made once per machine and reused: `seconds` of moving test pattern with a
 * tone, at the given size and rate. Cached by its parameters.
 */
export function generatedClip(options: { seconds: number; width: number; height: number; fps: number; audio?: boolean }): string {
  const { seconds, width, height, fps, audio = true } = options;
  return cachedFfmpegOutput(`clip-${seconds}s-${width}x${height}-${fps}${audio ? '' : '-noaudio'}.mp4`, [
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
    ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : []),
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    ...(audio ? ['-c:a', 'aac', '-shortest'] : []),
  ]);
}

/**
 * A synthetic Matroska clip with one SubRip track per entry of `subtitles`, each holding one cue
 * from 0 to `seconds` with its own text and ISO 639-2 language ('eng', 'fra'), in the given order.
 * Made once per machine, cached by its parameters (the SRT files are written beside it).
 */
export function subtitledClip(options: { seconds: number; width: number; height: number; fps: number; subtitles: Array<{ language: string; text: string }> }): string {
  const { seconds, width, height, fps, subtitles } = options;
  const key = createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 12);
  const end = `00:${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')},000`;
  mkdirSync(generatedDir, { recursive: true });
  const srtFiles = subtitles.map(({ text }, i) => {
    const file = path.join(generatedDir, `subs-${key}-${i}.srt`);
    // Written aside and renamed: another worker may be reading the same file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `1\n00:00:00,000 --> ${end}\n${text}\n\n`);
    renameSync(tmp, file);
    return file;
  });
  return cachedFfmpegOutput(`clip-${seconds}s-${width}x${height}-${fps}-subs-${key}.mkv`, [
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
    ...srtFiles.flatMap((file) => ['-i', file]),
    '-t', String(seconds),
    '-map', '0:v',
    ...srtFiles.flatMap((_, i) => ['-map', `${i + 1}:s`]),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-c:s', 'srt',
    ...subtitles.flatMap(({ language }, i) => [`-metadata:s:s:${i}`, `language=${language}`]),
  ]);
}
