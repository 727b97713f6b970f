/**
 * Content-based interlace detection with ffmpeg's `idet`: containers often say "progressive" for
 * interlaced video (or say nothing), so the probe's field_order alone misses it. idet classifies a
 * sample of frames from the middle of the video; its multi-frame counts are robust to single
 * odd frames.
 */
import { runProcess } from './ffmpeg-process.js';
import type { ProcessLimits } from './process-limits.js';

export interface InterlaceDetection {
  tff: number;
  bff: number;
  progressive: number;
  undetermined: number;
  interlaced: boolean;
  fieldOrder: 'tff' | 'bff' | null;
}

/** Frames classified: enough for a stable verdict, a second or two of decoding. */
const SAMPLE_FRAMES = 240;

/** Parses idet's "Multi frame detection" summary (the last one printed). */
export function parseIdet(stderr: string): InterlaceDetection {
  const lines = stderr.split('\n').filter((l) => l.includes('Multi frame detection'));
  const last = lines.at(-1);
  const count = (label: string) => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(last ?? '')?.[1] ?? 0);
  const tff = count('TFF');
  const bff = count('BFF');
  const progressive = count('Progressive');
  const undetermined = count('Undetermined');
  // Woven fields comb in one consistent order on nearly every moving frame. Progressive video
  // also combs now and then — fine horizontal detail in motion (testsrc2: TFF 88, BFF 88), a tiny
  // frame (161x121: TFF 19, BFF 8), an MPEG-4 ASP AVI (BFF 32 of 87) — but in both orders, or on a
  // minority of frames. So: one order at least 3× the other, and more such frames than progressive.
  const dominant = Math.max(tff, bff);
  const minor = Math.min(tff, bff);
  const interlaced = dominant >= 10 && dominant >= 3 * minor && dominant > progressive;
  return { tff, bff, progressive, undetermined, interlaced, fieldOrder: interlaced ? (tff >= bff ? 'tff' : 'bff') : null };
}

export async function detectInterlace(options: {
  ffmpegPath: string;
  inputPath: string;
  demuxer: string;
  streamIndex: number;
  durationSec: number;
  timeoutMs: number;
  signal?: AbortSignal;
  processLimits?: ProcessLimits;
}): Promise<InterlaceDetection> {
  // From a third in (past intros and black leaders), or the start of a short clip.
  const startSec = options.durationSec > 30 ? options.durationSec / 3 : 0;
  const result = await runProcess({
    command: options.ffmpegPath,
    args: [
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
      '-protocol_whitelist', 'file', '-ss', startSec.toFixed(3), '-f', options.demuxer, '-i', `file:${options.inputPath}`,
      '-map', `0:${options.streamIndex}`, '-an', '-sn', '-dn',
      '-vf', 'idet', '-frames:v', String(SAMPLE_FRAMES), '-f', 'null', '-',
    ],
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    stderrTailBytes: 16_384,
    limits: options.processLimits,
  });
  return parseIdet(result.stderrTail);
}
