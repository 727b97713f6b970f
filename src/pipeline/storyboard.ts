/**
 * The storyboard for scrubbing previews: thumbnails every `intervalSec`, tiled into JPEG sprite
 * sheets, indexed by a WebVTT file (`sprite_000.jpg#xywh=x,y,w,h` cues, the form hls.js-based players,
 * Video.js, Plyr and JW Player read) and the same index as JSON. One ffmpeg run over the ladder's
 * smallest rung (already rotated and tone-mapped, so the thumbnails look like the stream, and the
 * cheapest to decode for 160 px thumbnails).
 *
 * Interval rule: the smallest of 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600 s (then multiples of
 * 600 s) that keeps the video at or under 100 thumbnails — so a 90 s clip gets one per second and a
 * one-hour film one every 60 s, and the index stays small whatever the length.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readJpegSize } from '../media/jpeg-size.js';
import { runProcess } from '../media/ffmpeg-process.js';
import type { ProcessLimits } from '../media/process-limits.js';
import { vttTimestamp } from './webvtt.js';

export { vttTimestamp };

export const STORYBOARD_VTT = 'storyboard.vtt';
export const STORYBOARD_JSON = 'storyboard.json';

const MAX_THUMBNAILS = 100;
const NICE_INTERVALS_SEC = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600];
/** Thumbnail width in pixels; the height follows the aspect ratio (even). */
export const STORYBOARD_TILE_WIDTH = 160;
const DEFAULT_COLUMNS = 10;
const DEFAULT_ROWS = 10;

/** Seconds between thumbnails for a video of this length (see the module comment). */
export function storyboardInterval(durationSec: number): number {
  const raw = durationSec / MAX_THUMBNAILS;
  const nice = NICE_INTERVALS_SEC.find((step) => step >= raw);
  return nice ?? Math.ceil(raw / 600) * 600;
}

/**
 * How many thumbnails cover the video: one per started interval, except that a tail shorter than a
 * quarter interval joins the previous cue (a 6.016 s clip at 1 s gets 6, not a 16 ms seventh cue).
 * Always at least one, so a clip shorter than one interval still has its thumbnail.
 */
export function thumbnailCount(durationSec: number, intervalSec: number): number {
  const durationMs = Math.round(durationSec * 1000);
  const intervalMs = Math.round(intervalSec * 1000);
  return Math.max(1, Math.ceil((durationMs - intervalMs / 4) / intervalMs));
}

/** Sheet grid: up to `maxColumns` × `maxRows`, shrunk so a short video's only sheet is not mostly padding. */
export function storyboardGrid(count: number, maxColumns = DEFAULT_COLUMNS, maxRows = DEFAULT_ROWS): { columns: number; rows: number } {
  const columns = Math.min(maxColumns, count);
  return { columns, rows: Math.min(maxRows, Math.ceil(count / columns)) };
}

