/**
 * Reads what ffmpeg's `metadata=mode=print:file=…` filter writes: one `frame:N pts:P pts_time:T`
 * line per frame that reached it, then that frame's metadata as `key=value` lines (the measures
 * left by filters upstream: `lavfi.signalstats.YAVG`, `lavfi.blur`, `lavfi.scd.mafd`, …). One
 * analysis pass can then measure many frames without a process — or a log line parser — per frame.
 */

export interface FrameMetadata {
  /** Seconds, as the filter saw the frame's timestamp. */
  ptsTime: number;
  /** Numeric values by key; ffmpeg's `nan`/`-nan` (e.g. blurdetect on a frame without edges) become NaN. */
  values: Record<string, number>;
}

export function parseFrameMetadata(text: string): FrameMetadata[] {
  const frames: FrameMetadata[] = [];
  let current: FrameMetadata | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('frame:')) {
      const time = /pts_time:(\S+)/.exec(line)?.[1];
      current = { ptsTime: time === undefined ? Number.NaN : Number(time), values: {} };
      frames.push(current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === null || eq <= 0) continue;
    const value = line.slice(eq + 1);
    current.values[line.slice(0, eq)] = /^-?nan$/i.test(value) ? Number.NaN : Number(value);
  }
  return frames;
}
