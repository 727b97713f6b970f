/**
 * Per-frame PSNR and SSIM from the stats files of ffmpeg's `psnr` and `ssim` filters, summarised
 * as mean, minimum and 5th percentile. Both are luma (Y) figures, the convention of codec
 * comparisons; a frame identical to its reference has infinite PSNR, counted as PSNR_CAP_DB.
 */
import { readFile } from 'node:fs/promises';
import { summarize } from './summary-stats.js';

export const PSNR_CAP_DB = 100;

export interface ScoreSummary {
  mean: number;
  min: number;
  /** 5th percentile (nearest rank): 95 % of the frames score at least this. */
  p5: number;
}

function valuesOf(text: string, key: string): number[] {
  const pattern = new RegExp(`(?:^|\\s)${key}:(\\S+)`);
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const raw = pattern.exec(line)?.[1];
    if (raw === undefined) continue;
    values.push(raw === 'inf' ? Number.POSITIVE_INFINITY : Number(raw));
  }
  return values;
}

function toSummary(values: number[], digits: number): { summary: ScoreSummary | null; frames: number } {
  const stats = summarize(values, digits);
  return { summary: stats ? { mean: stats.mean, min: stats.min, p5: stats.p5 } : null, frames: stats?.count ?? 0 };
}

/** `n:1 mse_avg:0.58 mse_y:0.71 … psnr_y:49.62 …` per frame. */
export function parsePsnrStats(text: string): { summary: ScoreSummary | null; frames: number } {
  return toSummary(valuesOf(text, 'psnr_y').map((v) => Math.min(v, PSNR_CAP_DB)), 2);
}

/** `n:1 Y:0.994 U:0.995 V:0.995 All:0.994584 (22.67)` per frame. */
export function parseSsimStats(text: string): { summary: ScoreSummary | null; frames: number } {
  return toSummary(valuesOf(text, 'Y'), 4);
}

/** libvmaf's JSON log: `{ "frames": [{ "frameNum": 0, "metrics": { "vmaf": 93.1, … } }, …] }`. */
export function parseVmafLog(text: string): ScoreSummary | null {
  const log = JSON.parse(text) as { frames?: Array<{ metrics?: Record<string, number> }> };
  const values = (log.frames ?? []).map((f) => f.metrics?.vmaf ?? Number.NaN);
  return toSummary(values, 2).summary;
}

export async function readIfPresent(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}
