/**
 * The presentation time of a file's first sample (ffprobe `format=start_time`). Published renditions
 * do not start at 0 — x264's B-frame delay shifts the video by a few frames, AAC priming the audio
 * the other way — so cutting video and audio at the same instant means seeking each by its own start.
 */
import { runProcess } from './ffmpeg-process.js';

export async function mediaStartTime(options: { ffprobePath: string; filePath: string; timeoutMs: number; signal?: AbortSignal }): Promise<number> {
  const { stdout } = await runProcess({
    command: options.ffprobePath,
    args: [
      '-v', 'error', '-protocol_whitelist', 'file', '-f', 'mov',
      '-show_entries', 'format=start_time', '-of', 'csv=p=0', `file:${options.filePath}`,
    ],
    captureStdout: true,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  const start = Number(stdout.trim());
  return Number.isFinite(start) ? start : 0;
}
