/**
 * Where a chunked encode cuts (src/pipeline/chunk-plan.ts): frame ranges in whole segments of
 * G = round(segmentSeconds × fps) frames per rung, the open-ended last chunk, a short tail joining
 * the chunk before it, and the cases that keep the one-pass ladder — including rungs whose GOPs
 * last different times, which cannot share chunk boundaries.
 */
import { describe, expect, it } from 'vitest';
import type { MediaInfo, Rational, VideoStreamInfo } from '../../src/media/media-info.js';
import { chunkFirstSegment, chunkFrames, chunkStartSec, planChunks, sharedSegmentDuration } from '../../src/pipeline/chunk-plan.js';
import type { LadderPlan, VideoRung } from '../../src/pipeline/ladder-types.js';

function rung(name: string, fps: Rational): VideoRung {
  return { name, width: 640, height: 360, fps, crf: 21, maxrateKbps: 800, bufsizeKbps: 1600 };
}

function plan(rungs: VideoRung[], segmentSeconds = 2, extra: LadderPlan['extraCodecs'] = []): LadderPlan {
  return { video: rungs, audio: [], segmentSeconds, deinterlace: null, extraCodecs: extra };
}

function media(durationSec: number, video: Partial<VideoStreamInfo> | null = {}, startSec = 0): MediaInfo {
  return {
    container: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec,
    startSec,
    sizeBytes: 1,
    bitrateBps: null,
    video: video && ({ startSec, ...video } as VideoStreamInfo),
    audio: [],
    subtitles: [],
  };
}

const NTSC: Rational = { num: 30000, den: 1001 };
const NTSC60: Rational = { num: 60000, den: 1001 };
const base = { minDurationSec: 20, chunkSeconds: 12 };

describe('planChunks', () => {
  it('cuts a 45 s 29.97 fps video into 12 s chunks of six 60-frame segments, the last one open', () => {
    const decision = planChunks({ ...base, media: media(45), plan: plan([rung('480p', NTSC), rung('240p', NTSC)]) });
    expect(decision.mode).toBe('chunked');
    if (decision.mode !== 'chunked') return;
    const { grid } = decision;
    expect(grid).toMatchObject({ gopFrames: [60, 60], segmentsPerChunk: 6, chunkCount: 4, estimatedFrames: 1349 });
    expect(grid.segmentDurationSec).toBeCloseTo(2.002, 9);
    expect([0, 1, 2, 3].map((k) => chunkFrames(grid, k, 0))).toEqual([
      { start: 0, end: 360 }, { start: 360, end: 720 }, { start: 720, end: 1080 }, { start: 1080, end: null },
    ]);
    // Every chunk is a whole number of segments: C·G frames, numbered globally.
    expect([0, 1, 2, 3].map((k) => chunkFirstSegment(grid, k))).toEqual([0, 6, 12, 18]);
    expect(chunkStartSec(grid, 2)).toBeCloseTo((720 * 1001) / 30000, 9);
  });

  it('gives each rung its own frame numbers for the same instants (60 and 30 fps)', () => {
    const decision = planChunks({ ...base, media: media(60), plan: plan([rung('720p', NTSC60), rung('360p', NTSC)]) });
    if (decision.mode !== 'chunked') throw new Error(decision.reason);
    expect(decision.grid.gopFrames).toEqual([120, 60]);
    expect(chunkFrames(decision.grid, 1, 0)).toEqual({ start: 720, end: 1440 });
    expect(chunkFrames(decision.grid, 1, 1)).toEqual({ start: 360, end: 720 });
  });

  it('rounds the chunk length to whole segments', () => {
    const decision = planChunks({ ...base, chunkSeconds: 13, media: media(300), plan: plan([rung('720p', { num: 30, den: 1 })], 4) });
    if (decision.mode !== 'chunked') throw new Error(decision.reason);
    // 13 s of 4 s segments: 3 segments (12 s), 120 frames each.
    expect(decision.grid).toMatchObject({ gopFrames: [120], segmentsPerChunk: 3, chunkCount: 25 });
  });

  it('joins a tail shorter than half a chunk to the chunk before it', () => {
    // 37 s at 30 fps = 1110 frames: 3 chunks of 360 leave 30 frames, which join chunk 2.
    const decision = planChunks({ ...base, media: media(37), plan: plan([rung('360p', { num: 30, den: 1 })]) });
    if (decision.mode !== 'chunked') throw new Error(decision.reason);
    expect(decision.grid.chunkCount).toBe(3);
    expect(chunkFrames(decision.grid, 2, 0)).toEqual({ start: 720, end: null });
  });

  it('counts frames from the first video frame, not the container start', () => {
    const late = planChunks({ ...base, media: media(37.5, { startSec: 1.5 }, 0), plan: plan([rung('360p', { num: 30, den: 1 })]) });
    if (late.mode !== 'chunked') throw new Error(late.reason);
    expect(late.grid.estimatedFrames).toBe(1080);
  });

  it('keeps the one-pass ladder when it must', () => {
    const rungs = [rung('480p', NTSC)];
    const decide = (options: Partial<Parameters<typeof planChunks>[0]>) => planChunks({ ...base, media: media(45), plan: plan(rungs), ...options });
    expect(decide({ minDurationSec: 0 })).toEqual({ mode: 'one-pass', reason: 'chunked encoding is off' });
    expect(decide({ media: media(19.9) })).toMatchObject({ mode: 'one-pass', reason: 'shorter than 20 s' });
    expect(decide({ media: media(45, null), plan: plan([]) })).toMatchObject({ mode: 'one-pass', reason: 'no video' });
    expect(decide({ plan: plan(rungs, 2, ['av1']) })).toMatchObject({ mode: 'one-pass', reason: 'extra codec ladders are encoded in one pass' });
    expect(decide({ chunkSeconds: 60 })).toMatchObject({ mode: 'one-pass', reason: 'fits in one chunk' });
  });

  it('falls back when the rungs’ GOPs last different times', () => {
    // 1 s segments: 45 frames at 45 fps last 1 s, round(22.5) = 23 frames at 22.5 fps last 1.022 s.
    const mixed = plan([rung('720p', { num: 45, den: 1 }), rung('360p', { num: 45, den: 2 })], 1);
    expect(sharedSegmentDuration(mixed)).toBeNull();
    expect(planChunks({ ...base, media: media(60), plan: mixed })).toEqual({ mode: 'one-pass', reason: 'rungs have different segment durations in frames' });
    // Exact rationals: 120 frames at 60000/1001 and 60 at 30000/1001 are both 2.002 s.
    expect(sharedSegmentDuration(plan([rung('720p', NTSC60), rung('360p', NTSC)]))).toEqual({ num: 120 * 1001, den: 60000 });
  });
});
