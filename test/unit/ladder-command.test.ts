/**
 * The ladder's ffmpeg arguments, pure: the audio chain (timing, downmix, loudness, priming), the
 * shared origin of picture and sound, every H.264 encoder family (this machine has no GPU, so the
 * hardware families are pinned here rather than run), and the extra-codec ladders' layout.
 */
import { describe, expect, it } from 'vitest';
import type { H264Encoder } from '../../src/media/encoders.js';
import type { AudioStreamInfo, MediaInfo, VideoStreamInfo } from '../../src/media/media-info.js';
import { AAC_PRIMING_SAMPLES, audioFilterChain } from '../../src/pipeline/audio-filter.js';
import { planLadder } from '../../src/pipeline/ladder.js';
import { buildLadderCommand, renditionDirs, SEGMENT_MUXER_OPTIONS } from '../../src/pipeline/ladder-command.js';
import type { AudioLoudness, LadderPlan } from '../../src/pipeline/ladder-types.js';
import { streamOriginShiftSec } from '../../src/pipeline/stream-origin.js';
import { extraCodecArgs, h264EncoderArgs } from '../../src/pipeline/video-encoders.js';
import { ladderReferenceGraph } from '../../src/quality/ladder-reference.js';

function video(overrides: Partial<VideoStreamInfo> = {}): VideoStreamInfo {
  return {
    index: 0, codec: 'h264', profile: 'High', pixelFormat: 'yuv420p', bitDepth: 8, chroma: '420',
    codedWidth: 1280, codedHeight: 720, rotation: 0, displayWidth: 1280, displayHeight: 720, startSec: 0,
    fps: 30, fpsRational: { num: 30, den: 1 }, nominalFps: 30, isVfr: false, bitrateBps: null,
    interlaced: false, fieldOrder: 'progressive', colorTransfer: null, colorPrimaries: null, colorSpace: null, hdr: null,
    ...overrides,
  };
}

function audio(overrides: Partial<AudioStreamInfo> = {}): AudioStreamInfo {
  return { index: 1, codec: 'ac3', profile: null, channels: 6, channelLayout: '5.1(side)', sampleRate: 48000, language: 'eng', bitrateBps: null, ...overrides };
}

function media(overrides: Partial<MediaInfo> = {}): MediaInfo {
  return {
    container: 'mov,mp4,m4a,3gp,3g2,mj2', durationSec: 10, startSec: 0, sizeBytes: 1e6, bitrateBps: null,
    video: video(), audio: [audio()], subtitles: [], ...overrides,
  };
}

const LOUDNESS: AudioLoudness = {
  measuredLufs: -27.3, truePeakDbtp: -9.1, rangeLu: 6.2, thresholdLufs: -37.6, targetOffsetLu: 0.4,
  targetLufs: -14, targetTruePeakDbtp: -1, targetRangeLu: 11,
};

const planOf = (m: MediaInfo, extra: Partial<LadderPlan> = {}): LadderPlan => ({ ...planLadder(m, { segmentSeconds: 2, maxFps: 60 }), ...extra });
const command = (m: MediaInfo, plan: LadderPlan, h264Encoder?: H264Encoder) =>
  buildLadderCommand({ inputPath: '/in.mp4', media: m, plan, outputDir: '/out', x264Preset: 'veryfast', h264Encoder });
const valueOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('audio filter chain', () => {
  it('pads/trims to the origin, downmixes, normalises, resamples after loudnorm, then skips the AAC priming', () => {
    const m = media();
    const [rendition] = planOf(m).audio;
    const chain = audioFilterChain({ media: m, rendition: { ...rendition!, loudness: LOUDNESS } });
    expect(chain.split(',').map((f) => f.split('=')[0])).toEqual(['aresample', 'aformat', 'loudnorm', 'aresample', 'atrim']);
    expect(chain).toMatch(/^aresample=async=1:first_pts=0,aformat=channel_layouts=stereo,loudnorm=I=-14:TP=-1:LRA=11:measured_I=-27\.30:/);
    expect(chain).toContain(':linear=true,aresample=48000,');
    expect(chain.endsWith(`atrim=start_sample=${AAC_PRIMING_SAMPLES}`)).toBe(true);
  });

  it('applies no gain when normalisation is off or the track is silent', () => {
    const m = media();
    const [rendition] = planOf(m).audio;
    expect(audioFilterChain({ media: m, rendition: rendition! })).not.toContain('loudnorm');
    const silent = { ...LOUDNESS, measuredLufs: null, thresholdLufs: null };
    expect(audioFilterChain({ media: m, rendition: { ...rendition!, loudness: silent } })).not.toContain('loudnorm');
  });

  it('delivers 44.1 kHz sources at 44.1 kHz, the priming counted at that rate', () => {
    const m = media({ audio: [audio({ sampleRate: 44100, channels: 2 })] });
    expect(audioFilterChain({ media: m, rendition: planOf(m).audio[0]! })).toContain('aresample=44100,atrim=start_sample=1024');
  });
});

describe('one origin for picture and sound (A/V sync)', () => {
  it('moves video and every audio track by the same amount when the video starts late', () => {
    const m = media({ startSec: 0.2, video: video({ startSec: 0.7 }), audio: [audio(), audio({ index: 2, channels: 2 })] });
    expect(streamOriginShiftSec(m)).toBeCloseTo(0.5, 9);
    const args = command(m, planOf(m));
    expect(valueOf(args, '-filter_complex')).toMatch(/^\[0:0\]setpts=PTS-0\.500000\/TB,split=/);
    for (const i of [0, 1]) expect(valueOf(args, `-filter:a:${i}`)).toMatch(/^asetpts=PTS-0\.500000\/TB,aresample=async=1:first_pts=0,/);
  });

  it('moves nothing when the video starts with the container; audio-only keeps the container start', () => {
    expect(valueOf(command(media(), planOf(media())), '-filter_complex')).toMatch(/^\[0:0\]split=/);
    const audioOnly = media({ video: null, startSec: 1.4 });
    expect(streamOriginShiftSec(audioOnly)).toBe(0);
    expect(valueOf(command(audioOnly, planOf(audioOnly)), '-filter:a:0')).toMatch(/^aresample=async=1:first_pts=0,/);
  });

  it('moves forward when the video (oddly) starts before the container', () => {
    const m = media({ startSec: 0.3, video: video({ startSec: 0.1 }) });
    expect(valueOf(command(m, planOf(m)), '-filter_complex')).toMatch(/^\[0:0\]setpts=PTS\+0\.200000\/TB,/);
  });

  it('writes segments with negative composition offsets and no edit lists', () => {
    expect(SEGMENT_MUXER_OPTIONS).toBe('movflags=+negative_cts_offsets:use_editlist=0');
    expect(valueOf(command(media(), planOf(media())), '-hls_segment_options')).toBe(SEGMENT_MUXER_OPTIONS);
  });
});

describe('every audio track is encoded', () => {
  it('maps each planned track, default first, AAC stereo at its bit rate', () => {
    const m = media({ audio: [audio({ index: 3 }), audio({ index: 1, channels: 1, codec: 'aac', language: 'fra' })] });
    const args = command(m, planOf(m));
    const maps = args.filter((_, i) => args[i - 1] === '-map');
    expect(maps.slice(-2)).toEqual(['0:3', '0:1']);
    expect([valueOf(args, '-c:a:0'), valueOf(args, '-b:a:0'), valueOf(args, '-ac:a:0')]).toEqual(['aac', '128k', '2']);
    expect([valueOf(args, '-c:a:1'), valueOf(args, '-b:a:1'), valueOf(args, '-ac:a:1')]).toEqual(['aac', '96k', '2']);
    expect(valueOf(args, '-var_stream_map')).toBe('v:0,name:v0 v:1,name:v1 v:2,name:v2 v:3,name:v3 a:0,name:a0 a:1,name:a1');
  });
});

