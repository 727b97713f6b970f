/**
 * Parses ffmpeg's `-progress pipe:1` output (blocks of key=value lines ending in `progress=…`)
 * into position and speed, from which the pipeline derives percent and ETA.
 */

export interface FfmpegProgress {
  /** Output position, seconds. */
  outTimeSec: number;
  /** Encoding speed relative to real time (2 = twice as fast as playback); null when unknown. */
  speed: number | null;
  /** True on the last block. */
  done: boolean;
}

export function createProgressParser(onProgress: (progress: FfmpegProgress) => void): (line: string) => void {
  let outTimeSec = 0;
  let speed: number | null = null;
  return (line) => {
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'out_time_us' || key === 'out_time_ms') {
      // Both keys carry microseconds (a long-standing ffmpeg naming quirk).
      const us = Number(value);
      if (Number.isFinite(us) && us >= 0) outTimeSec = us / 1e6;
    } else if (key === 'speed') {
      const x = Number.parseFloat(value);
      speed = Number.isFinite(x) && x > 0 ? x : null;
    } else if (key === 'progress') {
      onProgress({ outTimeSec, speed, done: value === 'end' });
    }
  };
}
