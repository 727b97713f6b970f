import { describe, expect, it } from 'vitest';
import type { AudioStreamInfo, MediaInfo, Rational, VideoStreamInfo } from '../../src/media/media-info.js';
import {
  DEINTERLACE_FILTER,
  MIN_MAXRATE_KBPS,
  outputFrameRate,
  planLadder,
  MAX_AUDIO_RENDITIONS,
  rungSpecFor,
} from '../../src/pipeline/ladder.js';
import type { VideoRung } from '../../src/pipeline/ladder-types.js';

const OPTIONS = { segmentSeconds: 4, maxFps: 60 };
const T = 2_000; // every case is pure arithmetic

function video(overrides: Partial<Omit<VideoStreamInfo, 'fps'>> & { width: number; height: number; fps?: Rational }): VideoStreamInfo {
  const { width, height, fps = { num: 30, den: 1 }, ...rest } = overrides;
  const rotation = rest.rotation ?? 0;
  const turned = rotation === 90 || rotation === 270;
  return {
    index: 0,
    codec: 'h264',
    profile: 'High',
    pixelFormat: 'yuv420p',
    bitDepth: 8,
    chroma: '420',
    codedWidth: width,
    codedHeight: height,
    rotation,
    displayWidth: turned ? height : width,
    displayHeight: turned ? width : height,
    startSec: 0,
    fps: fps.num / fps.den,
    fpsRational: fps,
    nominalFps: fps.num / fps.den,
    isVfr: false,
    bitrateBps: null,
    interlaced: false,
    fieldOrder: 'progressive',
    colorTransfer: null,
    colorPrimaries: null,
    colorSpace: null,
    hdr: null,
    ...rest,
  };
}

function audio(overrides: Partial<AudioStreamInfo> = {}): AudioStreamInfo {
  return {
    index: 1,
    codec: 'aac',
    profile: 'LC',
    channels: 2,
    channelLayout: 'stereo',
    sampleRate: 48000,
    language: 'eng',
    bitrateBps: 128_000,
    ...overrides,
  };
}

function media(v: VideoStreamInfo | null, a: AudioStreamInfo[] = [audio()]): MediaInfo {
  return { container: 'mov,mp4,m4a,3gp,3g2,mj2', durationSec: 60, startSec: 0, sizeBytes: 1e7, bitrateBps: null, video: v, audio: a, subtitles: [] };
}

const sizes = (rungs: VideoRung[]) => rungs.map((r) => `${r.width}x${r.height}`);
const names = (rungs: VideoRung[]) => rungs.map((r) => r.name);
const rate = (r: VideoRung) => `${r.fps.num}/${r.fps.den}`;

