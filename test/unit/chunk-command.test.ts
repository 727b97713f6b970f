/**
 * The ffmpeg arguments of one chunk (buildLadderCommand with a `window`, docs/chunked-encoding.md):
 * a keyframe-seek before the input with source timestamps kept, the whole-file filters (origin
 * shift, fps) followed by a trim on exact frame numbers, keyframes by frame count, globally numbered
 * segments, video rungs only — and the whole-file command untouched when there is no window.
 */
import { describe, expect, it } from 'vitest';
import type { MediaInfo, VideoStreamInfo } from '../../src/media/media-info.js';
import { planLadder } from '../../src/pipeline/ladder.js';
import { buildLadderCommand } from '../../src/pipeline/ladder-command.js';

const video = {
  index: 0, codec: 'h264', profile: 'High', pixelFormat: 'yuv420p', bitDepth: 8, chroma: '420',
  codedWidth: 854, codedHeight: 480, rotation: 0, displayWidth: 854, displayHeight: 480, startSec: 0.5,
  fps: 29.97, fpsRational: { num: 30000, den: 1001 }, nominalFps: 29.97, isVfr: false, bitrateBps: null,
  interlaced: false, fieldOrder: 'progressive', colorTransfer: null, colorPrimaries: null, colorSpace: null, hdr: null,
} satisfies VideoStreamInfo;

const media: MediaInfo = {
  container: 'mov,mp4,m4a,3gp,3g2,mj2', durationSec: 45, startSec: 0, sizeBytes: 1e6, bitrateBps: null, video,
  audio: [{ index: 1, codec: 'aac', profile: null, channels: 2, channelLayout: 'stereo', sampleRate: 48000, language: null, bitrateBps: null }],
  subtitles: [],
};
const plan = planLadder(media, { segmentSeconds: 2, maxFps: 60 });
const base = { inputPath: '/in.mp4', media, plan, outputDir: '/out', x264Preset: 'veryfast' };

const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('a chunk’s ffmpeg command', () => {
  const args = buildLadderCommand({ ...base, window: { seekSec: 21.012, frames: plan.video.map(() => ({ start: 720, end: 1080 })), firstSegment: 12 } });

  it('seeks to a keyframe before the chunk and keeps the whole-file timestamps', () => {
    expect(args.slice(args.indexOf('-ss'), args.indexOf('-ss') + 5)).toEqual(['-ss', '21.012000', '-noaccurate_seek', '-copyts', '-start_at_zero']);
    expect(args.indexOf('-ss')).toBeLessThan(args.indexOf('-i'));
  });

  it('trims every rung to exact output frames after the same origin shift and fps filter', () => {
    const graph = after(args, '-filter_complex')!;
    expect(graph).toContain('[0:0]setpts=PTS-0.500000/TB,split=3');
    for (let i = 0; i < 3; i++) expect(graph).toContain(`[s${i}]fps=30000/1001,trim=start_pts=720:end_pts=1080,setpts=PTS-STARTPTS,scale=`);
    const last = buildLadderCommand({ ...base, window: { seekSec: 33, frames: plan.video.map(() => ({ start: 1080, end: null })), firstSegment: 18 } });
    expect(after(last, '-filter_complex')).toContain('trim=start_pts=1080,setpts=PTS-STARTPTS');
  });

  it('forces keyframes every 60 frames, numbers segments globally, cuts at every keyframe', () => {
    expect(after(args, '-force_key_frames:v:0')).toBe('expr:eq(mod(n,60),0)');
    expect(after(args, '-g:v:2')).toBe('60');
    expect(after(args, '-start_number')).toBe('12');
    expect(after(args, '-hls_time')).toBe(((59.5 * 1001) / 30000).toFixed(6));
  });

  it('encodes the video rungs only', () => {
    expect(args.some((a) => a.startsWith('-c:a'))).toBe(false);
    expect(args).not.toContain('0:1');
    expect(after(args, '-var_stream_map')).toBe('v:0,name:v0 v:1,name:v1 v:2,name:v2');
  });

  it('leaves the whole-file command as it was', () => {
    const whole = buildLadderCommand(base);
    expect(whole).not.toContain('-ss');
    expect(whole).not.toContain('-copyts');
    expect(after(whole, '-force_key_frames:v:0')).toBe('expr:gte(t,n_forced*2)');
    expect(after(whole, '-hls_time')).toBe('2');
    expect(after(whole, '-filter_complex')).not.toContain('trim');
  });
});
