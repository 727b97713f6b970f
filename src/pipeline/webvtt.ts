/**
 * WebVTT text (W3C WebVTT; RFC 8216 §3.5 for its use in HLS): timestamps both ways, and re-timing a
 * file ffmpeg wrote so its cues sit on the stream's timeline. Only the cue timings are touched; cue
 * text and settings pass through as ffmpeg wrote them.
 */

/** `HH:MM:SS.mmm` (hours grow past two digits when they must). */
export function vttTimestamp(seconds: number): string {
  const totalMs = Math.round(seconds * 1000);
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const ms = totalMs % 1000;
  const totalSec = (totalMs - ms) / 1000;
  return `${pad(Math.floor(totalSec / 3600), 2)}:${pad(Math.floor(totalSec / 60) % 60, 2)}:${pad(totalSec % 60, 2)}.${pad(ms, 3)}`;
}

/** Seconds of `[HH:]MM:SS.mmm` (ffmpeg leaves the hours out below one hour), or null when malformed. */
export function parseVttTimestamp(text: string): number | null {
  const m = /^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/.exec(text);
  if (!m) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
}

/**
 * The HLS header that says cue time 0 is media time 0 — which is what a client assumes without one
 * (RFC 8216 §3.5), and what hls.js computes either way. Written anyway: the RFC says every WebVTT
 * file of a stream SHOULD carry it, and Apple's validator flags its absence. DASH players and
 * browsers skip header lines they do not know.
 */
export const IDENTITY_TIMESTAMP_MAP = 'X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000';

export interface RetimeOptions {
  /** Seconds added to every cue time (source clock → stream timeline). */
  offsetSec: number;
  /** The stream's end: cues are cut there, and dropped when they start at or after it. */
  endSec: number;
}

export interface RetimedWebVtt {
  text: string;
  cueCount: number;
}

const TIMING = /^(\S+)[ \t]+-->[ \t]+(\S+)(.*)$/;

/**
 * Shifts every cue by `offsetSec`, keeps what falls inside [0, endSec) (clipping cues that straddle
 * an edge) and sorts the cues by start time — dash.js drops a cue that starts before the one it read
 * last. Blocks without a timing line (STYLE, REGION) are kept ahead of the cues; NOTE blocks are dropped.
 */
export function retimeWebVtt(source: string, options: RetimeOptions): RetimedWebVtt {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (!/^WEBVTT(?:[ \t]|\n|$)/.test(text)) throw new Error('not a WebVTT file');
  const [, ...blocks] = text.split(/\n[ \t]*\n/).map((block) => block.replace(/^\n+|\n+$/g, ''));
  const kept: string[] = [];
  const cues: Array<{ startSec: number; block: string }> = [];
  for (const block of blocks) {
    if (!block || block.startsWith('NOTE')) continue;
    const lines = block.split('\n');
    const timingAt = lines.findIndex((line) => line.includes('-->'));
    if (timingAt < 0) {
      kept.push(block);
      continue;
    }
    const timing = TIMING.exec(lines[timingAt]!);
    const start = timing ? parseVttTimestamp(timing[1]!) : null;
    const end = timing ? parseVttTimestamp(timing[2]!) : null;
    if (start === null || end === null) throw new Error(`malformed WebVTT cue timing: ${lines[timingAt]}`);
    const startSec = Math.max(0, start + options.offsetSec);
    const endSec = Math.min(options.endSec, end + options.offsetSec);
    // Rounded to the millisecond first: that is all a WebVTT timestamp can say.
    if (Math.round(endSec * 1000) <= Math.round(startSec * 1000)) continue;
    lines[timingAt] = `${vttTimestamp(startSec)} --> ${vttTimestamp(endSec)}${timing![3]}`;
    cues.push({ startSec, block: lines.join('\n') });
  }
  cues.sort((a, b) => a.startSec - b.startSec);
  const header = `WEBVTT\n${IDENTITY_TIMESTAMP_MAP}`;
  return { text: `${[header, ...kept, ...cues.map((c) => c.block)].join('\n\n')}\n`, cueCount: cues.length };
}
