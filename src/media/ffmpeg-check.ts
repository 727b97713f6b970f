/**
 * Start-up check that ffmpeg and ffprobe run, so a missing install stops `serve` with a message
 * saying how to fix it instead of failing every upload later.
 */
import { runProcess } from './ffmpeg-process.js';

export class FfmpegMissingError extends Error {
  override name = 'FfmpegMissingError';
}

export interface FfmpegVersions {
  ffmpeg: string;
  ffprobe: string;
}

export async function checkFfmpeg(options: { ffmpegPath: string; ffprobePath: string }): Promise<FfmpegVersions> {
  const versionOf = async (command: string, setting: string): Promise<string> => {
    try {
      const { stdout } = await runProcess({ command, args: ['-hide_banner', '-version'], timeoutMs: 10_000, captureStdout: true });
      return stdout.split('\n')[0]!.trim();
    } catch (err) {
      throw new FfmpegMissingError(
        `cannot run ${command} (${setting}): ${(err as Error).message}. Install ffmpeg ` +
          `(Debian/Ubuntu: apt-get install -y ffmpeg) or point ${setting} at it.`,
      );
    }
  };
  return {
    ffmpeg: await versionOf(options.ffmpegPath, 'FFMPEG_PATH'),
    ffprobe: await versionOf(options.ffprobePath, 'FFPROBE_PATH'),
  };
}
