/**
 * Content-based interlace detection with ffmpeg's `idet`: containers often say "progressive" for
 * interlaced video (or say nothing), so the probe's field_order alone misses it. idet classifies a
 * sample of frames from the middle of the video; its multi-frame counts are robust to single
 * odd frames.
 */
import { runProcess } from './ffmpeg-process.js';

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
  const fields = tff + bff;
  // Interlaced when a clear share of the decided frames are: a few interlaced-looking frames in
  // progressive video (fast motion, sharp horizontal detail) must not trigger deinterlacing.
  const interlaced = fields >= 10 && fields > 0.25 * (fields + progressive);
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
  });
  return parseIdet(result.stderrTail);
}
