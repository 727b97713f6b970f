/**
 * The demuxers (ffmpeg input formats) StreamForge accepts for uploads.
 *
 * ffmpeg guesses a file's format from its content and name, and some of its "formats" are not media
 * at all but instructions to open *other* files: a text HLS playlist renamed `.mp4` makes ffprobe read
 * whatever local paths it lists, an ffconcat script does the same, image2 expands patterns. So every
 * ffprobe/ffmpeg run on an upload passes this list as `-format_whitelist`, and the probe checks the
 * reported `format_name` against it again afterwards.
 *
 * How `-format_whitelist` matches (libavformat `av_match_list`, verified on ffmpeg 5.1): it compares
 * each comma-separated element of the demuxer's name with each element of the list, exactly.
 * `-format_whitelist mp4` therefore admits the demuxer named 'mov,mp4,m4a,3gp,3g2,mj2', and
 * `-format_whitelist mp` admits nothing. We list canonical full names (what `ffmpeg -demuxers` and
 * ffprobe's `format_name` print), so both checks use the same strings.
 */

export interface AllowedDemuxer {
  /** ffmpeg's demuxer name, exactly as ffprobe reports it in `format_name`. */
  name: string;
  /** What users call it, for error messages. */
  label: string;
}

export const ALLOWED_DEMUXERS: readonly AllowedDemuxer[] = [
  // Phones, cameras, screen recorders, editors; includes .m4v/.m4a/.3gp, which are all this demuxer.
  { name: 'mov,mp4,m4a,3gp,3g2,mj2', label: 'MP4/MOV' },
  { name: 'matroska,webm', label: 'Matroska/WebM' },
  { name: 'avi', label: 'AVI' },
  { name: 'flv', label: 'FLV' },
  // Broadcast captures, AVCHD camcorders (.mts/.m2ts).
  { name: 'mpegts', label: 'MPEG-TS' },
  // MPEG program stream: DVD .vob, old camcorders.
  { name: 'mpeg', label: 'MPEG-PS' },
  // WMV/WMA.
  { name: 'asf', label: 'ASF/WMV' },
  // Professional cameras and broadcast delivery.
  { name: 'mxf', label: 'MXF' },
  // DV camcorder tapes.
  { name: 'dv', label: 'DV' },
  // Theora/Vorbis/Opus.
  { name: 'ogg', label: 'Ogg' },
  // Audio-only uploads (podcasts, music).
  { name: 'mp3', label: 'MP3' },
  { name: 'aac', label: 'AAC (ADTS)' },
  { name: 'wav', label: 'WAV' },
  { name: 'flac', label: 'FLAC' },
  { name: 'aiff', label: 'AIFF' },
];

/*
 * Deliberately NOT allowed:
 * - hls, dash, concat, webm_dash_manifest: playlists that make ffmpeg open other files or URLs.
 * - image2, image2pipe and the *_pipe image demuxers (png_pipe, jpeg_pipe, …), gif, webp: images are not
 *   videos, and image2 expands file-name patterns.
 * - tty, srt, ass, webvtt and the other text/subtitle formats, ffmetadata, data, bin: not video.
 * - lavfi, sdp, rtsp, rtp and other device/network inputs: they synthesise or fetch media.
 * - raw elementary streams (h264, hevc, m4v, mpegvideo, ivf, obu…): no container timing, and their
 *   content sniffing accepts near-arbitrary bytes. Note `m4v` is *raw MPEG-4 Part 2*; .m4v files from
 *   Apple are MP4 and open with the mov demuxer above.
 * - rare legacy or exotic containers (rm, nut, caf, w64, …): little real-world demand, extra attack
 *   surface. Add one here, with a corpus file to test it, when users need it.
 */

/** The value of ffprobe/ffmpeg `-format_whitelist`. */
export function formatWhitelist(): string {
  return ALLOWED_DEMUXERS.map((d) => d.name).join(',');
}

/** Whether ffprobe's `format_name` names an allowed demuxer (exact match of the full name). */
export function isAllowedDemuxer(formatName: string): boolean {
  return ALLOWED_DEMUXERS.some((d) => d.name === formatName);
}

/** 'MP4/MOV, Matroska/WebM, …' for messages that tell users what they may upload. */
export function allowedFormatLabels(): string {
  return ALLOWED_DEMUXERS.map((d) => d.label).join(', ');
}

/**
 * The demuxer ffmpeg picked when it refused a file for not being on the whitelist. libavformat logs
 * `[hls @ 0x…] Format not on whitelist '…'`; the bracketed name is the demuxer it detected.
 */
export function rejectedDemuxerFromStderr(stderr: string): string | null {
  const match = /\[([^\]@]+?) @ 0x[0-9a-f]+\] Format not on whitelist/i.exec(stderr);
  return match?.[1]?.trim() ?? null;
}

/** A human name for a demuxer we refuse, so the reason says what the file actually is. */
export function describeDemuxer(name: string): string {
  const allowed = ALLOWED_DEMUXERS.find((d) => d.name === name);
  if (allowed) return `${allowed.label} format`;
  if (name === 'hls') return 'an HLS playlist (format hls)';
  if (name === 'dash' || name === 'webm_dash_manifest') return `a DASH manifest (format ${name})`;
  if (name === 'concat') return 'an ffconcat script (format concat)';
  if (name === 'tty') return 'a text file (format tty)';
  if (/_pipe$|^image2|^(gif|webp|apng)$/.test(name)) return `an image (format ${name})`;
  if (/^(srt|ass|ssa|webvtt|subviewer1?|microdvd|mpl2|jacosub|sami|realtext|stl|pjs|vplayer|scc|lrc|aqtitle)$/.test(name)) {
    return `a subtitle file (format ${name})`;
  }
  return `format '${name}'`;
}
