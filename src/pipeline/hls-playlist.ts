/**
 * HLS text: reads the media playlists ffmpeg writes and writes our own master playlist (RFC 8216,
 * Apple HLS authoring spec): BANDWIDTH is the measured peak segment bit rate of the variant plus its
 * audio, AVERAGE-BANDWIDTH the measured mean, with exact CODECS, RESOLUTION and FRAME-RATE; every
 * audio track is a rendition of one AUDIO group (the default one DEFAULT=YES); extra-codec ladders
 * (AV1, VP9) are further variants with their own CODECS, which players that cannot decode them
 * skip; subtitle tracks are a SUBTITLES group whose playlists each list one whole WebVTT file.
 */

export interface MediaPlaylistSegment {
  uri: string;
  durationSec: number;
}

export interface MediaPlaylist {
  initUri: string | null;
  segments: MediaPlaylistSegment[];
  ended: boolean;
}

/** ffmpeg writes bare file names next to the playlist; anything else (paths, URLs) is refused. */
const SAFE_URI = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export function parseMediaPlaylist(text: string): MediaPlaylist {
  if (!text.startsWith('#EXTM3U')) throw new Error('not an HLS playlist');
  const lines = text.split(/\r?\n/);
  let initUri: string | null = null;
  const segments: MediaPlaylistSegment[] = [];
  let pendingDuration: number | null = null;
  let ended = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#EXT-X-MAP:')) {
      initUri = /URI="([^"]+)"/.exec(line)?.[1] ?? null;
    } else if (line.startsWith('#EXTINF:')) {
      pendingDuration = Number.parseFloat(line.slice('#EXTINF:'.length));
    } else if (line === '#EXT-X-ENDLIST') {
      ended = true;
    } else if (!line.startsWith('#') && pendingDuration !== null) {
      segments.push({ uri: line, durationSec: pendingDuration });
      pendingDuration = null;
    }
  }
  for (const uri of [initUri, ...segments.map((s) => s.uri)]) {
    // These URIs become blob keys: refuse anything but plain relative names.
    if (uri !== null && !SAFE_URI.test(uri)) throw new Error(`unexpected URI in playlist: ${uri}`);
  }
  return { initUri, segments, ended };
}

/** The playlist as a finished VOD: PLAYLIST-TYPE VOD (ffmpeg wrote EVENT) and an ENDLIST. */
export function toVodPlaylist(text: string): string {
  let out = text.replace('#EXT-X-PLAYLIST-TYPE:EVENT', '#EXT-X-PLAYLIST-TYPE:VOD');
  if (!out.includes('#EXT-X-ENDLIST')) out = `${out.trimEnd()}\n#EXT-X-ENDLIST\n`;
  return out;
}

/**
 * A finished (VOD) media playlist of CMAF segments, written from a segment list rather than read
 * from ffmpeg — chunked encoding assembles its playlists so. The same form ffmpeg's HLS muxer writes:
 * TARGETDURATION is the longest EXTINF rounded (RFC 8216 §4.3.3.1 compares rounded durations).
 */
