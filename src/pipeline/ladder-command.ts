/**
 * Builds the single ffmpeg command that makes a whole ladder: decode once, `split` to every rung,
 * encode each with x264 (capped CRF, closed GOPs whose keyframes fall on segment boundaries so the
 * rungs stay switchable), and let the HLS muxer write CMAF (fMP4) segments per rendition. The master
 * playlist and the DASH MPD are written by us afterwards from what was produced (hls-playlist.ts,
 * dash-manifest.ts), over these same segment files.
 */
import type { MediaInfo } from '../media/media-info.js';
import type { LadderPlan } from './ladder-types.js';

export interface LadderCommandOptions {
  /** Absolute path of the input file (we generated it; it is given as a `file:` URL). */
  inputPath: string;
  media: MediaInfo;
  plan: LadderPlan;
  /** Directory receiving one sub-directory per rendition. */
  outputDir: string;
  x264Preset: string;
}

/** Directory (and HLS variant name) of each rendition: v0…vN for video rungs, a0… for audio. */
export function renditionDirs(plan: LadderPlan): { video: string[]; audio: string[] } {
  return { video: plan.video.map((_, i) => `v${i}`), audio: plan.audio.map((_, i) => `a${i}`) };
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

export function buildLadderCommand(options: LadderCommandOptions): string[] {
  const { inputPath, media, plan, outputDir, x264Preset } = options;
  const dirs = renditionDirs(plan);
  const seg = plan.segmentSeconds;
  const args = [
    '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
    '-progress', 'pipe:1', '-nostats', '-stats_period', '0.5',
    // Only plain files, only the demuxer the probe accepted.
    '-protocol_whitelist', 'file', '-f', demuxerOf(media),
    '-i', `file:${inputPath}`,
  ];

  const filters: string[] = [];
  if (plan.video.length > 0 && media.video) {
    const pre = [plan.deinterlace, media.video.hdr ? HDR_TO_SDR : null].filter(Boolean).join(',');
    const outs = plan.video.map((_, i) => `[s${i}]`).join('');
    // Autorotation (display matrix) is applied by ffmpeg on this input before the graph.
    filters.push(`[0:${media.video.index}]${pre ? `${pre},` : ''}split=${plan.video.length}${outs}`);
    plan.video.forEach((rung, i) => {
      // fps first (fewer frames to scale); a CFR output also absorbs VFR jitter without A/V drift.
      filters.push(
        `[s${i}]fps=${rung.fps.num}/${rung.fps.den},scale=w=${rung.width}:h=${rung.height}:flags=bicubic,` +
          `setsar=1,format=yuv420p[o${i}]`,
      );
    });
    args.push('-filter_complex', filters.join(';'));
    plan.video.forEach((_, i) => args.push('-map', `[o${i}]`));
  }
  for (const audio of plan.audio) args.push('-map', `0:${audio.sourceIndex}`);

  plan.video.forEach((rung, i) => {
    const gop = Math.max(1, Math.round((rung.fps.num / rung.fps.den) * seg));
    args.push(
      `-c:v:${i}`, 'libx264',
      `-preset:v:${i}`, x264Preset,
      `-profile:v:${i}`, 'high',
      `-crf:v:${i}`, String(rung.crf),
      `-maxrate:v:${i}`, `${rung.maxrateKbps}k`,
      `-bufsize:v:${i}`, `${rung.bufsizeKbps}k`,
      `-g:v:${i}`, String(gop),
      `-keyint_min:v:${i}`, String(gop),
      `-sc_threshold:v:${i}`, '0',
      // Keyframes exactly at segment boundaries on every rung; x264's GOPs are closed by default.
      `-force_key_frames:v:${i}`, `expr:gte(t,n_forced*${seg})`,
      `-color_primaries:v:${i}`, 'bt709',
      `-color_trc:v:${i}`, 'bt709',
      `-colorspace:v:${i}`, 'bt709',
    );
  });
  plan.audio.forEach((audio, i) => {
    args.push(
      `-c:a:${i}`, 'aac',
      `-b:a:${i}`, `${audio.bitrateKbps}k`,
      `-ac:a:${i}`, String(audio.channels),
      `-ar:a:${i}`, String(audio.sampleRate),
      // Pads gaps / trims overlaps in the source's audio timestamps so audio stays in sync.
      `-filter:a:${i}`, 'aresample=async=1:first_pts=0',
    );
  });

  const streamMap = [
    ...dirs.video.map((name, i) => `v:${i},name:${name}`),
    ...dirs.audio.map((name, i) => `a:${i},name:${name}`),
  ].join(' ');
  args.push(
    '-max_muxing_queue_size', '4096',
    '-f', 'hls',
    '-hls_time', String(seg),
    '-hls_playlist_type', 'event',
    '-hls_segment_type', 'fmp4',
    // temp_file: segments and playlists appear by rename, so a watcher never reads a partial file.
    '-hls_flags', 'temp_file+independent_segments',
    '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_filename', `${outputDir}/%v/seg_%05d.m4s`,
    '-var_stream_map', streamMap,
    `${outputDir}/%v/index.m3u8`,
  );
  return args;
}