describe('H.264 encoder families (no GPU here: the arguments are what is tested)', () => {
  const rung = { name: '720p', width: 1280, height: 720, fps: { num: 30000, den: 1001 }, crf: 22, maxrateKbps: 2624, bufsizeKbps: 5248 };
  const args = (encoder: H264Encoder) =>
    h264EncoderArgs({ rung, index: 2, segmentSeconds: 4, encoder, x264Preset: 'veryfast' });
  const common = ['-g:v:2', '120', '-force_key_frames:v:2', 'expr:gte(t,n_forced*4)', '-color_primaries:v:2', 'bt709', '-color_trc:v:2', 'bt709', '-colorspace:v:2', 'bt709'];

  it('libx264: CRF capped by maxrate/bufsize, GOP of one segment, no scene-cut keyframes', () => {
    expect(args({ name: 'libx264', hardware: null })).toEqual([
      '-c:v:2', 'libx264', '-preset:v:2', 'veryfast', '-profile:v:2', 'high',
      '-crf:v:2', '22', '-maxrate:v:2', '2624k', '-bufsize:v:2', '5248k',
      '-keyint_min:v:2', '120', '-sc_threshold:v:2', '0', ...common,
    ]);
  });

  it('NVENC: VBR with a constant-quality target, same cap; forced frames are IDR; no scene cuts', () => {
    expect(args({ name: 'h264_nvenc', hardware: 'nvenc' })).toEqual([
      '-c:v:2', 'h264_nvenc', '-preset:v:2', 'p2', '-tune:v:2', 'hq', '-profile:v:2', 'high',
      '-rc:v:2', 'vbr', '-cq:v:2', '22', '-b:v:2', '0', '-maxrate:v:2', '2624k', '-bufsize:v:2', '5248k',
      '-forced-idr:v:2', '1', '-no-scenecut:v:2', '1', ...common,
    ]);
  });

  it('Quick Sync: QVBR (quality + average + peak); forced IDR; no adaptive I/B, no look-ahead', () => {
    expect(args({ name: 'h264_qsv', hardware: 'qsv' })).toEqual([
      '-c:v:2', 'h264_qsv', '-preset:v:2', 'veryfast', '-profile:v:2', 'high',
      '-global_quality:v:2', '22', '-b:v:2', '1312k', '-maxrate:v:2', '2624k', '-bufsize:v:2', '5248k',
      '-forced_idr:v:2', '1', '-adaptive_i:v:2', '0', '-adaptive_b:v:2', '0', '-look_ahead:v:2', '0', ...common,
    ]);
  });

  it('VAAPI: QVBR, every I-frame an IDR; the device opened before the input and frames uploaded in the graph', () => {
    expect(args({ name: 'h264_vaapi', hardware: 'vaapi' })).toEqual([
      '-c:v:2', 'h264_vaapi', '-profile:v:2', 'high',
      '-rc_mode:v:2', 'QVBR', '-global_quality:v:2', '22', '-b:v:2', '1312k', '-maxrate:v:2', '2624k', '-bufsize:v:2', '5248k',
      '-idr_interval:v:2', '0', ...common,
    ]);
    const m = media();
    const full = command(m, planOf(m), { name: 'h264_vaapi', hardware: 'vaapi' });
    expect(full.indexOf('-vaapi_device')).toBeLessThan(full.indexOf('-i'));
    expect(valueOf(full, '-vaapi_device')).toBe('/dev/dri/renderD128');
    expect(valueOf(full, '-filter_complex')).toContain('format=yuv420p,format=nv12,hwupload[o0]');
  });

  it('libx264 unless told otherwise, and no device or upload for it', () => {
    const full = command(media(), planOf(media()));
    expect(valueOf(full, '-c:v:0')).toBe('libx264');
    expect(full).not.toContain('-vaapi_device');
    expect(valueOf(full, '-filter_complex')).not.toContain('hwupload');
  });
});

