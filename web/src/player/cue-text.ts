/**
 * Plain text of a WebVTT cue for the caption overlay: markup (`<i>`, `<v Speaker>`, timestamps)
 * dropped and the character references WebVTT defines decoded. The overlay renders text, never
 * markup, so a subtitle file cannot inject anything into the page.
 */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', nbsp: '\u00a0', lrm: '\u200e', rlm: '\u200f' };

export function cueText(raw: string): string {
  return raw
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|nbsp|lrm|rlm);/g, (_, name: string) => ENTITIES[name]!)
    .trim();
}

/** The lines of a track's active cues, in cue order. */
export function activeCueLines(track: TextTrack | null): string[] {
  const cues = track?.activeCues;
  if (!cues) return [];
  const lines: string[] = [];
  for (let i = 0; i < cues.length; i++) {
    const text = cueText((cues[i] as VTTCue).text ?? '');
    if (text) lines.push(text);
  }
  return lines;
}

export function sameLines(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}
