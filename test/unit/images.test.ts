/**
 * The arithmetic of the image stages and API: metadata parsing, pixel measures, scoring and
 * rejections, the smart picker's diversity rules, the frame ↔ segment mapping, the image request's
 * strict bounds and geometry, and the preview's choice of span.
 */
import { describe, expect, it } from 'vitest';
import { parseFrameMetadata } from '../../src/media/frame-metadata.js';
import { colourfulness, differenceHash, hammingDistance, laplacianVariance, lumaOf, salientRegion, type RgbFrame } from '../../src/media/frame-pixels.js';
import { mostActiveSpan, type ActivitySample } from '../../src/pipeline/images/activity.js';
import { intervalTimes, selectExpression } from '../../src/pipeline/images/candidate-frames.js';
import { fadeRatios, rejectionOf, scoreFrame, type FrameMeasures } from '../../src/pipeline/images/frame-scores.js';
import { geometryFilter, imageCacheKey, imageQuerySchema, describeImageQueryProblems, planGeometry } from '../../src/pipeline/images/image-request.js';
import { evenlySpread, pickSmart, type PickableFrame } from '../../src/pipeline/images/pick-thumbnails.js';
import { analysisRung, rungAtMost, topRung } from '../../src/pipeline/images/published-rungs.js';
import { locateFrame, parseSegmentTimeline } from '../../src/pipeline/images/rendition-frames.js';
import type { LadderPlan, VideoRung } from '../../src/pipeline/ladder-types.js';

function frameOf(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbFrame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  }
  return { width, height, data };
}

const measures = (over: Partial<FrameMeasures> = {}): FrameMeasures => ({
  yAvg: 120, yLow: 40, yHigh: 200, blur: 5, laplacianVariance: 800, motion: 1, sceneScore: 0, colourfulness: 40,
  salient: { x: 1 / 3, y: 1 / 3, concentration: 0.6 },
  ...over,
});

describe('parseFrameMetadata', () => {
  it('reads frames, their times and values, with nan as NaN', () => {
    const frames = parseFrameMetadata(
      'frame:0    pts:0       pts_time:0\nlavfi.blur=-nan\nlavfi.signalstats.YAVG=16\n' +
        'frame:1    pts:6656    pts_time:0.52\nlavfi.blur=4.541197\nlavfi.scd.mafd=1.336\n',
    );
    expect(frames).toHaveLength(2);
    expect(frames[0]!.ptsTime).toBe(0);
    expect(frames[0]!.values['lavfi.blur']).toBeNaN();
    expect(frames[0]!.values['lavfi.signalstats.YAVG']).toBe(16);
    expect(frames[1]!).toEqual({ ptsTime: 0.52, values: { 'lavfi.blur': 4.541197, 'lavfi.scd.mafd': 1.336 } });
  });
});

describe('pixel measures', () => {
  const grey = frameOf(32, 18, () => [128, 128, 128]);
  const stripes = frameOf(32, 18, (x) => (x % 2 ? [255, 0, 0] : [0, 200, 255]));

  it('colourfulness is 0 for grey and high for saturated colours', () => {
    expect(colourfulness(grey)).toBe(0);
    expect(colourfulness(stripes)).toBeGreaterThan(60);
  });

  it('Laplacian variance is 0 for a flat frame and large for fine detail', () => {
    expect(laplacianVariance(lumaOf(grey), 32, 18)).toBe(0);
    expect(laplacianVariance(lumaOf(stripes), 32, 18)).toBeGreaterThan(1000);
  });

  it('the salient region follows a lone subject', () => {
    // A bright, detailed patch around the upper-left thirds point of a dark frame.
    const frame = frameOf(96, 54, (x, y) => (Math.abs(x - 32) < 6 && Math.abs(y - 18) < 6 ? ((x + y) % 2 ? [250, 220, 40] : [200, 40, 40]) : [20, 20, 30]));
    const region = salientRegion(frame);
    expect(region.x).toBeCloseTo(1 / 3, 1);
    expect(region.y).toBeCloseTo(1 / 3, 1);
    expect(region.concentration).toBeGreaterThan(0.5);
  });

  it('the difference hash matches near-copies and tells different pictures apart', () => {
    const gradient = frameOf(64, 36, (x, y) => [x * 4, y * 6, 100]);
    const brighter = frameOf(64, 36, (x, y) => [Math.min(255, x * 4 + 10), Math.min(255, y * 6 + 10), 110]);
    const mirrored = frameOf(64, 36, (x, y) => [(63 - x) * 4, y * 6, 100]);
    const hash = (f: RgbFrame) => differenceHash(lumaOf(f), f.width, f.height);
    expect(hammingDistance(hash(gradient), hash(brighter))).toBeLessThanOrEqual(2);
    expect(hammingDistance(hash(gradient), hash(mirrored))).toBeGreaterThan(30);
  });
});