describe('planLadder: sizes', () => {
  it('landscape 1080p30: 1080, 720, 480, 360, 240 at 16:9 even sizes', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 1920, height: 1080 })), OPTIONS);
    expect(sizes(plan.video)).toEqual(['1920x1080', '1280x720', '854x480', '640x360', '426x240']);
    expect(names(plan.video)).toEqual(['1080p', '720p', '480p', '360p', '240p']);
    for (const rung of plan.video) expect(rate(rung)).toBe('30/1');
    expect(plan.segmentSeconds).toBe(4);
    expect(plan.deinterlace).toBeNull();
  });

  it('4K60: seven rungs, 60 fps at 720p and above, 30 below', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 3840, height: 2160, fps: { num: 60, den: 1 } })), OPTIONS);
    expect(sizes(plan.video)).toEqual([
      '3840x2160', '2560x1440', '1920x1080', '1280x720', '854x480', '640x360', '426x240',
    ]);
    expect(plan.video.map(rate)).toEqual(['60/1', '60/1', '60/1', '60/1', '30/1', '30/1', '30/1']);
  });

  it('portrait 1080x1920 stays portrait: its 720p rung is 720x1280', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 1080, height: 1920 })), OPTIONS);
    expect(sizes(plan.video)).toEqual(['1080x1920', '720x1280', '480x854', '360x640', '240x426']);
  });

  it('a phone clip coded 3840x2160 with rotation 90 gets a portrait ladder', { timeout: T }, () => {
    const v = video({ width: 3840, height: 2160, rotation: 90, fps: { num: 60, den: 1 } });
    expect([v.displayWidth, v.displayHeight]).toEqual([2160, 3840]);
    const plan = planLadder(media(v), OPTIONS);
    expect(sizes(plan.video)).toEqual([
      '2160x3840', '1440x2560', '1080x1920', '720x1280', '480x854', '360x640', '240x426',
    ]);
    for (const rung of plan.video) expect(rung.height).toBeGreaterThan(rung.width);
  });

  it('4:4:4 and 10-bit HDR sources get the same rungs as 8-bit 4:2:0', { timeout: T }, () => {
    const plain = planLadder(media(video({ width: 1920, height: 1080 })), OPTIONS);
    const chroma444 = planLadder(media(video({ width: 1920, height: 1080, pixelFormat: 'yuv444p', chroma: '444' })), OPTIONS);
    const hdr10 = planLadder(
      media(video({ width: 1920, height: 1080, pixelFormat: 'yuv420p10le', bitDepth: 10, hdr: 'pq', colorTransfer: 'smpte2084' })),
      OPTIONS,
    );
    expect(chroma444.video).toEqual(plain.video);
    expect(hdr10.video).toEqual(plain.video);
  });

  it('a tiny 161x121 source gets exactly one rung, 160x120, never upscaled', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 161, height: 121, fps: { num: 30000, den: 1001 } })), OPTIONS);
    expect(sizes(plan.video)).toEqual(['160x120']);
    expect(plan.video[0]!.name).toBe('120p');
    expect(plan.video[0]!.maxrateKbps).toBeGreaterThanOrEqual(MIN_MAXRATE_KBPS);
  });

  it('odd and between-standard sizes: top rung is the source (even), lower rungs keep the aspect', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 1001, height: 563 })), OPTIONS);
    expect(sizes(plan.video)).toEqual(['1000x562', '854x480', '640x360', '426x240']);
    for (const r of plan.video) {
      expect(r.width % 2).toBe(0);
      expect(r.height % 2).toBe(0);
      expect(Math.abs(r.width / r.height - 1001 / 563)).toBeLessThan(0.01);
    }
  });

  it('drops a standard rung within 10 % of the top rung pixels (1920x1088 → no separate 1080p)', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 1920, height: 1088 })), OPTIONS);
    expect(sizes(plan.video)).toEqual(['1920x1088', '1270x720', '848x480', '636x360', '424x240']);
  });

  it('an 8K source tops out at 2160p', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 7680, height: 4320, fps: { num: 24, den: 1 } })), OPTIONS);
    expect(sizes(plan.video)[0]).toBe('3840x2160');
    expect(plan.video).toHaveLength(7);
  });

  it('applies the sample aspect ratio through the display size (720x576 anamorphic 16:9)', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 720, height: 576, displayWidth: 1024, displayHeight: 576 })), OPTIONS);
    expect(sizes(plan.video)).toEqual(['1024x576', '854x480', '640x360', '426x240']);
  });
});

