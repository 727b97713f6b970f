/**
 * Streams what ffmpeg's `metadata=mode=print:file=…` (and `ametadata`) filters write: a
 * `frame:N pts:P pts_time:T` line per frame, then that frame's `key=value` lines. Read line by line,
 * because a long video's log runs to megabytes and each reader keeps only what it aggregates.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export interface LoggedFrame {
  /** Seconds, as the filter saw the frame's timestamp. */
  ptsTime: number;
  values: Map<string, string>;
}

/** ffmpeg writes `nan`, `-nan`, `inf`, `-inf`; Number() understands neither spelling of NaN. */
export function metadataNumber(value: string | undefined): number {
  if (value === undefined) return Number.NaN;
  if (/^-?nan$/i.test(value)) return Number.NaN;
  if (/^inf$/i.test(value)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(value)) return Number.NEGATIVE_INFINITY;
  const n = Number(value);
  return Number.isNaN(n) ? Number.NaN : n;
}

/** Calls `onFrame` for every frame of the log, in order. A log that was never written reads as empty. */
export async function readMetadataLog(file: string, onFrame: (frame: LoggedFrame) => void): Promise<void> {
  try {
    await access(file);
  } catch {
    return;
  }
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let current: LoggedFrame | null = null;
  for await (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('frame:')) {
      if (current) onFrame(current);
      const time = /pts_time:(\S+)/.exec(line)?.[1];
      current = { ptsTime: metadataNumber(time), values: new Map() };
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current.values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  if (current) onFrame(current);
}