describe('frame scores', () => {
  it('rejects black, washed-out, flat and blurred frames, and accepts a good one', () => {
    expect(rejectionOf(measures({ yAvg: 16, yLow: 16, yHigh: 18 }))).toBe('black');
    expect(rejectionOf(measures({ yAvg: 230, yLow: 215, yHigh: 235 }))).toBe('washed-out');
    expect(rejectionOf(measures({ yAvg: 120, yLow: 118, yHigh: 124 }))).toBe('flat');
    expect(rejectionOf(measures({ blur: 70 }))).toBe('blurry');
    expect(rejectionOf(measures({ blur: null }))).toBe('blurry');
    expect(rejectionOf(measures())).toBeNull();
  });

  it('a sharp frame outscores the same frame blurred, dark or in motion', () => {
    const good = scoreFrame(measures(), 1).total;
    expect(scoreFrame(measures({ blur: 12, laplacianVariance: 50 }), 1).total).toBeLessThan(good);
    expect(scoreFrame(measures({ yAvg: 45, yHigh: 90 }), 1).total).toBeLessThan(good);
    expect(scoreFrame(measures({ motion: 20 }), 1).total).toBeLessThan(good);
    expect(scoreFrame(measures(), 0.5)).toMatchObject({ rejected: 'fade' });
  });

  it('fade ratios compare a frame with its own shot only', () => {
    const frames = [
      { time: 0, measures: measures({ yLow: 20, yHigh: 60 }) }, // mid fade-in
      { time: 1, measures: measures({ yLow: 20, yHigh: 200 }) },
      { time: 2, measures: measures({ yLow: 20, yHigh: 60, sceneScore: 0.9 }) }, // a new, low-contrast shot
    ];
    const [fading, full, lowShot] = fadeRatios(frames);
    expect(fading).toBeCloseTo(40 / 180, 3);
    expect(full).toBe(1);
    expect(lowShot).toBe(1);
  });
});