describe('planLadder: frame rates', () => {
  it('60 fps keeps 60 at 720p and above, 30 below', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 1280, height: 720, fps: { num: 60, den: 1 } })), OPTIONS);
    expect(plan.video.map((r) => `${r.name}@${rate(r)}`)).toEqual(['720p@60/1', '480p@30/1', '360p@30/1', '240p@30/1']);
  });

  it('120 fps halves to 60 (and quarters to 30 below 720p)', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 1920, height: 1080, fps: { num: 120, den: 1 } })), OPTIONS);
    expect(plan.video.map(rate)).toEqual(['60/1', '60/1', '30/1', '30/1', '30/1']);
  });

  it('29.97 stays exactly 30000/1001; 59.94 gives 60000/1001 and 30000/1001', { timeout: T }, () => {
    const ntsc = planLadder(media(video({ width: 1920, height: 1080, fps: { num: 30000, den: 1001 } })), OPTIONS);
    for (const rung of ntsc.video) expect(rung.fps).toEqual({ num: 30000, den: 1001 });
    const ntsc60 = planLadder(media(video({ width: 1280, height: 720, fps: { num: 60000, den: 1001 } })), OPTIONS);
    expect(ntsc60.video.map(rate)).toEqual(['60000/1001', '30000/1001', '30000/1001', '30000/1001']);
  });

  it('50 fps keeps 50 on high rungs and 25 below; 100 gives 50', { timeout: T }, () => {
    expect(outputFrameRate({ num: 50, den: 1 }, 60)).toEqual({ num: 50, den: 1 });
    expect(outputFrameRate({ num: 50, den: 1 }, 30)).toEqual({ num: 25, den: 1 });
    expect(outputFrameRate({ num: 100, den: 1 }, 60)).toEqual({ num: 50, den: 1 });
    expect(outputFrameRate({ num: 24000, den: 1001 }, 30)).toEqual({ num: 24000, den: 1001 });
    expect(outputFrameRate({ num: 240, den: 1 }, 60)).toEqual({ num: 60, den: 1 });
  });

  it('respects a lower configured maxFps everywhere', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 1920, height: 1080, fps: { num: 60, den: 1 } })), { segmentSeconds: 2, maxFps: 30 });
    for (const rung of plan.video) expect(rate(rung)).toBe('30/1');
  });
});

describe('planLadder: bit rates', () => {
  it('maxrate = bpp × pixels × fps, bufsize = 2 × maxrate, bpp falling with size', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 1920, height: 1080 })), OPTIONS);
    for (const rung of plan.video) {
      const bpp = rungSpecFor(Math.min(rung.width, rung.height)).bitsPerPixel;
      expect(rung.maxrateKbps).toBe(Math.round((bpp * rung.width * rung.height * 30) / 1000));
      expect(rung.bufsizeKbps).toBe(2 * rung.maxrateKbps);
      expect(rung.crf).toBeGreaterThanOrEqual(21);
      expect(rung.crf).toBeLessThanOrEqual(23);
    }
    const rates = plan.video.map((r) => r.maxrateKbps);
    expect([...rates].sort((a, b) => b - a)).toEqual(rates);
    expect(rungSpecFor(240).bitsPerPixel).toBeGreaterThan(rungSpecFor(2160).bitsPerPixel);
  });

  it('60 fps doubles the peak rate of a 30 fps rung of the same size', { timeout: T }, () => {
    const r30 = planLadder(media(video({ width: 1920, height: 1080 })), OPTIONS).video[0]!;
    const r60 = planLadder(media(video({ width: 1920, height: 1080, fps: { num: 60, den: 1 } })), OPTIONS).video[0]!;
    expect(r60.maxrateKbps).toBeCloseTo(2 * r30.maxrateKbps, -1);
  });

  it('caps every rung at 1.1 × the source video bit rate, never below the floor', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 1920, height: 1080, bitrateBps: 2_000_000 })), OPTIONS);
    expect(plan.video[0]!.maxrateKbps).toBe(2200);
    expect(plan.video[1]!.maxrateKbps).toBe(2200); // 720p would get 2627 by pixels
    expect(plan.video.at(-1)!.maxrateKbps).toBe(399); // 240p is below the cap anyway
    const starved = planLadder(media(video({ width: 1920, height: 1080, bitrateBps: 50_000 })), OPTIONS);
    for (const rung of starved.video) expect(rung.maxrateKbps).toBe(MIN_MAXRATE_KBPS);
  });
});

