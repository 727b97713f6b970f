/**
 * Writes the DASH MPD (ISO/IEC 23009-1, DASH-IF interoperability points) over the same CMAF
 * segments the HLS playlists list. Each representation gets a SegmentTemplate with an explicit
 * SegmentTimeline taken from the segments' own decode times (tfdt), so DASH and HLS agree exactly.
 * While the video is processing the MPD is `dynamic` (players refresh it, like an HLS EVENT
 * playlist); when done it becomes `static`. Video gets one AdaptationSet per codec (H.264, and
 * AV1/VP9 when extra ladders are on: players cannot switch codecs seamlessly, so each is its own set,
 * ranked by @selectionPriority); audio one per track, the default with Role main, its Label the
 * track's name. Subtitle tracks are whole WebVTT files (one text
 * AdaptationSet each, the file as the Representation's BaseURL — the sidecar form dash.js and
 * Shaka read), with cue times already on the media timeline.
 */

export interface TimelineEntry {
  /** Start, in timescale ticks. */
  t: number;
  /** Duration, in timescale ticks. */
  d: number;
}

export interface DashRepresentation {
  id: string;
  kind: 'video' | 'audio';
  codec: string;
  bandwidthBps: number;
  timescale: number;
  /** Relative URIs, e.g. 'v0/init.mp4' and 'v0/seg_$Number%05d$.m4s'. */
  initialization: string;
  media: string;
  startNumber: number;
  timeline: TimelineEntry[];
  width?: number;
  height?: number;
  frameRate?: string;
  sampleRate?: number;
  channels?: number;
  language?: string | null;
  /** Video: the codec family's AdaptationSet (e.g. 'avc1', 'av01'); one set per distinct value. */
  group?: string;
  /** Audio: the name players list; the default track (Role main) — the first when none says. */
  label?: string;
  default?: boolean;
}

export interface DashTextTrack {
  id: string;
  /** The WebVTT file, relative to the MPD. */
  url: string;
  /** BCP 47 tag, 'und' when unknown. */
  language: string;
  label: string;
  /** Size over the stream's duration: @bandwidth is mandatory even for a sidecar file. */
  bandwidthBps: number;
}

export interface MpdInput {
  type: 'static' | 'dynamic';
  durationSec: number;
  segmentSeconds: number;
  representations: DashRepresentation[];
  textTracks?: DashTextTrack[];
  /** Video groups in preference order (DASH @selectionPriority: the first is highest). */
  videoGroupPriority?: string[];
  /** Dynamic only: wall-clock anchor of media time 0. */
  availabilityStartTime?: Date;
  publishTime?: Date;
}

function isoDuration(seconds: number): string {
  return `PT${Math.max(0, seconds).toFixed(3)}S`;
}

