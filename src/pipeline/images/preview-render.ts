/**
 * The preview files in ONE ffmpeg over the chosen span of a published rung (decoded once, `split`):
 * the preview clip (H.264/AAC MP4, faststart), an animated WebP (looping, small) of the liveliest
 * part of it, and — on request — the same frames as a GIF (palettegen/paletteuse: one palette for
 * the whole animation, `stats_mode=diff` so moving parts get the colours).
 */
import path from 'node:path';
import { runProcess } from '../../media/ffmpeg-process.js';

export const PREVIEW_CLIP = 'preview.mp4';
export const PREVIEW_WEBP = 'preview.webp';
export const PREVIEW_GIF = 'preview.gif';

/** A local fMP4 (init + the segments around the span) and where the span starts in it. */
export interface PreviewInput {
  path: string;
  /** Seconds from the file's first sample to the span's start (ffmpeg `-ss`). */
  seekSec: number;
}

export interface PreviewRenderOptions {
  ffmpegPath: string;
  video: PreviewInput;
  /** The default audio rendition, or null for a video without audio. */
  audio: PreviewInput | null;
  durationSec: number;
  /** Relative to the clip's start. */
  animated: { startSec: number; durationSec: number; fps: number; width: number };
  gif: boolean;
  outDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export function previewCommand(options: PreviewRenderOptions): string[] {
  const { animated, durationSec } = options;
  const input = (i: PreviewInput) => [
    '-protocol_whitelist', 'file', '-f', 'mov', '-ss', Math.max(0, i.seekSec).toFixed(3), '-t', durationSec.toFixed(3), '-i', `file:${i.path}`,
  ];
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...input(options.video), ...(options.audio ? input(options.audio) : [])];
  const animatedChain =
    `trim=start=${animated.startSec.toFixed(3)}:duration=${animated.durationSec.toFixed(3)},setpts=PTS-STARTPTS,` +
    `fps=${animated.fps},scale=${animated.width}:-2:flags=lanczos,setsar=1`;
  const graph = [
    `[0:v]setpts=PTS-STARTPTS,split=2[clipin][animin]`,
    '[clipin]setsar=1,format=yuv420p[clip]',
    options.gif ? `[animin]${animatedChain},split=3[webp][gifa][gifb]` : `[animin]${animatedChain}[webp]`,
    ...(options.gif ? ['[gifa]palettegen=stats_mode=diff[palette]', '[gifb][palette]paletteuse=dither=bayer:bayer_scale=4[gif]'] : []),
  ].join(';');
  args.push('-filter_complex', graph);
  args.push(
    '-map', '[clip]', ...(options.audio ? ['-map', '1:a:0'] : []),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    ...(options.audio ? ['-c:a', 'aac', '-b:a', '128k', '-ac', '2'] : []),
    '-t', durationSec.toFixed(3), '-movflags', '+faststart', '-f', 'mp4', path.join(options.outDir, PREVIEW_CLIP),
    '-map', '[webp]', '-c:v', 'libwebp_anim', '-lossless', '0', '-quality', '70', '-compression_level', '4',
    '-loop', '0', '-f', 'webp', path.join(options.outDir, PREVIEW_WEBP),
  );
  if (options.gif) args.push('-map', '[gif]', '-loop', '0', '-f', 'gif', path.join(options.outDir, PREVIEW_GIF));
  return args;
}

export async function renderPreview(options: PreviewRenderOptions): Promise<string[]> {
  await runProcess({ command: options.ffmpegPath, args: previewCommand(options), timeoutMs: options.timeoutMs, signal: options.signal });
  return [PREVIEW_CLIP, PREVIEW_WEBP, ...(options.gif ? [PREVIEW_GIF] : [])];
}