describe('extra codec ladders', () => {
  const m = media();
  const plan = planOf(m, { extraCodecs: ['av1', 'vp9'] });
  const args = command(m, plan);

  it('copies every rung in each codec, scaling once per rung, H.264 outputs mapped first', () => {
    expect(plan.video.map((r) => r.name)).toEqual(['720p', '480p', '360p', '240p']);
    const graph = valueOf(args, '-filter_complex')!;
    expect(graph).toContain('format=yuv420p,split=3[o0][av1_0][vp9_0]');
    expect(graph.match(/scale=/g)).toHaveLength(4);
    const maps = args.filter((_, i) => args[i - 1] === '-map');
    expect(maps).toEqual([
      '[o0]', '[o1]', '[o2]', '[o3]',
      '[av1_0]', '[av1_1]', '[av1_2]', '[av1_3]',
      '[vp9_0]', '[vp9_1]', '[vp9_2]', '[vp9_3]',
      '0:1',
    ]);
    expect(valueOf(args, '-var_stream_map')).toBe(
      'v:0,name:v0 v:1,name:v1 v:2,name:v2 v:3,name:v3 ' +
        'v:4,name:av1/v0 v:5,name:av1/v1 v:6,name:av1/v2 v:7,name:av1/v3 ' +
        'v:8,name:vp9/v0 v:9,name:vp9/v1 v:10,name:vp9/v2 v:11,name:vp9/v3 a:0,name:a0',
    );
    expect([4, 5, 6, 7].map((i) => valueOf(args, `-c:v:${i}`))).toEqual(['libsvtav1', 'libsvtav1', 'libsvtav1', 'libsvtav1']);
    expect([8, 9, 10, 11].map((i) => valueOf(args, `-c:v:${i}`))).toEqual(['libvpx-vp9', 'libvpx-vp9', 'libvpx-vp9', 'libvpx-vp9']);
  });

  it('forces keyframes at the same segment boundaries in every codec', () => {
    for (let i = 0; i < 12; i++) expect(valueOf(args, `-force_key_frames:v:${i}`)).toBe('expr:gte(t,n_forced*2)');
  });

  it('maps capped quality onto each codec: SVT-AV1 capped CRF, VP9 constrained quality', () => {
    const rung = plan.video[0]!;
    expect(extraCodecArgs({ rung, index: 4, segmentSeconds: 2, codec: 'av1', tuning: { av1Preset: 10, vp9Speed: 6 } }).slice(0, 10)).toEqual([
      '-c:v:4', 'libsvtav1', '-preset:v:4', '10', '-crf:v:4', String(rung.crf + 14), '-maxrate:v:4', `${rung.maxrateKbps}k`, '-bufsize:v:4', `${rung.bufsizeKbps}k`,
    ]);
    const vp9 = extraCodecArgs({ rung, index: 8, segmentSeconds: 2, codec: 'vp9', tuning: { av1Preset: 10, vp9Speed: 6 } });
    expect(vp9.slice(0, 14)).toEqual([
      '-c:v:8', 'libvpx-vp9', '-deadline:v:8', 'realtime', '-cpu-used:v:8', '6', '-row-mt:v:8', '1',
      '-crf:v:8', String(rung.crf + 10), '-b:v:8', `${rung.maxrateKbps}k`, '-bufsize:v:8', `${rung.bufsizeKbps}k`,
    ]);
    expect(extraCodecArgs({ rung, index: 8, segmentSeconds: 2, codec: 'vp9', tuning: { av1Preset: 10, vp9Speed: 5 } })).toContain('good');
    expect(extraCodecArgs({ rung, index: 8, segmentSeconds: 2, codec: 'vp9', tuning: { av1Preset: 10, vp9Speed: 6 } })).toContain('realtime');
  });

  it('gives rungs under 64 px no AV1 copy (SVT-AV1 refuses them), but a VP9 one', () => {
    const tiny = media({ video: video({ codedWidth: 100, codedHeight: 56, displayWidth: 100, displayHeight: 56 }) });
    const dirs = renditionDirs(planOf(tiny, { extraCodecs: ['av1', 'vp9'] }));
    expect(dirs.video).toEqual(['v0']);
    expect(dirs.extra).toEqual([{ codec: 'av1', rungs: [] }, { codec: 'vp9', rungs: [{ index: 0, dir: 'vp9/v0' }] }]);
  });

  it('leaves the quality report its H.264 reference graph', () => {
    const graph = ladderReferenceGraph({ media: m, plan, inputIndex: 1, prefix: 'r_' });
    expect(graph.outputs).toEqual(['[r_o0]', '[r_o1]', '[r_o2]', '[r_o3]']);
  });
});
