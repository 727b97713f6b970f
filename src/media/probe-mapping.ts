/**
 * ffprobe JSON (+ a packet scan) → MediaInfo, as pure functions, so every quirk of real files is unit
 * tested without running ffprobe. ffprobe.ts runs the processes; this file decides what the numbers
 * mean, and rejects what we will not process with a reason a user can act on.
 *
 * Trust rules, learnt from the corpus in ../shared/media (see SOURCES.md there):
 * - Duration: the container header, unless the packets disagree (fragmented MP4: header 143165 s,
 *   packets 1.07 s) — then the packets. A header whose own sample index lists frames that are not in the
 *   file is a truncated upload and is rejected.
 * - Frame rate: avg_frame_rate, unless it exceeds r_frame_rate (Matroska/FLV without a default
 *   duration report their 1 kHz time base there) — then packets per second.
 * - Bit rates: measured from packet sizes when a scan is available.
 */
import { z } from 'zod';
import { MediaLimitError, UnsupportedMediaError } from '../errors.js';
import type { AudioStreamInfo, HdrTransfer, MediaInfo, Rational, SubtitleStreamInfo, VideoStreamInfo } from './media-info.js';
import { allowedFormatLabels, describeDemuxer, isAllowedDemuxer } from './demuxers.js';
import type { PacketScan, StreamPacketStats } from './packet-scan.js';
import { approximateRational, parseRational, rationalToNumber, snapToStandardRate } from './rational.js';

export interface MediaLimits {
  maxWidth: number;
  maxHeight: number;
  /** Coded width × height. */
  maxPixels: number;
  maxDurationSec: number;
  /** Highest real average frame rate. */
  maxFps: number;
}

/** The defaults of config.ts (mediaMax*), for callers without a configuration. */
export const DEFAULT_MEDIA_LIMITS: Readonly<MediaLimits> = {
  maxWidth: 8192,
  maxHeight: 8192,
  maxPixels: 8192 * 4320,
  maxDurationSec: 12 * 60 * 60,
  maxFps: 240,
};

const numberish = z.union([z.string(), z.number()]).optional();