export function writeMediaPlaylist(options: { initUri: string; segments: MediaPlaylistSegment[] }): string {
  for (const uri of [options.initUri, ...options.segments.map((s) => s.uri)]) {
    if (!SAFE_URI.test(uri)) throw new Error(`unexpected URI for a media playlist: ${uri}`);
  }
  const target = Math.max(1, ...options.segments.map((s) => Math.round(s.durationSec)));
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI="${options.initUri}"`,
    ...options.segments.flatMap((s) => [`#EXTINF:${s.durationSec.toFixed(6)},`, s.uri]),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}

export interface MasterVideoVariant {
  uri: string;
  peakBps: number;
  averageBps: number;
  codec: string;
  width: number;
  height: number;
  frameRate: number;
  /** Preference between codecs (HLS SCORE, higher first); written only when variants differ in codec. */
  score?: number;
}

export interface MasterAudioRendition {
  uri: string;
  peakBps: number;
  averageBps: number;
  codec: string;
  channels: number;
  /** BCP 47; null (or 'und') writes no LANGUAGE. */
  language: string | null;
  /** Unique within the group (RFC 8216 §4.3.4.1.1). */
  name: string;
  /** The rendition players start with; the first one when no rendition says. */
  default?: boolean;
}

export interface MasterSubtitleRendition {
  /** The subtitle media playlist, relative to the master. */
  uri: string;
  /** Shown in players' captions menus; unique within the group (RFC 8216 §4.3.4.1.1). */
  name: string;
  /** BCP 47 tag, 'und' when unknown. */
  language: string;
}

export interface MasterPlaylistInput {
  video: MasterVideoVariant[];
  audio: MasterAudioRendition[];
  subtitles?: MasterSubtitleRendition[];
}

const AUDIO_GROUP = 'audio';
const SUBTITLES_GROUP = 'subs';

function quoted(value: string): string {
  return `"${value.replace(/["\r\n]/g, '')}"`;
}

export function writeMasterPlaylist({ video, audio, subtitles = [] }: MasterPlaylistInput): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const defaultIndex = Math.max(0, audio.findIndex((a) => a.default));
  // Audio-only with one track: the track is the variant. With several, the default one is the
  // variant and the group lists them all, the default without URI ("in the variant's playlist").
  const audioGroup = video.length > 0 || audio.length > 1;
  if (audioGroup) audio.forEach((a, i) => {
    const language = a.language && a.language !== 'und' ? a.language : null;
    const inVariant = video.length === 0 && i === defaultIndex;
    const attrs = [
      'TYPE=AUDIO',
      `GROUP-ID=${quoted(AUDIO_GROUP)}`,
      `NAME=${quoted(a.name)}`,
      ...(language ? [`LANGUAGE=${quoted(language)}`] : []),
      `DEFAULT=${i === defaultIndex ? 'YES' : 'NO'}`,
      'AUTOSELECT=YES',
      `CHANNELS=${quoted(String(a.channels))}`,
      ...(inVariant ? [] : [`URI=${quoted(a.uri)}`]),
    ];
    lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
  });
  for (const s of subtitles) {
    // Off unless asked for; AUTOSELECT lets a client pick one by the viewer's language or
    // accessibility settings.
    const attrs = [
      'TYPE=SUBTITLES',
      `GROUP-ID=${quoted(SUBTITLES_GROUP)}`,
      `NAME=${quoted(s.name)}`,
      `LANGUAGE=${quoted(s.language)}`,
      'DEFAULT=NO',
      'AUTOSELECT=YES',
      `URI=${quoted(s.uri)}`,
    ];
    lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
  }
  const subtitlesAttr = subtitles.length > 0 ? [`SUBTITLES=${quoted(SUBTITLES_GROUP)}`] : [];
  // The audio group's peak is what a client must budget for on top of any video variant.
  const audioPeak = Math.max(0, ...audio.map((a) => a.peakBps));
  const audioAverage = Math.max(0, ...audio.map((a) => a.averageBps));
  const audioCodec = audio[0]?.codec;
  if (video.length === 0) {
    const variants = audioGroup ? [audio[defaultIndex]!] : audio;
    for (const a of variants) {
      const attrs = [
        `BANDWIDTH=${Math.ceil(audioGroup ? audioPeak : a.peakBps)}`,
        `AVERAGE-BANDWIDTH=${Math.ceil(audioGroup ? audioAverage : a.averageBps)}`,
        `CODECS=${quoted(a.codec)}`,
        ...(audioGroup ? [`AUDIO=${quoted(AUDIO_GROUP)}`] : []),
        ...subtitlesAttr,
      ];
      lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, a.uri);
    }
  }
  // Per codec (in the order given: H.264 first), ascending bandwidth: the first listed variant is
  // where Apple players start, and it must be one every player decodes.
  const family = (v: MasterVideoVariant) => v.codec.split('.')[0]!;
  const families = [...new Set(video.map(family))];
  const sorted = families.flatMap((f) => video.filter((v) => family(v) === f).sort((a, b) => a.peakBps - b.peakBps));
  // SCORE tells a player that decodes several codecs which to prefer; with one codec it says nothing.
  const scored = families.length > 1;
  for (const v of sorted) {
    const codecs = [v.codec, ...(audioCodec ? [audioCodec] : [])].join(',');
    const attrs = [
      `BANDWIDTH=${Math.ceil(v.peakBps + audioPeak)}`,
      `AVERAGE-BANDWIDTH=${Math.ceil(v.averageBps + audioAverage)}`,
      `CODECS=${quoted(codecs)}`,
      `RESOLUTION=${v.width}x${v.height}`,
      `FRAME-RATE=${v.frameRate.toFixed(3)}`,
      ...(scored && v.score !== undefined ? [`SCORE=${v.score}`] : []),
      ...(audio.length > 0 ? [`AUDIO=${quoted(AUDIO_GROUP)}`] : []),
      ...subtitlesAttr,
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A finished subtitle playlist: the whole WebVTT file as its one segment. EXTINF is the stream's
 * duration, so the segment covers the same span as the video's playlists; TARGETDURATION is that
 * rounded up, as RFC 8216 §4.3.3.1 requires of every segment.
 */
export function writeSubtitlePlaylist(options: { uri: string; durationSec: number }): string {
  if (!SAFE_URI.test(options.uri)) throw new Error(`unexpected URI for a subtitle playlist: ${options.uri}`);
  const durationSec = Math.max(options.durationSec, 0.001);
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(durationSec))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${durationSec.toFixed(6)},`,
    options.uri,
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}
