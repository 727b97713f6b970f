/**
 * Exact frame rates. ffprobe speaks rationals ('30000/1001'); encoders want them back unrounded, so the
 * probe and the ladder planner keep rates as reduced {num, den} pairs and only turn them into floats
 * to compare.
 */
import type { Rational } from './media-info.js';

function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y) [x, y] = [y, x % y];
  return x;
}

export function reduceRational({ num, den }: Rational): Rational {
  const divisor = gcd(num, den) || 1;
  const sign = den < 0 ? -1 : 1;
  return { num: (sign * num) / divisor, den: (sign * den) / divisor };
}

/** '30000/1001' → {30000, 1001}; '0/0', 'N/A', garbage → null. */
export function parseRational(text: string | undefined | null): Rational | null {
  const match = /^\s*(-?\d+)\s*(?:[/:]\s*(\d+))?\s*$/.exec(text ?? '');
  if (!match) return null;
  const num = Number(match[1]);
  const den = match[2] === undefined ? 1 : Number(match[2]);
  if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den) || num <= 0 || den <= 0) return null;
  return reduceRational({ num, den });
}

export function rationalToNumber({ num, den }: Rational): number {
  return num / den;
}

/** The rate `r / n`, exactly: (60000/1001) / 2 = 30000/1001. */
export function divideRational(r: Rational, n: number): Rational {
  return reduceRational({ num: r.num, den: r.den * n });
}

export function formatRational({ num, den }: Rational): string {
  return den === 1 ? String(num) : `${num}/${den}`;
}

/** Frame rates that cameras, phones and broadcast actually use. */
export const STANDARD_FRAME_RATES: readonly Rational[] = [
  { num: 24000, den: 1001 },
  { num: 24, den: 1 },
  { num: 25, den: 1 },
  { num: 30000, den: 1001 },
  { num: 30, den: 1 },
  { num: 48, den: 1 },
  { num: 50, den: 1 },
  { num: 60000, den: 1001 },
  { num: 60, den: 1 },
  { num: 90, den: 1 },
  { num: 100, den: 1 },
  { num: 120000, den: 1001 },
  { num: 120, den: 1 },
  { num: 144, den: 1 },
  { num: 240, den: 1 },
];

/**
 * The standard rate nearest to `fps` when it lies within `tolerance` (relative), else null.
 * Phones stamp frames with jitter (60.06 fps measured for a 60 fps clip): snapping recovers the
 * rate the camera meant, which is what the encoder should be told.
 */
export function snapToStandardRate(fps: number, tolerance: number): Rational | null {
  let best: Rational | null = null;
  let bestError = Infinity;
  for (const candidate of STANDARD_FRAME_RATES) {
    const error = Math.abs(fps - rationalToNumber(candidate)) / rationalToNumber(candidate);
    if (error < bestError) {
      best = candidate;
      bestError = error;
    }
  }
  return bestError <= tolerance ? best : null;
}

/** A rational for an arbitrary measured rate, in milli-frames per second (27.436 → 6859/250). */
export function approximateRational(fps: number): Rational {
  return reduceRational({ num: Math.max(1, Math.round(fps * 1000)), den: 1000 });
}
