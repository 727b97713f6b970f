/**
 * Language tags and labels of the tracks players list in their menus (audio renditions, subtitle
 * tracks): containers store ISO 639-2 codes ('eng'), players expect BCP 47 ('en'), and HLS needs
 * every NAME in a group to be unique.
 */

/** The BCP 47 tag players expect for a container's ISO 639 code ('eng' and 'en' → 'en'), or 'und'. */
export function languageTag(code: string | null): string {
  if (!code) return 'und';
  try {
    return Intl.getCanonicalLocales(code)[0] ?? 'und';
  } catch {
    return 'und'; // not a language tag at all
  }
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/** 'English' for 'en'; null for 'und' and codes without a name. */
export function languageName(tag: string): string | null {
  if (tag === 'und') return null;
  try {
    return languageNames.of(tag) ?? null;
  } catch {
    return null;
  }
}

/**
 * Hands out unique labels: the first 'English' stays 'English', the next is 'English (2)'.
 * One instance per group of tracks.
 */
export class TrackLabels {
  private readonly used = new Map<string, number>();

  next(base: string): string {
    const seen = (this.used.get(base) ?? 0) + 1;
    this.used.set(base, seen);
    return seen === 1 ? base : `${base} (${seen})`;
  }
}
