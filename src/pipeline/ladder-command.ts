/**
 * Builds the single ffmpeg command that makes a whole ladder: decode once, `split` to every rung,
 * encode each (H.264, plus AV1/VP9 copies of each rung when extra codecs are on: video-encoders.ts)
 * with capped constant quality and closed GOPs whose keyframes fall on segment boundaries so every
 * rendition stays switchable, encode every audio track (audio-filter.ts), and let the HLS muxer
 * write CMAF (fMP4) segments per rendition. The master playlist and the DASH MPD are written by us
 * afterwards from what was produced (hls-playlist.ts, dash-manifest.ts), over these same files.
 *
 * Layout of the `-map`s, which src/quality/ladder-reference.ts relies on: the H.264 rungs first,
 * in plan order, then the extra-codec rungs, then the audio tracks.
 */
import { type H264Encoder, SOFTWARE_H264 } from '../media/encoders.js';
import type { MediaInfo } from '../media/media-info.js';
import { audioFilterChain } from './audio-filter.js';
import type { ExtraVideoCodec, LadderPlan } from './ladder-types.js';
import { originShiftExpression } from './stream-origin.js';
import {
  DEFAULT_EXTRA_CODEC_TUNING,
  type ExtraCodecTuning,
  extraCodecArgs,
  extraCodecCovers,
  gopFrames,
  h264EncoderArgs,
  h264FilterTail,
  h264GlobalArgs,
  type X264Preset,
} from './video-encoders.js';

export interface LadderCommandOptions {
  /** Absolute path of the input file (we generated it; it is given as a `file:` URL). */
  inputPath: string;
  media: MediaInfo;
  plan: LadderPlan;
  /** Directory receiving one sub-directory per rendition. */
  outputDir: string;
  x264Preset: string;
  /** The H.264 encoder detected at start-up; libx264 when absent. */
  h264Encoder?: H264Encoder;
  /** Presets of the extra-codec encoders; the defaults when absent. */
  extraCodecTuning?: ExtraCodecTuning;
  /** Encode one chunk of the video rungs only (chunked encoding); absent: the whole ladder. */
  window?: LadderWindow;
}

/**
 * One chunk of a chunked encode (docs/chunked-encoding.md): the video rungs only (no audio, no
 * extra codecs), each trimmed to exact output frames of its fps filter, so every rung's frames are
 * the ones a whole-file run puts there. The input is seeked to a keyframe a little before the
 * chunk (`-ss … -noaccurate_seek`) with `-copyts -start_at_zero`, so timestamps stay those of a
 * whole-file run (counted from the container's start) and the origin shift and fps filter land
 * every frame on the same global grid; `trim` then keeps output frames [start, end) and
 * `setpts=PTS-STARTPTS` makes the chunk start at 0 (the chunk job moves it back: tfdt rewrite).
 */
export interface LadderWindow {
  /** Seconds from the container's start to seek to (a keyframe at or before it is decoded first). */
  seekSec: number;
  /** Per video rung, in plan order: output frames [start, end) in the fps filter's 1/fps time base; end null = to the end. */
  frames: Array<{ start: number; end: number | null }>;
  /** Number of the chunk's first segment, so segment names are global (seg_%05d). */
  firstSegment: number;
}

/** One extra-codec ladder: which H.264 rungs it copies (by plan index) and their directories. */
export interface ExtraLadder {
  codec: ExtraVideoCodec;
  rungs: Array<{ index: number; dir: string }>;
}

export interface RenditionDirs {
  /** v0…vN: the H.264 rungs, in plan order. */
  video: string[];
  /** a0…: the audio tracks, default first. */
  audio: string[];
  /** av1/v0…, vp9/v0…: the extra-codec rungs, named after the H.264 rung they copy. */
  extra: ExtraLadder[];
}

/** Directory (and HLS variant name) of each rendition. */
export function renditionDirs(plan: LadderPlan): RenditionDirs {
  return {
    video: plan.video.map((_, i) => `v${i}`),
    audio: plan.audio.map((_, i) => `a${i}`),
    extra: (plan.extraCodecs ?? []).map((codec) => ({
      codec,
      rungs: plan.video.flatMap((rung, index) => (extraCodecCovers(codec, rung) ? [{ index, dir: `${codec}/v${index}` }] : [])),
    })),
  };
}

/** ffmpeg's demuxer name for a probed container ('mov,mp4,…' → 'mov'), forced so it never re-probes. */
export function demuxerOf(media: MediaInfo): string {
  return media.container.split(',')[0]!;
}

/**
 * PQ/HLG → BT.709 SDR: linearise, tone-map (Hable keeps highlights), re-encode the transfer. The
 * usual zscale recipe; without it HDR sources play washed out on SDR screens.
 */
const HDR_TO_SDR =
  'zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,' +
  'zscale=t=bt709:m=bt709:r=tv';

/**
 * Options of the MP4 muxer behind every segment. Negative composition offsets (trun version 1)
 * put each video rendition's first frame at its decode time, 0 — instead of after the B-frame
 * delay, which differs between rungs of different frame rates — and no edit lists: MSE players
 * ignore them, so the sample times alone must be right, and are (stream-origin.ts, audio-filter.ts).
 */
export const SEGMENT_MUXER_OPTIONS = 'movflags=+negative_cts_offsets:use_editlist=0';

/**
 * hls_time of a chunk: half a frame under one GOP, so the muxer cuts at every keyframe (each G
 * frames later) and nowhere else — whatever the rounding of G / fps against segmentSeconds.
 */
function chunkHlsTime(plan: LadderPlan): string {
  const seconds = Math.min(...plan.video.map((rung) => (gopFrames(rung, plan.segmentSeconds) - 0.5) * (rung.fps.den / rung.fps.num)));
  return seconds.toFixed(6);
}

