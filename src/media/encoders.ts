/**
 * Which H.264 encoder the ladder uses. Debian's ffmpeg lists hardware encoders (NVENC, QSV, VAAPI)
 * whether or not the machine has the hardware, so "listed" proves nothing: each candidate is tried
 * at start-up on a tenth of a second of generated video, and the first that really encodes wins.
 * Anything else — not configured, not listed, no device, driver error — falls back to libx264.
 */
import { existsSync } from 'node:fs';
import { runProcess } from './ffmpeg-process.js';

export type HardwareAccel = 'nvenc' | 'qsv' | 'vaapi';
export type HardwareSetting = 'none' | 'auto' | HardwareAccel;

export interface H264Encoder {
  /** ffmpeg encoder name: libx264, h264_nvenc, h264_qsv or h264_vaapi. */
  name: string;
  hardware: HardwareAccel | null;
}

export const SOFTWARE_H264: H264Encoder = { name: 'libx264', hardware: null };

const ENCODER_OF: Record<HardwareAccel, string> = { nvenc: 'h264_nvenc', qsv: 'h264_qsv', vaapi: 'h264_vaapi' };
export const VAAPI_DEVICE = '/dev/dri/renderD128';

/** Encoder names from `ffmpeg -encoders` output. */
export function parseEncoderList(output: string): Set<string> {
  const names = new Set<string>();
  for (const line of output.split('\n')) {
    const match = /^\s[VAS][.A-Z]{5}\s+(\S+)/.exec(line);
    if (match) names.add(match[1]!);
  }
  return names;
}

/** The test encode of one hardware encoder (also what the ladder needs to feed it frames). */
export function hardwareTestArgs(accel: HardwareAccel): string[] {
  const input = ['-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=10:duration=0.1'];
  const upload = accel === 'vaapi' ? ['-vaapi_device', VAAPI_DEVICE, ...input, '-vf', 'format=nv12,hwupload'] : input;
  return ['-hide_banner', '-nostdin', '-loglevel', 'error', ...upload, '-c:v', ENCODER_OF[accel], '-f', 'null', '-'];
}

export interface EncoderDetection {
  encoder: H264Encoder;
  /** What was tried and why each candidate was or was not used, for the start-up log. */
  tried: Array<{ accel: HardwareAccel; usable: boolean; reason: string }>;
}

export async function detectH264Encoder(options: { ffmpegPath: string; setting: HardwareSetting; timeoutMs?: number }): Promise<EncoderDetection> {
  if (options.setting === 'none') return { encoder: SOFTWARE_H264, tried: [] };
  const candidates: HardwareAccel[] = options.setting === 'auto' ? ['nvenc', 'qsv', 'vaapi'] : [options.setting];
  const listing = await runProcess({ command: options.ffmpegPath, args: ['-hide_banner', '-encoders'], timeoutMs: 10_000, captureStdout: true });
  const listed = parseEncoderList(listing.stdout);
  const tried: EncoderDetection['tried'] = [];
  for (const accel of candidates) {
    if (!listed.has(ENCODER_OF[accel])) {
      tried.push({ accel, usable: false, reason: `this ffmpeg has no ${ENCODER_OF[accel]}` });
      continue;
    }
    if (accel === 'vaapi' && !existsSync(VAAPI_DEVICE)) {
      tried.push({ accel, usable: false, reason: `no ${VAAPI_DEVICE}` });
      continue;
    }
    try {
      await runProcess({ command: options.ffmpegPath, args: hardwareTestArgs(accel), timeoutMs: options.timeoutMs ?? 15_000 });
      tried.push({ accel, usable: true, reason: 'test encode succeeded' });
      return { encoder: { name: ENCODER_OF[accel], hardware: accel }, tried };
    } catch (err) {
      tried.push({ accel, usable: false, reason: `test encode failed: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  return { encoder: SOFTWARE_H264, tried };
}
