/**
 * The parameters of an on-demand image (`/api/videos/:id/thumbnail.{jpg,png,webp}?time=&width=&
 * height=&fit_mode=`, the shape of Mux's image API): strict validation, the output geometry, the
 * ffmpeg filter that makes it, and the normalised cache key — two requests that would render the
 * same pixels (12.001 s and 12.02 s of a 25 fps video; `fit_mode=crop` with the source's own aspect
 * ratio and `preserve`) share one key, one render and one cached file.
 *
 * fit_mode, for a width × height box (both given):
 * - preserve  — fit inside the box, keeping the aspect ratio (one side may come out smaller);
 * - stretch   — exactly the box, distorted if the ratios differ;
 * - crop      — fill the box, cutting the overflow equally from both sides;
 * - smartcrop — fill the box, the cut centred on the salient region (frame-pixels.ts) instead;
 * - pad       — fit inside, then pad to exactly the box with black bars.
 * With one side given the other follows the aspect ratio (only `preserve` makes sense then); with
 * neither the image has the top rung's size.
 */
import { z } from 'zod';
import type { ImageFormat } from './rendition-frames.js';

export const FIT_MODES = ['preserve', 'stretch', 'crop', 'smartcrop', 'pad'] as const;
export type FitMode = (typeof FIT_MODES)[number];

export const MIN_IMAGE_SIDE = 16;
export const MAX_IMAGE_SIDE = 3840;

const decimal = /^\d{1,7}(\.\d{1,6})?$/;
const integer = /^\d{1,5}$/;
const side = (name: string) =>
  z
    .string({ error: `${name} must be given once, as a whole number of pixels` })
    .regex(integer, `${name} must be a whole number of pixels`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(MIN_IMAGE_SIDE, `${name} must be at least ${MIN_IMAGE_SIDE}`)
        .max(MAX_IMAGE_SIDE, `${name} must be at most ${MAX_IMAGE_SIDE}`),
    );

/** The query string as Fastify parses it (strings; an array when a key is repeated — refused). */
export const imageQuerySchema = z
  .object({
    time: z
      .string({ error: 'time must be given once, in seconds' })
      .regex(decimal, 'time must be a number of seconds ≥ 0, like 12 or 12.5')
      .transform(Number)
      .optional(),
    width: side('width').optional(),
    height: side('height').optional(),
    fit_mode: z.enum(FIT_MODES, { error: `fit_mode must be one of ${FIT_MODES.join(', ')}` }).default('preserve'),
  })
  .strict();

export type ImageQuery = z.output<typeof imageQuerySchema>;

/** `query.time: …; width: …` — every problem, for a 400's message. */
export function describeImageQueryProblems(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return `unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} (allowed: time, width, height, fit_mode)`;
      }
      return issue.message;
    })
    .join('; ');
}

export interface ImageGeometry {
  width: number;
  height: number;
  /** What happens to the frame, normalised: `fit` whenever nothing is cut, padded or distorted. */
  mode: 'fit' | 'stretch' | 'crop' | 'smartcrop' | 'pad';
  /** For crop and smartcrop: the source region (in top-rung pixels) before scaling. */
  crop?: { width: number; height: number };
  /** For pad: the scaled frame inside the box. */
  inner?: { width: number; height: number };
}

export class ImageGeometryError extends Error {}