describe('planLadder: audio, no video, no audio, interlacing', () => {
  it('audio-only input has no video rungs and one AAC stereo rendition', { timeout: T }, () => {
    const plan = planLadder(media(null, [audio({ index: 0, channels: 1, sampleRate: 44100, language: null })]), OPTIONS);
    expect(plan.video).toEqual([]);
    expect(plan.deinterlace).toBeNull();
    expect(plan.audio).toEqual([
      {
        sourceIndex: 0, codec: 'aac', channels: 2, sampleRate: 44100, bitrateKbps: 96,
        language: 'und', label: 'Main audio', default: true, sourceChannels: 1, loudness: null,
      },
    ]);
    expect(plan.extraCodecs).toEqual([]); // no video, no extra video ladders
  });

  it('video-only input has no audio rendition', { timeout: T }, () => {
    const plan = planLadder(media(video({ width: 1280, height: 720 }), []), OPTIONS);
    expect(plan.audio).toEqual([]);
    expect(plan.video.length).toBeGreaterThan(0);
  });

  it('makes every audio track an AAC stereo rendition, the default (listed first) first: 5.1 AC-3 → 128k stereo 48 kHz', { timeout: T }, () => {
    const plan = planLadder(
      media(video({ width: 1280, height: 720 }), [
        audio({ index: 2, codec: 'ac3', channels: 6, sampleRate: 48000, language: 'fra' }),
        audio({ index: 1, codec: 'aac', channels: 2, sampleRate: 32000 }),
      ]),
      OPTIONS,
    );
    expect(plan.audio).toEqual([
      {
        sourceIndex: 2, codec: 'aac', channels: 2, sampleRate: 48000, bitrateKbps: 128,
        language: 'fr', label: 'French', default: true, sourceChannels: 6, loudness: null,
      },
      {
        sourceIndex: 1, codec: 'aac', channels: 2, sampleRate: 48000, bitrateKbps: 128,
        language: 'en', label: 'English', default: false, sourceChannels: 2, loudness: null,
      },
    ]);
    const odd = planLadder(media(null, [audio({ sampleRate: 22050 })]), OPTIONS);
    expect(odd.audio[0]!.sampleRate).toBe(48000);
  });

  it('labels tracks by language, numbering repeats and unknown languages, and keeps at most 8', { timeout: T }, () => {
    const tracks = [
      audio({ index: 1, language: 'eng' }),
      audio({ index: 2, language: 'eng' }),
      audio({ index: 3, language: null }),
      audio({ index: 4, language: 'deu' }),
      ...Array.from({ length: 8 }, (_, i) => audio({ index: 5 + i, language: 'spa' })),
    ];
    const plan = planLadder(media(video({ width: 640, height: 360 }), tracks), OPTIONS);
    expect(plan.audio.map((a) => [a.sourceIndex, a.language, a.label, a.default])).toEqual([
      [1, 'en', 'English', true],
      [2, 'en', 'English (2)', false],
      [3, 'und', 'Audio 3', false],
      [4, 'de', 'German', false],
      [5, 'es', 'Spanish', false],
      [6, 'es', 'Spanish (2)', false],
      [7, 'es', 'Spanish (3)', false],
      [8, 'es', 'Spanish (4)', false],
    ]);
    expect(plan.audio).toHaveLength(MAX_AUDIO_RENDITIONS);
  });

  it('plans extra codec ladders only when asked, in a fixed order', { timeout: T }, () => {
    const source = media(video({ width: 1280, height: 720 }));
    expect(planLadder(source, OPTIONS).extraCodecs).toEqual([]);
    expect(planLadder(source, { ...OPTIONS, extraCodecs: ['vp9', 'av1', 'vp9'] }).extraCodecs).toEqual(['av1', 'vp9']);
  });

  it('interlaced input gets the bwdif deinterlacer and keeps its frame rate', { timeout: T }, () => {
    const plan = planLadder(
      media(video({ width: 1920, height: 1080, interlaced: true, fieldOrder: 'tt', fps: { num: 25, den: 1 } })),
      OPTIONS,
    );
    expect(plan.deinterlace).toBe(DEINTERLACE_FILTER);
    expect(plan.deinterlace).toMatch(/^bwdif/);
    expect(plan.interlace).toEqual({ method: 'probe', interlaced: true, fieldOrder: 'tt' });
    expect(rate(plan.video[0]!)).toBe('25/1');
  });
});