describe('pickSmart', () => {
  let seed = 1;
  const frame = (time: number, total: number, rejected: PickableFrame['rejected'] = null): PickableFrame => ({
    time,
    total,
    rejected,
    // Distinct pictures: far-apart hashes and colours.
    hash: BigInt(seed++) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn,
    meanColour: [(seed * 53) % 255, (seed * 97) % 255, (seed * 31) % 255],
  });

  it('takes the best frames at least the minimum gap apart, in time order', () => {
    const frames = [frame(1, 0.9), frame(1.5, 0.95), frame(4, 0.5), frame(7, 0.7), frame(9.8, 0.6)];
    // 10 s, 3 picks: gap 10 / 6 ≈ 1.67 s, so 1 s and 1.5 s cannot both be taken.
    expect(pickSmart(frames, { count: 3, durationSec: 10 })).toEqual([1, 3, 4]);
  });

  it('never takes a near-duplicate, however good', () => {
    const a = frame(1, 0.9);
    const copy = { ...frame(8, 0.89), hash: a.hash ^ 0b101n, meanColour: a.meanColour };
    const other = frame(5, 0.2);
    expect(pickSmart([a, copy, other], { count: 2, durationSec: 10 })).toEqual([0, 2]);
  });

  it('prefers fewer thumbnails to a rejected frame, but never returns none', () => {
    const frames = [frame(1, 0.8), frame(5, 0.9, 'blurry'), frame(9, 0.7, 'black')];
    expect(pickSmart(frames, { count: 3, durationSec: 10 })).toEqual([0]);
    expect(pickSmart([frame(1, 0.1, 'black'), frame(5, 0.3, 'fade')], { count: 3, durationSec: 10 })).toEqual([1]);
    expect(pickSmart([frame(1, 0.1, 'black'), frame(5, 0.05, 'flat')], { count: 3, durationSec: 10 })).toEqual([0]);
  });

  it('spreads keyframe picks evenly', () => {
    expect(evenlySpread(3, 5)).toEqual([0, 1, 2]);
    expect(evenlySpread(10, 5)).toEqual([1, 3, 5, 7, 9]);
  });
});

describe('candidate selection', () => {
  it('interval targets are the middles of equal parts, each selected once', () => {
    expect(intervalTimes(20, 5)).toEqual([2, 6, 10, 14, 18]);
    const expr = selectExpression({ method: 'interval', durationSec: 20, count: 2 });
    expect(expr).toBe('gte(t\\,5.0000)*not(gte(prev_selected_t\\,5.0000))+gte(t\\,15.0000)*not(gte(prev_selected_t\\,15.0000))');
  });

  it('smart candidates are scene changes, keyframes and evenly spaced frames', () => {
    const expr = selectExpression({ method: 'smart', durationSec: 60, count: 5 });
    expect(expr).toContain('gt(scene\\,0.3)');
    expect(expr).toContain('eq(pict_type\\,I)');
    expect(expr).toContain('gte(t-prev_selected_t\\,0.300)');
  });
});

describe('frames in published segments', () => {
  const playlist = [
    '#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:2', '#EXT-X-MAP:URI="init_0.mp4"',
    '#EXTINF:2.000000,', 'seg_00000.m4s', '#EXTINF:2.000000,', 'seg_00001.m4s', '#EXTINF:1.040000,', 'seg_00002.m4s', '#EXT-X-ENDLIST', '',
  ].join('\n');
  const timeline = parseSegmentTimeline(playlist);
  const fps = { num: 25, den: 1 };

  it('sums EXTINF durations into segment start times', () => {
    expect(timeline.initUri).toBe('init_0.mp4');
    expect(timeline.segments.map((s) => s.startSec)).toEqual([0, 2, 4]);
    expect(timeline.durationSec).toBeCloseTo(5.04, 6);
  });

  it('maps a time to the frame on screen, its segment and a seek half a frame early', () => {
    expect(locateFrame(timeline, fps, 0)).toEqual({ frameIndex: 0, timeSec: 0, segmentIndex: 0, offsetSec: 0 });
    const inSecond = locateFrame(timeline, fps, 3.999);
    expect(inSecond).toMatchObject({ frameIndex: 99, timeSec: 3.96, segmentIndex: 1 });
    expect(inSecond.offsetSec).toBeCloseTo(1.96 - 0.02, 6);
    expect(locateFrame(timeline, fps, 2)).toMatchObject({ frameIndex: 50, segmentIndex: 1 });
    // Times within one frame are the same frame; past the end is the last frame.
    expect(locateFrame(timeline, fps, 4.001).frameIndex).toBe(locateFrame(timeline, fps, 4.039).frameIndex);
    expect(locateFrame(timeline, fps, 99)).toMatchObject({ frameIndex: 125, segmentIndex: 2 });
  });
});