function xmlAttr(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

function xmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Run-length encodes equal consecutive durations into `r` as the spec allows. */
function segmentTimeline(entries: TimelineEntry[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < entries.length) {
    const first = entries[i]!;
    let repeat = 0;
    while (
      i + repeat + 1 < entries.length &&
      entries[i + repeat + 1]!.d === first.d &&
      entries[i + repeat + 1]!.t === entries[i + repeat]!.t + entries[i + repeat]!.d
    ) {
      repeat++;
    }
    out.push(`<S t="${first.t}" d="${first.d}"${repeat > 0 ? ` r="${repeat}"` : ''}/>`);
    i += repeat + 1;
  }
  return out.join('');
}

function representationXml(r: DashRepresentation): string {
  const attrs = [
    `id="${xmlAttr(r.id)}"`,
    `bandwidth="${Math.ceil(r.bandwidthBps)}"`,
    `codecs="${xmlAttr(r.codec)}"`,
    ...(r.kind === 'video'
      ? [`width="${r.width}"`, `height="${r.height}"`, `frameRate="${r.frameRate}"`, 'sar="1:1"']
      : [`audioSamplingRate="${r.sampleRate}"`]),
  ];
  const template =
    `<SegmentTemplate timescale="${r.timescale}" initialization="${xmlAttr(r.initialization)}" ` +
    `media="${xmlAttr(r.media)}" startNumber="${r.startNumber}">` +
    `<SegmentTimeline>${segmentTimeline(r.timeline)}</SegmentTimeline></SegmentTemplate>`;
  const channels =
    r.kind === 'audio'
      ? `<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${r.channels}"/>`
      : '';
  return `      <Representation ${attrs.join(' ')}>${channels}${template}</Representation>`;
}

export function writeMpd(input: MpdInput): string {
  const { type, representations } = input;
  const video = representations.filter((r) => r.kind === 'video');
  const audio = representations.filter((r) => r.kind === 'audio');
  const mpdAttrs = [
    'xmlns="urn:mpeg:dash:schema:mpd:2011"',
    'profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019"',
    `type="${type}"`,
    `minBufferTime="${isoDuration(input.segmentSeconds)}"`,
  ];
  if (type === 'static') {
    mpdAttrs.push(`mediaPresentationDuration="${isoDuration(input.durationSec)}"`);
  } else {
    const ast = input.availabilityStartTime ?? new Date(0);
    mpdAttrs.push(
      `availabilityStartTime="${ast.toISOString()}"`,
      `publishTime="${(input.publishTime ?? new Date()).toISOString()}"`,
      `minimumUpdatePeriod="${isoDuration(Math.min(2, input.segmentSeconds))}"`,
      `suggestedPresentationDelay="${isoDuration(input.segmentSeconds * 2)}"`,
    );
  }
  const sets: string[] = [];
  let setId = 0;
  const groupOf = (r: DashRepresentation) => r.group ?? r.codec.split('.')[0]!;
  const groups = [...new Set(video.map(groupOf))];
  const priority = input.videoGroupPriority ?? [];
  for (const group of groups) {
    const members = video.filter((v) => groupOf(v) === group);
    const maxW = Math.max(...members.map((v) => v.width ?? 0));
    const maxH = Math.max(...members.map((v) => v.height ?? 0));
    const rank = priority.indexOf(group);
    const selection = groups.length > 1 && rank >= 0 ? ` selectionPriority="${priority.length - rank}"` : '';
    sets.push(
      `    <AdaptationSet id="${setId++}" contentType="video" mimeType="video/mp4" segmentAlignment="true" ` +
        `startWithSAP="1" maxWidth="${maxW}" maxHeight="${maxH}"${selection}>\n` +
        `${[...members].sort((a, b) => a.bandwidthBps - b.bandwidthBps).map(representationXml).join('\n')}\n    </AdaptationSet>`,
    );
  }
  if (video.length === 0) setId = 1; // ids as before: audio sets from 1
  const defaultAudio = Math.max(0, audio.findIndex((a) => a.default));
  audio.forEach((a, i) => {
    const lang = a.language && a.language !== 'und' ? ` lang="${xmlAttr(a.language)}"` : '';
    const label = a.label ? `      <Label>${xmlText(a.label)}</Label>\n` : '';
    // Role main for the default track; the others are alternatives to it (DASH-IF IOP 6.2.3).
    const role = `      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="${i === defaultAudio ? 'main' : 'alternate'}"/>\n`;
    sets.push(
      `    <AdaptationSet id="${setId++}" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1"${lang}>\n` +
        `${label}${role}${representationXml(a)}\n    </AdaptationSet>`,
    );
  });
  (input.textTracks ?? []).forEach((t) => {
    sets.push(
      `    <AdaptationSet id="${setId++}" contentType="text" mimeType="text/vtt" lang="${xmlAttr(t.language)}">\n` +
        `      <Label>${xmlText(t.label)}</Label>\n` +
        '      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="subtitle"/>\n' +
        `      <Representation id="${xmlAttr(t.id)}" bandwidth="${Math.max(1, Math.ceil(t.bandwidthBps))}">` +
        `<BaseURL>${xmlText(t.url)}</BaseURL></Representation>\n    </AdaptationSet>`,
    );
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<MPD ${mpdAttrs.join(' ')}>\n` +
    `  <Period id="0" start="PT0S">\n${sets.join('\n')}\n  </Period>\n</MPD>\n`
  );
}