export function buildLadderCommand(options: LadderCommandOptions): string[] {
  const { inputPath, media, outputDir, window } = options;
  // A chunk is video rungs only: the audio is encoded whole by its own job, extra codecs in one pass.
  const plan = window ? { ...options.plan, audio: [], extraCodecs: [] } : options.plan;
  const encoder = options.h264Encoder ?? SOFTWARE_H264;
  const tuning = options.extraCodecTuning ?? DEFAULT_EXTRA_CODEC_TUNING;
  const dirs = renditionDirs(plan);
  const seg = plan.segmentSeconds;
  const hasVideo = plan.video.length > 0 && media.video !== null;
  const args = [
    '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
    '-progress', 'pipe:1', '-nostats', '-stats_period', '0.5',
    ...(hasVideo ? h264GlobalArgs(encoder) : []),
    ...(window
      ? [...(window.seekSec > 0 ? ['-ss', window.seekSec.toFixed(6), '-noaccurate_seek'] : []), '-copyts', '-start_at_zero']
      : []),
    // Only plain files, only the demuxer the probe accepted.
    '-protocol_whitelist', 'file', '-f', demuxerOf(media),
    '-i', `file:${inputPath}`,
  ];

  if (hasVideo) {
    const shift = originShiftExpression(media);
    const pre = [shift && `setpts=${shift}`, plan.deinterlace, media.video!.hdr ? HDR_TO_SDR : null].filter(Boolean).join(',');
    const filters: string[] = [];
    const outs = plan.video.map((_, i) => `[s${i}]`).join('');
    // Autorotation (display matrix) is applied by ffmpeg on this input before the graph.
    filters.push(`[0:${media.video!.index}]${pre ? `${pre},` : ''}split=${plan.video.length}${outs}`);
    const tail = h264FilterTail(encoder);
    plan.video.forEach((rung, i) => {
      // fps first (fewer frames to scale); a CFR output also absorbs VFR jitter without A/V drift.
      const frames = window?.frames[i];
      // trim on frame indices: the fps filter's time base is 1/fps, so its pts ARE output frame numbers.
      const trim = frames ? `,trim=start_pts=${frames.start}${frames.end === null ? '' : `:end_pts=${frames.end}`},setpts=PTS-STARTPTS` : '';
      const chain = `[s${i}]fps=${rung.fps.num}/${rung.fps.den}${trim},scale=w=${rung.width}:h=${rung.height}:flags=bicubic,setsar=1,format=yuv420p`;
      // The extra codecs encode the same scaled frames: one scale per rung, whatever the codecs.
      const copies = dirs.extra.filter((ladder) => ladder.rungs.some((r) => r.index === i)).map((ladder) => `[${ladder.codec}_${i}]`);
      if (copies.length === 0) {
        filters.push(`${chain}${tail ? `,${tail}` : ''}[o${i}]`);
      } else if (tail) {
        filters.push(`${chain},split=${copies.length + 1}[h${i}]${copies.join('')}`, `[h${i}]${tail}[o${i}]`);
      } else {
        filters.push(`${chain},split=${copies.length + 1}[o${i}]${copies.join('')}`);
      }
    });
    args.push('-filter_complex', filters.join(';'));
    plan.video.forEach((_, i) => args.push('-map', `[o${i}]`));
    for (const ladder of dirs.extra) for (const { index } of ladder.rungs) args.push('-map', `[${ladder.codec}_${index}]`);
  }
  for (const audio of plan.audio) args.push('-map', `0:${audio.sourceIndex}`);

  plan.video.forEach((rung, i) => {
    args.push(...h264EncoderArgs({ rung, index: i, segmentSeconds: seg, encoder, x264Preset: options.x264Preset as X264Preset, frameGrid: window !== undefined }));
  });
  let outIndex = plan.video.length;
  for (const ladder of dirs.extra) {
    for (const { index } of ladder.rungs) {
      args.push(...extraCodecArgs({ rung: plan.video[index]!, index: outIndex++, segmentSeconds: seg, codec: ladder.codec, tuning }));
    }
  }
  plan.audio.forEach((audio, i) => {
    args.push(
      `-c:a:${i}`, 'aac',
      `-b:a:${i}`, `${audio.bitrateKbps}k`,
      `-ac:a:${i}`, String(audio.channels),
      `-ar:a:${i}`, String(audio.sampleRate),
      `-filter:a:${i}`, audioFilterChain({ media, rendition: audio }),
    );
  });

  const extraDirs = dirs.extra.flatMap((ladder) => ladder.rungs.map((r) => r.dir));
  const streamMap = [
    ...dirs.video.map((name, i) => `v:${i},name:${name}`),
    ...extraDirs.map((name, i) => `v:${plan.video.length + i},name:${name}`),
    ...dirs.audio.map((name, i) => `a:${i},name:${name}`),
  ].join(' ');
  args.push(
    '-max_muxing_queue_size', '4096',
    '-f', 'hls',
    '-hls_time', window ? chunkHlsTime(plan) : String(seg),
    ...(window ? ['-start_number', String(window.firstSegment)] : []),
    '-hls_playlist_type', 'event',
    '-hls_segment_type', 'fmp4',
    '-hls_segment_options', SEGMENT_MUXER_OPTIONS,
    // temp_file: segments and playlists appear by rename, so a watcher never reads a partial file.
    '-hls_flags', 'temp_file+independent_segments',
    '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_filename', `${outputDir}/%v/seg_%05d.m4s`,
    '-var_stream_map', streamMap,
    `${outputDir}/%v/index.m3u8`,
  );
  return args;
}