export interface StoryboardTile {
  /** Seconds, to the millisecond. */
  start: number;
  end: number;
  /** Sprite file name, relative to the index. */
  sprite: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The JSON index (storyboard.json). */
export interface StoryboardLayout {
  intervalSec: number;
  /** Size of one thumbnail. */
  width: number;
  height: number;
  columns: number;
  rows: number;
  sprites: string[];
  tiles: StoryboardTile[];
}

export function spriteName(index: number): string {
  return `sprite_${String(index).padStart(3, '0')}.jpg`;
}

/**
 * Where each thumbnail sits: thumbnail i covers [i·interval, (i+1)·interval) — the last one ends at the
 * duration — and is tile i mod (columns·rows) of sheet ⌊i / (columns·rows)⌋, row-major as ffmpeg's
 * `tile` filter lays them out. The padding ffmpeg adds to the last sheet is not listed.
 */
export function storyboardLayout(options: {
  durationSec: number;
  intervalSec: number;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}): StoryboardLayout {
  const { intervalSec, columns, rows, tileWidth: w, tileHeight: h } = options;
  const count = thumbnailCount(options.durationSec, intervalSec);
  const perSheet = columns * rows;
  const durationMs = Math.round(options.durationSec * 1000);
  const intervalMs = Math.round(intervalSec * 1000);
  const tiles: StoryboardTile[] = [];
  for (let i = 0; i < count; i++) {
    const startMs = i * intervalMs;
    const endMs = i === count - 1 ? Math.max(durationMs, startMs + 1) : startMs + intervalMs;
    const within = i % perSheet;
    tiles.push({
      start: startMs / 1000,
      end: endMs / 1000,
      sprite: spriteName(Math.floor(i / perSheet)),
      x: (within % columns) * w,
      y: Math.floor(within / columns) * h,
      w,
      h,
    });
  }
  const sprites = Array.from({ length: Math.ceil(count / perSheet) }, (_, i) => spriteName(i));
  return { intervalSec, width: w, height: h, columns, rows, sprites, tiles };
}

/** The WebVTT index: one cue per thumbnail, its sprite URI relative to the VTT file. */
export function storyboardVtt(layout: StoryboardLayout): string {
  const cues = layout.tiles.map(
    (t) => `${vttTimestamp(t.start)} --> ${vttTimestamp(t.end)}\n${t.sprite}#xywh=${t.x},${t.y},${t.w},${t.h}\n`,
  );
  return ['WEBVTT\n', ...cues].join('\n');
}

export interface StoryboardOptions {
  ffmpegPath: string;
  /** The progressive MP4 (already rotated, tone-mapped, yuv420p). */
  inputPath: string;
  durationSec: number;
  /** Directory the sprites, storyboard.vtt and storyboard.json are written to (created if missing). */
  outDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
  processLimits?: ProcessLimits;
  /** Overrides of the interval rule and the 10×10 sheet, for tests and tuning. */
  intervalSec?: number;
  maxColumns?: number;
  maxRows?: number;
}

export interface StoryboardResult {
  layout: StoryboardLayout;
  /** Every file written, relative to outDir: the sprites, then the VTT and JSON indexes. */
  files: string[];
}

export async function makeStoryboard(options: StoryboardOptions): Promise<StoryboardResult> {
  const intervalSec = options.intervalSec ?? storyboardInterval(options.durationSec);
  const count = thumbnailCount(options.durationSec, intervalSec);
  const { columns, rows } = storyboardGrid(count, options.maxColumns, options.maxRows);
  await mkdir(options.outDir, { recursive: true });

  const filters = [
    // Clone the last frame for one more interval, so `fps` has a frame for the last thumbnail even
    // when the file ends a little before the probed duration; `trim` then keeps exactly `count`.
    `tpad=stop_mode=clone:stop_duration=${intervalSec}`,
    `fps=1/${intervalSec}`,
    `trim=end_frame=${count}`,
    `scale=${STORYBOARD_TILE_WIDTH}:-2:flags=lanczos`,
    `tile=${columns}x${rows}`,
  ];
  await runProcess({
    command: options.ffmpegPath,
    args: [
      '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
      '-protocol_whitelist', 'file', '-f', 'mov', '-i', `file:${options.inputPath}`,
      '-map', '0:v:0', '-an', '-sn', '-dn', '-vf', filters.join(','),
      '-fps_mode', 'passthrough', '-q:v', '4', '-f', 'image2', '-start_number', '0',
      // Relative to cwd: the image2 pattern must not meet a '%' in the data dir's path.
      'sprite_%03d.jpg',
    ],
    cwd: options.outDir,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    limits: options.processLimits,
  });

  const expectedSheets = Math.ceil(count / (columns * rows));
  const sprites = (await readdir(options.outDir)).filter((f) => /^sprite_\d{3,}\.jpg$/.test(f)).sort();
  if (sprites.length !== expectedSheets) {
    throw new Error(`storyboard: ffmpeg made ${sprites.length} sprite sheets, expected ${expectedSheets}`);
  }
  // The tile filter pads every sheet to the full grid, so each sheet is columns × rows tiles.
  const sheet = await readJpegSize(path.join(options.outDir, sprites[0]!));
  if (sheet.width % columns !== 0 || sheet.height % rows !== 0) {
    throw new Error(`storyboard: a ${sheet.width}x${sheet.height} sheet does not divide into ${columns}x${rows} tiles`);
  }
  const layout = storyboardLayout({
    durationSec: options.durationSec,
    intervalSec,
    columns,
    rows,
    tileWidth: sheet.width / columns,
    tileHeight: sheet.height / rows,
  });
  await writeFile(path.join(options.outDir, STORYBOARD_VTT), storyboardVtt(layout));
  await writeFile(path.join(options.outDir, STORYBOARD_JSON), `${JSON.stringify(layout, null, 2)}\n`);
  return { layout, files: [...layout.sprites, STORYBOARD_VTT, STORYBOARD_JSON] };
}