describe('image request', () => {
  const parse = (query: Record<string, unknown>) => {
    const parsed = imageQuerySchema.safeParse(query);
    return parsed.success ? parsed.data : describeImageQueryProblems(parsed.error);
  };

  it('accepts and normalises good parameters', () => {
    expect(parse({})).toEqual({ fit_mode: 'preserve' });
    expect(parse({ time: '12.5', width: '320', height: '16', fit_mode: 'crop' })).toEqual({ time: 12.5, width: 320, height: 16, fit_mode: 'crop' });
  });

  it('refuses out-of-range, malformed, repeated and unknown parameters with a clear message', () => {
    expect(parse({ time: '-1' })).toMatch(/time must be a number of seconds ≥ 0/);
    expect(parse({ time: '1e3' })).toMatch(/time must be/);
    expect(parse({ width: '15' })).toMatch(/width must be at least 16/);
    expect(parse({ height: '3841' })).toMatch(/height must be at most 3840/);
    expect(parse({ width: '12.5' })).toMatch(/width must be a whole number/);
    expect(parse({ width: ['100', '200'] })).toMatch(/width must be given once/);
    expect(parse({ fit_mode: 'zoom' })).toMatch(/fit_mode must be one of preserve, stretch, crop, smartcrop, pad/);
    expect(parse({ size: '10' })).toMatch(/unknown parameter size/);
  });

  const source = { width: 640, height: 360 };
  it('plans each fit mode, normalising the ones that change nothing', () => {
    expect(planGeometry({ source, fitMode: 'preserve' })).toEqual({ width: 640, height: 360, mode: 'fit' });
    expect(planGeometry({ source, width: 320, fitMode: 'preserve' })).toEqual({ width: 320, height: 180, mode: 'fit' });
    expect(planGeometry({ source, height: 90, fitMode: 'preserve' })).toEqual({ width: 160, height: 90, mode: 'fit' });
    expect(planGeometry({ source, width: 200, height: 200, fitMode: 'preserve' })).toEqual({ width: 200, height: 113, mode: 'fit' });
    expect(planGeometry({ source, width: 100, height: 100, fitMode: 'stretch' })).toEqual({ width: 100, height: 100, mode: 'stretch' });
    expect(planGeometry({ source, width: 100, height: 100, fitMode: 'crop' })).toEqual({ width: 100, height: 100, mode: 'crop', crop: { width: 360, height: 360 } });
    expect(planGeometry({ source, width: 200, height: 200, fitMode: 'pad' })).toEqual({ width: 200, height: 200, mode: 'pad', inner: { width: 200, height: 113 } });
    // Same aspect ratio as the source: crop, pad and stretch are a plain fit (one cache entry).
    for (const fitMode of ['crop', 'pad', 'stretch', 'smartcrop'] as const) {
      expect(planGeometry({ source, width: 320, height: 180, fitMode })).toEqual({ width: 320, height: 180, mode: 'fit' });
    }
  });

  it('refuses geometry it cannot honour', () => {
    expect(() => planGeometry({ source, width: 100, fitMode: 'crop' })).toThrow(/fit_mode=crop needs both width and height/);
    expect(() => planGeometry({ source, height: 3000, fitMode: 'preserve' })).toThrow(/5333 px wide; at most 3840/);
  });

  // Found by test/fuzz/image-query.test.ts: the crop rounded to 0 px and ffmpeg failed (500).
  it('crops at least one pixel of a small frame for a very narrow or flat box', () => {
    const small = { width: 96, height: 54 };
    expect(planGeometry({ source: small, width: 16, height: 3840, fitMode: 'crop' })).toEqual({ width: 16, height: 3840, mode: 'crop', crop: { width: 1, height: 54 } });
    expect(planGeometry({ source: small, width: 3840, height: 16, fitMode: 'smartcrop' })).toEqual({ width: 3840, height: 16, mode: 'smartcrop', crop: { width: 96, height: 1 } });
  });

  it('builds crop, smartcrop and pad filters inside the frame', () => {
    const crop = planGeometry({ source, width: 100, height: 100, fitMode: 'crop' });
    expect(geometryFilter(crop, source)).toBe('format=yuv444p,crop=360:360:140:0,scale=100:100:flags=lanczos,setsar=1');
    const smart = planGeometry({ source, width: 100, height: 100, fitMode: 'smartcrop' });
    expect(geometryFilter(smart, source, { x: 0.1, y: 0.5 })).toBe('format=yuv444p,crop=360:360:0:0,scale=100:100:flags=lanczos,setsar=1');
    expect(geometryFilter(smart, source, { x: 0.7, y: 0.5 })).toBe('format=yuv444p,crop=360:360:268:0,scale=100:100:flags=lanczos,setsar=1');
    const pad = planGeometry({ source, width: 200, height: 200, fitMode: 'pad' });
    expect(geometryFilter(pad, source)).toBe('scale=200:113:flags=lanczos,format=yuv444p,pad=200:200:0:43:black,setsar=1');
    expect(imageCacheKey({ frameIndex: 12, geometry: pad, format: 'webp' })).toBe('images/f12-200x200-pad.webp');
  });
});

