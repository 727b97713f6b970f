/**
 * Whether the installed ffmpeg can compute VMAF (its `libvmaf` filter, present only when ffmpeg was
 * built with --enable-libvmaf; Debian's ffmpeg 5.1 is not). The report says so plainly rather than
 * leaving VMAF out without a word.
 */
import { runProcess } from '../media/ffmpeg-process.js';

export type VmafSupport = { available: true } | { available: false; reason: string };

export async function detectVmaf(options: { ffmpegPath: string; signal?: AbortSignal }): Promise<VmafSupport> {
  try {
    const { stdout } = await runProcess({
      command: options.ffmpegPath,
      args: ['-hide_banner', '-filters'],
      timeoutMs: 15_000,
      signal: options.signal,
      captureStdout: true,
    });
    if (/^\s*\S*\s+libvmaf\s/m.test(stdout)) return { available: true };
    return {
      available: false,
      reason: `the installed ffmpeg (${options.ffmpegPath}) was built without libvmaf: \`ffmpeg -filters\` lists no libvmaf filter`,
    };
  } catch (err) {
    return { available: false, reason: `could not list the filters of ${options.ffmpegPath}: ${(err as Error).message}` };
  }
}
