/**
 * Property tests of the image API's parameters (`/api/videos/:id/thumbnail.*?time=&width=&height=
 * &fit_mode=`): the query schema over what Fastify's query parser can hand it (strings, repeated
 * keys as arrays, unknown keys), and the geometry and ffmpeg filter planned from what it accepts,
 * over every source size a ladder may produce.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeImageQueryProblems,
  FIT_MODES,
  geometryFilter,
  ImageGeometryError,
  imageQuerySchema,
  MAX_IMAGE_SIDE,
  planGeometry,
} from '../../src/pipeline/images/image-request.js';
import { imageParamKey, imageParamValue } from './arbitraries.js';
import { fuzzParameters } from './fuzz-parameters.js';

const RUNS = 3000;

/** The query object as Fastify's parser builds it: a repeated key becomes an array. */
const parsedQuery = fc
  .array(fc.tuple(imageParamKey, fc.oneof({ weight: 5, arbitrary: imageParamValue }, { weight: 1, arbitrary: fc.array(imageParamValue, { minLength: 2, maxLength: 3 }) })), { maxLength: 5 })
  .map((entries) => {
    const query: Record<string, string | string[]> = Object.create(null);
    for (const [key, value] of entries) query[key] = value;
    return query;
  });

/** Top-rung sizes: tiny ones (audio-sized thumbnails, 96×54 sources) to 8K, any aspect ratio. */
const sourceSize = fc.record({
  width: fc.oneof(fc.integer({ min: 2, max: 200 }), fc.integer({ min: 2, max: 7680 })),
  height: fc.oneof(fc.integer({ min: 2, max: 200 }), fc.integer({ min: 2, max: 4320 })),
});
const side = fc.oneof(fc.constantFrom(16, MAX_IMAGE_SIDE), fc.integer({ min: 16, max: MAX_IMAGE_SIDE }));

describe('imageQuerySchema (fuzzed)', () => {
  it('never throws; accepts only a time ≥ 0 and whole sides within bounds, and explains every refusal', () => {
    fc.assert(
      fc.property(parsedQuery, (query) => {
        const parsed = imageQuerySchema.safeParse(query);
        if (!parsed.success) {
          expect(describeImageQueryProblems(parsed.error)).not.toBe('');
          return;
        }
        const { time, width, height, fit_mode } = parsed.data;
        if (time !== undefined) expect(Number.isFinite(time) && time >= 0).toBe(true);
        for (const value of [width, height]) {
          if (value !== undefined) expect(Number.isInteger(value) && value >= 16 && value <= MAX_IMAGE_SIDE).toBe(true);
        }
        expect(FIT_MODES).toContain(fit_mode);
      }),
      fuzzParameters(RUNS),
    );
  });
});

describe('planGeometry and geometryFilter (fuzzed)', () => {
  it('plan an image of at most MAX_IMAGE_SIDE (of a size asked for) whose crop and pad lie inside the frame and the box', () => {
    fc.assert(
      fc.property(
        sourceSize,
        fc.option(side, { nil: undefined }),
        fc.option(side, { nil: undefined }),
        fc.constantFrom(...FIT_MODES),
        fc.record({ x: fc.double({ min: 0, max: 1, noNaN: true }), y: fc.double({ min: 0, max: 1, noNaN: true }) }),
        (source, width, height, fitMode, focus) => {
          let geometry;
          try {
            geometry = planGeometry({ source, width, height, fitMode });
          } catch (err) {
            expect(err).toBeInstanceOf(ImageGeometryError);
            return;
          }
          if (width === undefined && height === undefined) {
            // No size asked: the top rung's own, whatever it is (a 4096-wide DCI rung stays 4096).
            expect(geometry).toEqual({ ...source, mode: 'fit' });
          } else {
            for (const value of [geometry.width, geometry.height]) {
              expect(Number.isInteger(value) && value >= 1 && value <= MAX_IMAGE_SIDE).toBe(true);
            }
          }
          if (width !== undefined && height !== undefined) {
            expect(geometry.width).toBeLessThanOrEqual(width);
            expect(geometry.height).toBeLessThanOrEqual(height);
          }
          if (geometry.crop) {
            expect(geometry.crop.width).toBeGreaterThanOrEqual(1);
            expect(geometry.crop.height).toBeGreaterThanOrEqual(1);
            expect(geometry.crop.width).toBeLessThanOrEqual(source.width);
            expect(geometry.crop.height).toBeLessThanOrEqual(source.height);
          }
          if (geometry.inner) {
            expect(geometry.inner.width >= 1 && geometry.inner.width <= geometry.width).toBe(true);
            expect(geometry.inner.height >= 1 && geometry.inner.height <= geometry.height).toBe(true);
          }
          const filter = geometryFilter(geometry, source, focus);
          // Every number in the chain is a whole, non-negative count of pixels.
          for (const n of filter.match(/-?[\d.]+/g) ?? []) expect(n).toMatch(/^\d+$/);
          const crop = /^crop=(\d+):(\d+):(\d+):(\d+),/.exec(filter);
          if (crop) {
            const [cw, ch, x, y] = crop.slice(1).map(Number) as [number, number, number, number];
            expect(x + cw).toBeLessThanOrEqual(source.width);
            expect(y + ch).toBeLessThanOrEqual(source.height);
          }
        },
      ),
      fuzzParameters(RUNS),
    );
  });
});