const streamSchema = z.object({
  index: z.number().int(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  profile: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  sample_aspect_ratio: z.string().optional(),
  pix_fmt: z.string().optional(),
  bits_per_raw_sample: numberish,
  field_order: z.string().optional(),
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  start_time: numberish,
  duration: numberish,
  bit_rate: numberish,
  nb_frames: numberish,
  color_transfer: z.string().optional(),
  color_primaries: z.string().optional(),
  color_space: z.string().optional(),
  sample_rate: numberish,
  channels: z.number().optional(),
  channel_layout: z.string().optional(),
  disposition: z.record(z.string(), z.number()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  side_data_list: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const ffprobeOutputSchema = z.object({
  streams: z.array(streamSchema).default([]),
  format: z.object({
    format_name: z.string(),
    start_time: numberish,
    duration: numberish,
    size: numberish,
    bit_rate: numberish,
  }),
});

export type FfprobeOutput = z.output<typeof ffprobeOutputSchema>;
export type FfprobeStream = FfprobeOutput['streams'][number];

/** Parses `ffprobe -print_format json -show_format -show_streams` output. */
export function parseFfprobeJson(stdout: string): FfprobeOutput {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new UnsupportedMediaError('ffprobe produced no readable description of the file');
  }
  const parsed = ffprobeOutputSchema.safeParse(json);
  if (!parsed.success) {
    throw new UnsupportedMediaError('ffprobe recognised no container format in the file');
  }
  return parsed.data;
}

/** A positive finite number from ffprobe's strings ('N/A', '0', missing → null). */
function positive(value: string | number | undefined): number | null {
  if (value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** A time that may be zero or negative (start times), or null when absent. */
function finite(value: string | number | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function known(value: string | undefined): string | null {
  return value && value !== 'unknown' && value !== 'N/A' ? value : null;
}

function language(stream: FfprobeStream): string | null {
  const tag = stream.tags?.language ?? stream.tags?.LANGUAGE;
  return tag && tag !== 'und' ? tag : null;
}

const seconds = (s: number) => `${s < 1 ? s.toFixed(3) : s < 10 ? s.toFixed(2) : Math.round(s)} s`;

/** The stream a player shows: first flagged default, else first; cover art is not video. */
export function selectStreams(probe: FfprobeOutput): {
  video: FfprobeStream | null;
  audio: FfprobeStream[];
  subtitles: FfprobeStream[];
} {
  const videos = probe.streams.filter((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const video = videos.find((s) => s.disposition?.default) ?? videos[0] ?? null;
  const audio = probe.streams.filter((s) => s.codec_type === 'audio');
  // Stable sort: the default-flagged track first, so audio[0] is the one to publish.
  audio.sort((a, b) => (b.disposition?.default ?? 0) - (a.disposition?.default ?? 0));
  const subtitles = probe.streams.filter((s) => s.codec_type === 'subtitle');
  return { video, audio, subtitles };
}

/** The decoder's last complaint, without the `[vp9 @ 0x…]` prefix or any path. */
function decoderComplaint(log: string | undefined): string | null {
  const lines = (log ?? '')
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]*\]\s*/, '').trim())
    .filter((l) => l && !/^Last message repeated/.test(l) && !/file:|\//.test(l));
  return lines.at(-1) ?? null;
}

function isDecodableVideo(stream: FfprobeStream): boolean {
  return Boolean(known(stream.codec_name) && known(stream.pix_fmt) && positive(stream.width) && positive(stream.height));
}

function isDecodableAudio(stream: FfprobeStream): boolean {
  return Boolean(known(stream.codec_name) && positive(stream.sample_rate) && positive(stream.channels));
}

/**
 * The checks that need only the header: allowed format, something to play, decodable, within the size
 * limits. ffprobe.ts runs them before the (longer) packet scan.
 */
export function checkProbeHeader(probe: FfprobeOutput, limits: MediaLimits, decoderLog?: string): void {
  const formatName = probe.format.format_name;
  if (!isAllowedDemuxer(formatName)) {
    throw new UnsupportedMediaError(
      `${describeDemuxer(formatName)} is not accepted; upload a video or audio file (${allowedFormatLabels()})`,
    );
  }
  const { video, audio } = selectStreams(probe);
  if (!video && audio.length === 0) {
    const found = probe.streams.map((s) => (s.disposition?.attached_pic ? 'cover image' : (s.codec_type ?? 'unknown')));
    throw new UnsupportedMediaError(
      `the file has no audio or video stream${found.length ? ` (it holds: ${found.join(', ')})` : ''}`,
    );
  }
  // Declared dimensions first: a decompression bomb often fails to decode, and its size is the reason.
  if (video) {
    const width = video.width ?? 0;
    const height = video.height ?? 0;
    if (width > limits.maxWidth) {
      throw new MediaLimitError(`video width ${width} px exceeds the limit of ${limits.maxWidth} px`);
    }
    if (height > limits.maxHeight) {
      throw new MediaLimitError(`video height ${height} px exceeds the limit of ${limits.maxHeight} px`);
    }
    if (width * height > limits.maxPixels) {
      throw new MediaLimitError(
        `video frame ${width}x${height} (${width * height} pixels) exceeds the limit of ${limits.maxPixels} pixels`,
      );
    }
  }
  if (video && !isDecodableVideo(video)) {
    const complaint = decoderComplaint(decoderLog);
    throw new UnsupportedMediaError(
      `the ${known(video.codec_name) ?? 'unknown-codec'} video stream cannot be decoded` +
        (complaint ? ` (decoder: ${complaint})` : ' (no decoder for it, or its frames are invalid)'),
    );
  }
  if (!video && !audio.some(isDecodableAudio)) {
    const codecs = audio.map((a) => known(a.codec_name) ?? 'unknown').join(', ');
    throw new UnsupportedMediaError(`the audio stream (${codecs}) cannot be decoded`);
  }
}

/** Clockwise rotation a player applies: display matrix (ffprobe prints it counter-clockwise), else the old `rotate` tag. */
export function rotationOf(stream: FfprobeStream): 0 | 90 | 180 | 270 {
  let clockwise: number | null = null;
  for (const side of stream.side_data_list ?? []) {
    if (typeof side.rotation === 'number' && Number.isFinite(side.rotation)) clockwise = -side.rotation;
  }
  if (clockwise === null) {
    const tag = Number(stream.tags?.rotate);
    if (Number.isFinite(tag)) clockwise = tag;
  }
  // Players (and ffmpeg's autorotate) only turn by quarter turns; a matrix of 89.9° means 90°.
  const quarter = ((Math.round((clockwise ?? 0) / 90) % 4) + 4) % 4;
  return ([0, 90, 180, 270] as const)[quarter] ?? 0;
}

export function bitDepthOf(pixelFormat: string, bitsPerRawSample?: string | number): number {
  const raw = positive(bitsPerRawSample);
  if (raw) return raw;
  const deep = /(?:p|gray|f|y)(\d{2})(?:le|be)?$/.exec(pixelFormat) ?? /^p0(\d{2})/.exec(pixelFormat);
  if (deep?.[1]) return Number(deep[1]);
  if (/^(rgb|bgr)(48|a64)/.test(pixelFormat) || /^rgba64/.test(pixelFormat)) return 16;
  return 8;
}

export function chromaOf(pixelFormat: string): string {
  const yuv = /^yuv[aj]?(4\d\d)/.exec(pixelFormat);
  if (yuv?.[1]) return yuv[1];
  if (/^(nv12|nv21|p010|p016)/.test(pixelFormat)) return '420';
  if (/^(nv16|nv20|p210|p216|y210|yuyv|uyvy)/.test(pixelFormat)) return '422';
  if (/^(nv24|nv42|p410|p416|ayuv|vuya|xv30|xv36)/.test(pixelFormat)) return '444';
  if (/^(gbr|rgb|bgr|argb|abgr|0rgb|0bgr|x2rgb|x2bgr)/.test(pixelFormat)) return 'rgb';
  if (/^(gray|ya)/.test(pixelFormat)) return 'gray';
  return 'unknown';
}

function hdrOf(transfer: string | null): HdrTransfer {
  if (transfer === 'smpte2084') return 'pq';
  if (transfer === 'arib-std-b67') return 'hlg';
  return null;
}

/**
 * Real average frame rate and its exact rational. avg_frame_rate is the rate of the file as stored; it
 * can never exceed r_frame_rate (the finest timestamp grid) unless it is not a rate at all, which is
 * what Matroska and FLV report when they know no frame duration. Then we count packets per second.
 */
export function frameRateOf(
  stream: FfprobeStream,
  stats: StreamPacketStats | undefined,
): { fps: number; rational: Rational; nominalFps: number; measured: boolean } | null {
  const r = parseRational(stream.r_frame_rate);
  const avg = parseRational(stream.avg_frame_rate);
  const plausibleAvg = avg && (!r || rationalToNumber(avg) <= rationalToNumber(r) * 1.01) ? avg : null;
  let fps: number;
  let exact: Rational | null;
  let measured = false;
  const span = stats && stats.firstSec !== null && stats.lastSec !== null ? stats.lastSec - stats.firstSec : 0;
  if (plausibleAvg) {
    fps = rationalToNumber(plausibleAvg);
    exact = plausibleAvg;
  } else if (stats && stats.packets >= 2 && span > 0) {
    fps = (stats.packets - 1) / span;
    exact = null;
    measured = true;
  } else if (r) {
    fps = rationalToNumber(r);
    exact = r;
  } else {
    return null;
  }
  // Within 1 % of a standard rate is timestamp jitter (phones), or ms-rounded timestamps (Matroska).
  const rational = snapToStandardRate(fps, 0.01) ?? exact ?? approximateRational(fps);
  return { fps, rational, nominalFps: r ? rationalToNumber(r) : fps, measured };
}

export interface MapProbeOptions {
  probe: FfprobeOutput;
  /** Packet scan of the same file; without it, header values are trusted as they are. */
  packets?: PacketScan;
  sizeBytes: number;
  limits?: Partial<MediaLimits>;
  /** ffprobe's stderr (decoder complaints), used in the reason for an undecodable stream. */
  decoderLog?: string;
}

/** Bytes over time span of the packets — unless their timestamps cover too little of the file to trust. */
function bitrateFromPackets(stats: StreamPacketStats | undefined, durationSec: number): number | null {
  if (!stats || stats.firstSec === null || stats.endSec === null) return null;
  const span = stats.endSec - stats.firstSec;
  // The AVI in the corpus stamps 2 s of MP3 within 0.05 s; its header's 128 kbit/s is the truth there.
  if (span < durationSec * 0.5 || stats.bytes === 0) return null;
  return Math.round((stats.bytes * 8) / span);
}

/**
 * A stream whose own index (MP4 sample tables: frame count, and bytes = bit_rate × duration) describes
 * far more than the file holds was cut off: an interrupted upload or copy. We reject rather than
 * publish the fragment as if it were the video. The fragmented MP4 passes: its duration is bogus, but
 * so is its bit rate (5 bit/s), and their product matches the bytes present.
 */
function assertNotTruncated(stream: FfprobeStream, stats: StreamPacketStats | undefined): void {
  const presentPackets = stats?.packets ?? 0;
  const presentBytes = stats?.bytes ?? 0;
  // Audio frame counts are not packet counts (PCM counts samples; AVI headers lie), so frames: video only.
  const indexedFrames = stream.codec_type === 'video' ? positive(stream.nb_frames) : null;
  const streamSec = positive(stream.duration);
  const bitrate = positive(stream.bit_rate);
  const indexedBytes = streamSec !== null && bitrate !== null ? (bitrate * streamSec) / 8 : null;
  const framesMissing = indexedFrames !== null && presentPackets < indexedFrames * 0.75 - 2;
  const bytesMissing = indexedBytes !== null && presentBytes < indexedBytes * 0.75 - 16384;
  if (!framesMissing && !bytesMissing) return;
  const claimed = framesMissing ? `${indexedFrames} frames` : megabytes(indexedBytes ?? 0);
  const present =
    presentBytes === 0 ? 'none of it is' : framesMissing ? `only ${presentPackets} are` : `only ${megabytes(presentBytes)} is`;
  throw new UnsupportedMediaError(
    `the file is truncated: its index describes ${streamSec !== null ? `${seconds(streamSec)} of ` : ''}` +
      `${stream.codec_type} (${claimed}) but ${present} present — the upload is probably incomplete`,
  );
}

function megabytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1000)} kB`;
}

/** Duration from the header unless the packets tell another story; rejects truncated files. */
function durationOf(
  probe: FfprobeOutput,
  streams: FfprobeStream[],
  packets: PacketScan | undefined,
): { durationSec: number; fromHeader: boolean } {
  const headerSec = positive(probe.format.duration);
  if (!packets) {
    if (headerSec === null) throw new UnsupportedMediaError('the file has no known duration');
    return { durationSec: headerSec, fromHeader: true };
  }
  for (const stream of streams) assertNotTruncated(stream, packets.get(stream.index));
  let first = Infinity;
  let end = -Infinity;
  for (const stream of streams) {
    const stats = packets.get(stream.index);
    if (stats?.firstSec != null && stats.endSec != null) {
      first = Math.min(first, stats.firstSec);
      end = Math.max(end, stats.endSec);
    }
  }
  const totalPackets = streams.reduce((n, s) => n + (packets.get(s.index)?.packets ?? 0), 0);
  if (totalPackets === 0) throw new UnsupportedMediaError('the file holds no audio or video data');
  const scannedSec = end > first ? end - first : null;
  if (scannedSec === null) {
    if (headerSec === null) throw new UnsupportedMediaError('the file has zero or unknown duration');
    return { durationSec: headerSec, fromHeader: true };
  }
  if (headerSec !== null && Math.abs(headerSec - scannedSec) <= Math.max(0.5, 0.05 * scannedSec)) {
    return { durationSec: headerSec, fromHeader: true };
  }
  return { durationSec: scannedSec, fromHeader: false };
}

function mapVideo(
  stream: FfprobeStream,
  stats: StreamPacketStats | undefined,
  durationSec: number,
  audioBitrateBps: number,
  formatBitrateBps: number | null,
  formatStartSec: number,
): VideoStreamInfo {
  const pixelFormat = stream.pix_fmt ?? 'unknown';
  const codedWidth = stream.width ?? 0;
  const codedHeight = stream.height ?? 0;
  const rotation = rotationOf(stream);
  const sar = parseRational(stream.sample_aspect_ratio);
  const sarWidth = sar ? Math.round((codedWidth * sar.num) / sar.den) : codedWidth;
  const turned = rotation === 90 || rotation === 270;
  const rate = frameRateOf(stream, stats);
  if (!rate) throw new UnsupportedMediaError(`the ${stream.codec_name} video stream has no frame rate`);
  const fieldOrder = known(stream.field_order);
  const colorTransfer = known(stream.color_transfer);
  const headerBitrate = positive(stream.bit_rate);
  const bitrateBps =
    bitrateFromPackets(stats, durationSec) ??
    headerBitrate ??
    (formatBitrateBps !== null && formatBitrateBps > audioBitrateBps ? formatBitrateBps - audioBitrateBps : null);
  return {
    index: stream.index,
    codec: stream.codec_name ?? 'unknown',
    profile: known(stream.profile),
    pixelFormat,
    bitDepth: bitDepthOf(pixelFormat, stream.bits_per_raw_sample),
    chroma: chromaOf(pixelFormat),
    codedWidth,
    codedHeight,
    rotation,
    displayWidth: turned ? codedHeight : sarWidth,
    displayHeight: turned ? sarWidth : codedHeight,
    startSec: finite(stream.start_time) ?? stats?.firstSec ?? formatStartSec,
    fps: rate.fps,
    fpsRational: rate.rational,
    nominalFps: rate.nominalFps,
    isVfr: Math.abs(rate.fps - rate.nominalFps) / rate.nominalFps > 0.01,
    bitrateBps,
    interlaced: fieldOrder !== null && fieldOrder !== 'progressive',
    fieldOrder,
    colorTransfer,
    colorPrimaries: known(stream.color_primaries),
    colorSpace: known(stream.color_space),
    hdr: hdrOf(colorTransfer),
  };
}

function mapAudio(stream: FfprobeStream, stats: StreamPacketStats | undefined, durationSec: number): AudioStreamInfo {
  return {
    index: stream.index,
    codec: stream.codec_name ?? 'unknown',
    profile: known(stream.profile),
    channels: stream.channels ?? 0,
    channelLayout: known(stream.channel_layout),
    sampleRate: positive(stream.sample_rate) ?? 0,
    language: language(stream),
    bitrateBps: bitrateFromPackets(stats, durationSec) ?? positive(stream.bit_rate),
  };
}

/**
 * MediaInfo from ffprobe's description and packet scan. Throws UnsupportedMediaError (what we cannot
 * process, and why) or MediaLimitError (what exceeds a configured limit, naming it).
 */
export function mapProbeToMediaInfo(options: MapProbeOptions): MediaInfo {
  const { probe, packets, sizeBytes, decoderLog } = options;
  const limits: MediaLimits = { ...DEFAULT_MEDIA_LIMITS, ...options.limits };
  checkProbeHeader(probe, limits, decoderLog);
  const selected = selectStreams(probe);
  const audioStreams = selected.audio.filter(isDecodableAudio);
  const avStreams = [...(selected.video ? [selected.video] : []), ...audioStreams];

  const { durationSec, fromHeader } = durationOf(probe, avStreams, packets);
  if (selected.video && packets && (packets.get(selected.video.index)?.packets ?? 0) === 0) {
    throw new UnsupportedMediaError(`the ${selected.video.codec_name} video stream holds no frames`);
  }
  if (durationSec > limits.maxDurationSec) {
    throw new MediaLimitError(
      `duration ${seconds(durationSec)} exceeds the limit of ${seconds(limits.maxDurationSec)}` +
        ` (${(limits.maxDurationSec / 3600).toFixed(1)} h)`,
    );
  }
  const startSec = finite(probe.format.start_time) ?? 0;
  const formatBitrateBps = fromHeader ? positive(probe.format.bit_rate) : Math.round((sizeBytes * 8) / durationSec);
  const audio = audioStreams.map((s) => mapAudio(s, packets?.get(s.index), durationSec));
  const audioBitrateBps = audio.reduce((sum, a) => sum + (a.bitrateBps ?? 0), 0);

  let video: VideoStreamInfo | null = null;
  if (selected.video) {
    const stats = packets?.get(selected.video.index);
    video = mapVideo(selected.video, stats, durationSec, audioBitrateBps, formatBitrateBps, startSec);
    if (video.fps > limits.maxFps) {
      // 30 frames stamped within 0.05 s of a 1.2 s file is a broken muxer, not a fast camera; the corpus
      // has two (r_frame_rate 600). Transcoding would keep a 0.05 s flash of video: reject, saying why.
      const span = stats && stats.firstSec !== null && stats.lastSec !== null ? stats.lastSec - stats.firstSec : null;
      if (stats && span !== null && stats.packets >= 10 && span < 0.25 * durationSec) {
        throw new UnsupportedMediaError(
          `the video timestamps are broken: ${stats.packets} frames are stamped within ${seconds(span)}` +
            ` of a ${seconds(durationSec)} file (${Math.round(video.fps)} fps)`,
        );
      }
      throw new MediaLimitError(`frame rate ${Math.round(video.fps)} fps exceeds the limit of ${limits.maxFps} fps`);
    }
  }
  const subtitles: SubtitleStreamInfo[] = selected.subtitles.map((s) => ({
    index: s.index,
    codec: s.codec_name ?? 'unknown',
    language: language(s),
  }));
  return {
    container: probe.format.format_name,
    durationSec,
    startSec,
    sizeBytes,
    bitrateBps: formatBitrateBps,
    video,
    audio,
    subtitles,
  };
}