/** The output of a request for a frame of `source` size; throws ImageGeometryError for impossible asks. */
export function planGeometry(options: {
  source: { width: number; height: number };
  width?: number;
  height?: number;
  fitMode: FitMode;
}): ImageGeometry {
  const { source, width, height, fitMode } = options;
  const checkSide = (value: number, name: string) => {
    if (value > MAX_IMAGE_SIDE) throw new ImageGeometryError(`the image would be ${value} px ${name}; at most ${MAX_IMAGE_SIDE} (ask for a smaller width or height)`);
    return Math.max(1, value);
  };
  if (width === undefined || height === undefined) {
    if (fitMode !== 'preserve') throw new ImageGeometryError(`fit_mode=${fitMode} needs both width and height`);
    if (width !== undefined) return { width, height: checkSide(Math.round((width * source.height) / source.width), 'high'), mode: 'fit' };
    if (height !== undefined) return { width: checkSide(Math.round((height * source.width) / source.height), 'wide'), height, mode: 'fit' };
    return { width: source.width, height: source.height, mode: 'fit' };
  }
  const scale = Math.min(width / source.width, height / source.height);
  const fitted = { width: Math.max(1, Math.round(source.width * scale)), height: Math.max(1, Math.round(source.height * scale)) };
  const fitsExactly = fitted.width === width && fitted.height === height;
  switch (fitMode) {
    case 'preserve':
      return { ...fitted, mode: 'fit' };
    case 'stretch':
      return { width, height, mode: fitsExactly ? 'fit' : 'stretch' };
    case 'pad':
      return fitsExactly ? { width, height, mode: 'fit' } : { width, height, mode: 'pad', inner: fitted };
    case 'crop':
    case 'smartcrop': {
      if (fitsExactly) return { width, height, mode: 'fit' };
      // The largest source region with the box's aspect ratio; at least one pixel, or a box far
      // narrower than a small frame (16×3840 of 96×54) would crop nothing and fail in ffmpeg.
      const cropSide = (exact: number, limit: number) => Math.max(1, Math.min(limit, Math.round(exact)));
      const crop =
        source.width / source.height > width / height
          ? { width: cropSide((source.height * width) / height, source.width), height: source.height }
          : { width: source.width, height: cropSide((source.width * height) / width, source.height) };
      return { width, height, mode: fitMode, crop };
    }
  }
}

/**
 * The filter chain for `geometry` over a frame of `source` size. `focus` (0–1, the salient centre)
 * places a smartcrop; plain crops are centred.
 */
export function geometryFilter(geometry: ImageGeometry, source: { width: number; height: number }, focus?: { x: number; y: number }): string {
  const scale = (w: number, h: number) => `scale=${w}:${h}:flags=lanczos`;
  switch (geometry.mode) {
    case 'fit':
    case 'stretch':
      return `${scale(geometry.width, geometry.height)},setsar=1`;
    case 'pad': {
      const inner = geometry.inner!;
      const x = Math.floor((geometry.width - inner.width) / 2);
      const y = Math.floor((geometry.height - inner.height) / 2);
      // pad refuses an odd-sized box of 4:2:0 frames (17×16 of a 128×72 rung was a 500, found by
      // test/fuzz/http.test.ts): pad full-resolution chroma; the encoder subsamples after.
      return `${scale(inner.width, inner.height)},format=yuv444p,pad=${geometry.width}:${geometry.height}:${x}:${y}:black,setsar=1`;
    }
    case 'crop':
    case 'smartcrop': {
      const crop = geometry.crop!;
      const centre = geometry.mode === 'smartcrop' && focus ? focus : { x: 0.5, y: 0.5 };
      const x = clampInt(Math.round(centre.x * source.width - crop.width / 2), 0, source.width - crop.width);
      const y = clampInt(Math.round(centre.y * source.height - crop.height / 2), 0, source.height - crop.height);
      // A 1-pixel crop of 4:2:0 frames has no chroma at all, which ffmpeg refuses: crop full chroma.
      return `format=yuv444p,crop=${crop.width}:${crop.height}:${x}:${y},${scale(geometry.width, geometry.height)},setsar=1`;
    }
  }
}

const clampInt = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));

/** Folder of the image cache under a video's version. */
export const IMAGES_DIR = 'images';

/** Blob key (under the video's version) of a rendered image. */
export function imageCacheKey(options: { frameIndex: number; geometry: ImageGeometry; format: ImageFormat }): string {
  const { geometry } = options;
  return `${IMAGES_DIR}/f${options.frameIndex}-${geometry.width}x${geometry.height}-${geometry.mode}.${options.format}`;
}
