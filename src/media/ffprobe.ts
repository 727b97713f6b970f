/**
 * probeMedia: what is in an uploaded file, measured by ffprobe, or a precise reason why we will not
 * process it. Two runs: the header (`-show_format -show_streams`, JSON) and a demux-only pass over every
 * packet (no decoding) that checks the header's claims — see probe-mapping.ts for what is trusted when.
 *
 * Safety (docs: ../shared/FIELD-NOTES.md): ffprobe may only read the one file (`-protocol_whitelist
 * file`, input `file:` + an absolute path we chose) and only through allowed demuxers
 * (`-format_whitelist`, demuxers.ts), so a playlist or concat script renamed `.mp4` opens nothing else.
 * Both runs share one time budget and are killed (SIGKILL after grace) when it runs out.
 *
 * Cost: the packet scan reads the whole file without decoding, ≈ 13 µs of CPU per packet measured here
 * (≈ 1 s for 10 min of 60 fps video + AAC, ≈ 7 s for a 2-hour 30 fps film). Budget `timeoutMs` by the
 * file's size or claimed duration; a TimeoutError is not a verdict on the file.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FfmpegError, UnsupportedMediaError } from '../errors.js';
import { allowedFormatLabels, describeDemuxer, formatWhitelist, rejectedDemuxerFromStderr } from './demuxers.js';
import { runProcess } from './ffmpeg-process.js';
import type { MediaInfo } from './media-info.js';
import type { ProcessLimits } from './process-limits.js';
import { PACKET_SCAN_ENTRIES, PACKET_SCAN_WRITER, PacketScan } from './packet-scan.js';
import {
  DEFAULT_MEDIA_LIMITS,
  type MediaLimits,
  checkProbeHeader,
  mapProbeToMediaInfo,
  parseFfprobeJson,
} from './probe-mapping.js';

export interface ProbeMediaOptions {
  ffprobePath: string;
  /** Absolute path of a file StreamForge wrote (never a user-supplied name or URL). */
  filePath: string;
  /** Budget for both ffprobe runs together. */
  timeoutMs: number;
  signal?: AbortSignal;
  limits?: Partial<MediaLimits>;
  /** Memory and CPU caps of each ffprobe process (process-limits.ts). */
  processLimits?: ProcessLimits;
}

/** Arguments every ffprobe run on untrusted input starts with. */
function safeInputArgs(): string[] {
  return ['-v', 'error', '-protocol_whitelist', 'file', '-format_whitelist', formatWhitelist()];
}

export async function probeMedia(options: ProbeMediaOptions): Promise<MediaInfo> {
  const { ffprobePath, filePath, signal } = options;
  if (!path.isAbsolute(filePath)) throw new TypeError(`probeMedia needs an absolute path, got ${filePath}`);
  const limits: MediaLimits = { ...DEFAULT_MEDIA_LIMITS, ...options.limits };
  const deadline = Date.now() + options.timeoutMs;
  const remainingMs = () => Math.max(1, deadline - Date.now());

  const info = await stat(filePath);
  if (!info.isFile()) throw new UnsupportedMediaError('the upload is not a regular file');
  if (info.size === 0) throw new UnsupportedMediaError('the file is empty (0 bytes)');

  const input = `file:${filePath}`;
  const header = await runProbe(filePath, () =>
    runProcess({
      command: ffprobePath,
      args: [...safeInputArgs(), '-print_format', 'json', '-show_format', '-show_streams', input],
      timeoutMs: remainingMs(),
      signal,
      captureStdout: true,
      limits: options.processLimits,
    }),
  );
  const probe = parseFfprobeJson(header.stdout);
  // Fail fast on what the header alone decides, before reading the whole file.
  checkProbeHeader(probe, limits, header.stderrTail);

  const packets = new PacketScan();
  await runProbe(filePath, () =>
    runProcess({
      command: ffprobePath,
      args: [...safeInputArgs(), '-show_entries', PACKET_SCAN_ENTRIES, '-of', PACKET_SCAN_WRITER, input],
      timeoutMs: remainingMs(),
      signal,
      onStdoutLine: (line) => packets.addLine(line),
      limits: options.processLimits,
    }),
  );

  return mapProbeToMediaInfo({ probe, packets, sizeBytes: info.size, limits, decoderLog: header.stderrTail });
}

/** Runs one ffprobe; turns "ffprobe refused this file" into UnsupportedMediaError with the reason. */
async function runProbe<T>(filePath: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    // Not found, timed out, aborted: our problem, not the file's — let the caller retry or report.
    if (!(err instanceof FfmpegError) || err.exitCode === null) throw err;
    throw new UnsupportedMediaError(reasonFromStderr(err.stderrTail, filePath), { cause: err });
  }
}

/** A reason a user can act on, from ffprobe's stderr, with our paths removed. */
export function reasonFromStderr(stderr: string, filePath: string): string {
  const demuxer = rejectedDemuxerFromStderr(stderr);
  if (demuxer) {
    return `${describeDemuxer(demuxer)} is not accepted; upload a video or audio file (${allowedFormatLabels()})`;
  }
  if (/Protocol '?[^']*'? not on whitelist/i.test(stderr)) {
    return 'the file refers to other files or URLs, which is not allowed';
  }
  const lines = stderr
    .split('\n')
    .map((l) => l.split(`file:${filePath}`).join('input').split(filePath).join('input').trim())
    .filter(Boolean);
  // The demuxer's own complaint ("moov atom not found") says more than ffprobe's summary line.
  const detail = lines
    .find((l) => /^\[[^\]]+ @ 0x[0-9a-f]+\]/.test(l))
    ?.replace(/^\[[^\]]+\]\s*/, '');
  if (/Invalid data found when processing input/.test(stderr)) {
    return `not a recognised video or audio file${detail ? ` (${detail})` : ''}`;
  }
  const last = (lines.at(-1) ?? 'unknown error').slice(0, 300);
  return `ffprobe could not read the file: ${last}`;
}