describe('published rungs', () => {
  const rung = (width: number, height: number): VideoRung => ({ name: `${Math.min(width, height)}p`, width, height, fps: { num: 30, den: 1 }, crf: 23, maxrateKbps: 1, bufsizeKbps: 1 });
  const plan: LadderPlan = { video: [rung(1920, 1080), rung(1280, 720), rung(854, 480), rung(640, 360), rung(426, 240)], audio: [], segmentSeconds: 4, deinterlace: null };

  it('measures on 360p, cuts images from the top, and previews from ≤ 480p', () => {
    expect(topRung(plan).dir).toBe('v0');
    expect(analysisRung(plan).dir).toBe('v3');
    expect(rungAtMost(plan, 480).dir).toBe('v2');
    const tiny: LadderPlan = { ...plan, video: [rung(320, 180)] };
    expect(analysisRung(tiny).dir).toBe('v0');
    expect(rungAtMost(tiny, 480).dir).toBe('v0');
  });
});

describe('mostActiveSpan', () => {
  const samples = (interest: (t: number) => number, seconds = 20): ActivitySample[] =>
    Array.from({ length: seconds * 5 }, (_, i) => ({ time: i / 5, interest: interest(i / 5), cut: interest(i / 5) >= 3 }));

  it('finds the window with the most cuts and motion', () => {
    const span = mostActiveSpan(samples((t) => (t >= 12 && t < 16 && Math.round(t * 5) % 3 === 0 ? 3 : 0.1)), { windowSec: 4, durationSec: 20 });
    expect(span.startSec).toBeGreaterThanOrEqual(11.2);
    expect(span.startSec).toBeLessThanOrEqual(12.2);
    expect(span.durationSec).toBe(4);
    expect(span.cuts).toBeGreaterThanOrEqual(6);
  });

  it('starts a tenth in when nothing moves, and takes the whole of a short video', () => {
    expect(mostActiveSpan(samples(() => 0), { windowSec: 4, durationSec: 20 })).toMatchObject({ startSec: 2, durationSec: 4, interest: 0 });
    expect(mostActiveSpan(samples(() => 1, 3), { windowSec: 30, durationSec: 3 })).toMatchObject({ startSec: 0, durationSec: 3 });
  });

  it('stays inside the given range', () => {
    const span = mostActiveSpan(samples((t) => (t < 5 ? 3 : 0.5)), { windowSec: 2, durationSec: 20, fromSec: 10, toSec: 15 });
    expect(span.startSec).toBeGreaterThanOrEqual(10);
    expect(span.startSec + span.durationSec).toBeLessThanOrEqual(15);
  });
});
