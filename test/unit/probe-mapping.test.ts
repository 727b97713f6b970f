import { describe, expect, it } from 'vitest';
import { MediaLimitError, UnsupportedMediaError } from '../../src/errors.js';
import {
  formatWhitelist,
  isAllowedDemuxer,
  rejectedDemuxerFromStderr,
} from '../../src/media/demuxers.js';
import { reasonFromStderr } from '../../src/media/ffprobe.js';
import { PacketScan } from '../../src/media/packet-scan.js';
import {
  type FfprobeOutput,
  bitDepthOf,
  chromaOf,
  mapProbeToMediaInfo,
  parseFfprobeJson,
  rotationOf,
} from '../../src/media/probe-mapping.js';
import { parseRational, snapToStandardRate } from '../../src/media/rational.js';

const T = 2_000;
const MP4 = 'mov,mp4,m4a,3gp,3g2,mj2';

type Stream = FfprobeOutput['streams'][number];

function h264(overrides: Partial<Stream> = {}): Stream {
  return {
    index: 0,
    codec_type: 'video',
    codec_name: 'h264',
    profile: 'High',
    width: 1920,
    height: 1080,
    sample_aspect_ratio: '1:1',
    pix_fmt: 'yuv420p',
    field_order: 'progressive',
    r_frame_rate: '30000/1001',
    avg_frame_rate: '30000/1001',
    duration: '10.010000',
    nb_frames: '300',
    disposition: { default: 1, attached_pic: 0 },
    tags: { language: 'und' },
    ...overrides,
  };
}

function aac(overrides: Partial<Stream> = {}): Stream {
  return {
    index: 1,
    codec_type: 'audio',
    codec_name: 'aac',
    profile: 'LC',
    sample_rate: '48000',
    channels: 2,
    channel_layout: 'stereo',
    duration: '10.000000',
    bit_rate: '128000',
    nb_frames: '469',
    disposition: { default: 1, attached_pic: 0 },
    tags: { language: 'eng' },
    ...overrides,
  };
}

function probe(streams: Stream[], format: Partial<FfprobeOutput['format']> = {}): FfprobeOutput {
  return { streams, format: { format_name: MP4, duration: '10.010000', size: '6400000', bit_rate: '5115000', ...format } };
}

/** A packet scan as ffprobe's compact writer would print it: `count` packets evenly over [start, start+span). */
function scan(...streams: Array<{ index: number; count: number; spanSec: number; bytes?: number; startSec?: number }>): PacketScan {
  const packets = new PacketScan();
  for (const { index, count, spanSec, bytes = count * 1000, startSec = 0 } of streams) {
    const step = spanSec / count;
    for (let i = 0; i < count; i++) {
      const pts = (startSec + i * step).toFixed(6);
      packets.addLine(
        `packet|stream_index=${index}|pts_time=${pts}|dts_time=${pts}|duration_time=${step.toFixed(6)}|size=${Math.round(bytes / count)}|flags=__`,
      );
    }
  }
  return packets;
}

const fullScan = () => scan({ index: 0, count: 300, spanSec: 10.01, bytes: 6_256_250 }, { index: 1, count: 469, spanSec: 10, bytes: 160_000 });

describe('mapProbeToMediaInfo: start times', () => {
  it('keeps the container start and the first frame time, which may differ (subtitles start first)', { timeout: T }, () => {
    const info = mapProbeToMediaInfo({
      probe: probe([h264({ start_time: '0.067000' }), aac({ start_time: '0.129000' })], { start_time: '0.000000' }),
      packets: fullScan(),
      sizeBytes: 6_400_000,
    });
    expect(info.startSec).toBe(0);
    expect(info.video!.startSec).toBe(0.067);
  });

  it('falls back to the first video packet, then to the container start', { timeout: T }, () => {
    const late = mapProbeToMediaInfo({
      probe: probe([h264(), aac()], { start_time: '1.400000' }),
      packets: scan({ index: 0, count: 300, spanSec: 10.01, startSec: 1.5 }, { index: 1, count: 469, spanSec: 10, startSec: 1.4 }),
      sizeBytes: 6_400_000,
    });
    expect(late.startSec).toBe(1.4);
    expect(late.video!.startSec).toBe(1.5);
    const headerOnly = mapProbeToMediaInfo({ probe: probe([h264()]), sizeBytes: 6_400_000 });
    expect([headerOnly.startSec, headerOnly.video!.startSec]).toEqual([0, 0]);
  });
});

describe('mapProbeToMediaInfo: the ordinary case', () => {
  it('maps a 1080p H.264 + AAC MP4', { timeout: T }, () => {
    const info = mapProbeToMediaInfo({ probe: probe([h264({ bit_rate: '5000000' }), aac()]), packets: fullScan(), sizeBytes: 6_400_000 });
    expect(info.container).toBe(MP4);
    expect(info.durationSec).toBeCloseTo(10.01, 3);
    expect(info.video).toMatchObject({
      index: 0, codec: 'h264', profile: 'High', pixelFormat: 'yuv420p', bitDepth: 8, chroma: '420',
      codedWidth: 1920, codedHeight: 1080, rotation: 0, displayWidth: 1920, displayHeight: 1080,
      fpsRational: { num: 30000, den: 1001 }, isVfr: false, interlaced: false, hdr: null,
    });
    expect(info.video!.fps).toBeCloseTo(29.97, 2);
    // Measured: packet bytes over their time span (per-packet sizes are rounded in the fixture).
    expect(Math.abs(info.video!.bitrateBps! - 5_000_000)).toBeLessThan(1_000);
    expect(Math.abs(info.audio[0]!.bitrateBps! - 128_000)).toBeLessThan(1_000);
    expect(info.audio).toEqual([
      { index: 1, codec: 'aac', profile: 'LC', channels: 2, channelLayout: 'stereo', sampleRate: 48000, language: 'eng', bitrateBps: info.audio[0]!.bitrateBps },
    ]);
    expect(info.subtitles).toEqual([]);
  });

  it('parses ffprobe JSON text and rejects output that describes no container', { timeout: T }, () => {
    const parsed = parseFfprobeJson(JSON.stringify(probe([h264()])));
    expect(parsed.streams[0]!.codec_name).toBe('h264');
    expect(() => parseFfprobeJson('{}')).toThrow(UnsupportedMediaError);
    expect(() => parseFfprobeJson('not json')).toThrow(UnsupportedMediaError);
  });
});

describe('geometry', () => {
  it('rotation: display matrix -90 (counter-clockwise) is 90 clockwise and swaps the display size', { timeout: T }, () => {
    const stream = h264({ width: 3840, height: 2160, side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] });
    const info = mapProbeToMediaInfo({ probe: probe([stream]), packets: scan({ index: 0, count: 300, spanSec: 10.01 }), sizeBytes: 1e6 });
    expect(info.video).toMatchObject({ rotation: 90, codedWidth: 3840, codedHeight: 2160, displayWidth: 2160, displayHeight: 3840 });
  });

  it('normalises rotations to quarter turns, clockwise; falls back to the old rotate tag', { timeout: T }, () => {
    expect(rotationOf(h264({ side_data_list: [{ rotation: -180 }] }))).toBe(180);
    expect(rotationOf(h264({ side_data_list: [{ rotation: 180 }] }))).toBe(180);
    expect(rotationOf(h264({ side_data_list: [{ rotation: 90 }] }))).toBe(270);
    expect(rotationOf(h264({ side_data_list: [{ rotation: -89.99 }] }))).toBe(90);
    expect(rotationOf(h264({ tags: { rotate: '90' } }))).toBe(90);
    expect(rotationOf(h264({ tags: { rotate: '-90' } }))).toBe(270);
    expect(rotationOf(h264())).toBe(0);
  });

  it('applies the sample aspect ratio (PAL 16:9 720x576, SAR 64:45 → 1024x576)', { timeout: T }, () => {
    const stream = h264({ width: 720, height: 576, sample_aspect_ratio: '64:45' });
    const info = mapProbeToMediaInfo({ probe: probe([stream]), packets: scan({ index: 0, count: 300, spanSec: 10.01 }), sizeBytes: 1e6 });
    expect([info.video!.displayWidth, info.video!.displayHeight]).toEqual([1024, 576]);
  });
});

describe('pixel formats, colour, interlacing', () => {
  it('bit depth and chroma from the pixel format', { timeout: T }, () => {
    expect([bitDepthOf('yuv420p'), chromaOf('yuv420p')]).toEqual([8, '420']);
    expect([bitDepthOf('yuvj420p'), chromaOf('yuvj420p')]).toEqual([8, '420']);
    expect([bitDepthOf('yuv420p10le'), chromaOf('yuv420p10le')]).toEqual([10, '420']);
    expect([bitDepthOf('yuv444p12le'), chromaOf('yuv444p12le')]).toEqual([12, '444']);
    expect([bitDepthOf('yuv422p10be'), chromaOf('yuv422p10be')]).toEqual([10, '422']);
    expect([bitDepthOf('p010le'), chromaOf('p010le')]).toEqual([10, '420']);
    expect([bitDepthOf('gbrp'), chromaOf('gbrp')]).toEqual([8, 'rgb']);
    expect([bitDepthOf('gray10le'), chromaOf('gray10le')]).toEqual([10, 'gray']);
    expect(bitDepthOf('yuv420p', '10')).toBe(10);
  });

  it('HDR transfer: smpte2084 → pq, arib-std-b67 → hlg', { timeout: T }, () => {
    const map = (transfer: string) =>
      mapProbeToMediaInfo({
        probe: probe([h264({ pix_fmt: 'yuv420p10le', color_transfer: transfer, color_primaries: 'bt2020' })]),
        packets: scan({ index: 0, count: 300, spanSec: 10.01 }),
        sizeBytes: 1e6,
      }).video!;
    expect(map('smpte2084')).toMatchObject({ hdr: 'pq', bitDepth: 10, colorPrimaries: 'bt2020' });
    expect(map('arib-std-b67').hdr).toBe('hlg');
    expect(map('bt709').hdr).toBeNull();
  });

  it('interlacing from field_order', { timeout: T }, () => {
    const map = (fieldOrder: string) =>
      mapProbeToMediaInfo({ probe: probe([h264({ field_order: fieldOrder })]), packets: scan({ index: 0, count: 300, spanSec: 10.01 }), sizeBytes: 1e6 }).video!;
    expect(map('tt')).toMatchObject({ interlaced: true, fieldOrder: 'tt' });
    expect(map('bb').interlaced).toBe(true);
    expect(map('progressive').interlaced).toBe(false);
    expect(map('unknown')).toMatchObject({ interlaced: false, fieldOrder: null });
  });
});

describe('frame rates', () => {
  it('VFR: avg below r_frame_rate is the real average, kept exact', { timeout: T }, () => {
    const stream = h264({ r_frame_rate: '30/1', avg_frame_rate: '140000/5087', duration: '1.017400', nb_frames: '28' });
    const info = mapProbeToMediaInfo({
      probe: probe([stream], { duration: '1.018' }),
      packets: scan({ index: 0, count: 28, spanSec: 1.0174 }),
      sizeBytes: 1e6,
    });
    expect(info.video!.fps).toBeCloseTo(27.52, 2);
    expect(info.video!.fpsRational).toEqual({ num: 140000, den: 5087 });
    expect(info.video!.nominalFps).toBe(30);
    expect(info.video!.isVfr).toBe(true);
  });

  it('phone jitter (810000/13487 = 60.06) snaps to 60/1', { timeout: T }, () => {
    const stream = h264({ r_frame_rate: '60/1', avg_frame_rate: '810000/13487' });
    const info = mapProbeToMediaInfo({ probe: probe([stream]), packets: scan({ index: 0, count: 600, spanSec: 10.01 }), sizeBytes: 1e6 });
    expect(info.video!.fpsRational).toEqual({ num: 60, den: 1 });
    expect(info.video!.isVfr).toBe(false);
  });

  it('Matroska avg_frame_rate 1000/1 (its time base) is ignored: packets per second decide', { timeout: T }, () => {
    const stream = h264({ r_frame_rate: '60/1', avg_frame_rate: '1000/1', duration: undefined, bit_rate: undefined, nb_frames: undefined });
    const info = mapProbeToMediaInfo({
      probe: probe([stream], { format_name: 'matroska,webm', duration: '1.001' }),
      packets: scan({ index: 0, count: 30, spanSec: 1.001 }),
      sizeBytes: 1e5,
    });
    expect(info.video!.fps).toBeCloseTo(29.97, 1);
    expect(info.video!.fpsRational).toEqual({ num: 30000, den: 1001 });
  });

  it('rationals: parse, reject 0/0, snap only near standard rates', { timeout: T }, () => {
    expect(parseRational('2997/100')).toEqual({ num: 2997, den: 100 });
    expect(parseRational('0/0')).toBeNull();
    expect(parseRational('N/A')).toBeNull();
    expect(snapToStandardRate(29.97, 0.001)).toEqual({ num: 30000, den: 1001 });
    expect(snapToStandardRate(27.52, 0.01)).toBeNull();
  });
});

describe('what the headers lie about', () => {
  it('fragmented MP4: header says 143165 s, packets say 1.07 s → 1.07 s', { timeout: T }, () => {
    const info = mapProbeToMediaInfo({
      probe: probe(
        [h264({ width: 1080, height: 720, duration: '143165.576500', bit_rate: '5', nb_frames: undefined }), aac({ duration: '97391.548639', bit_rate: '1', nb_frames: undefined })],
        { duration: '143165.643233', bit_rate: '5' },
      ),
      packets: scan({ index: 0, count: 30, spanSec: 1.001, startSec: 0.0667, bytes: 85_933 }, { index: 1, count: 46, spanSec: 1.068, bytes: 18_257 }),
      sizeBytes: 106_093,
    });
    expect(info.durationSec).toBeCloseTo(1.068, 2);
    expect(info.bitrateBps).toBe(Math.round((106_093 * 8) / info.durationSec));
    expect(info.video!.bitrateBps).toBeGreaterThan(600_000);
  });

  it('truncated file: index lists 6422 s of audio, no data present → rejected as truncated', { timeout: T }, () => {
    const map = () =>
      mapProbeToMediaInfo({
        probe: probe([aac({ index: 0, duration: '6422.000000', bit_rate: '64673', nb_frames: '276574', channels: 1 })], { duration: '6422', bit_rate: '1380' }),
        packets: new PacketScan(),
        sizeBytes: 1_107_870,
      });
    expect(map).toThrow(UnsupportedMediaError);
    expect(map).toThrow(/truncated.*6422 s of audio.*none of it is present/);
  });

  it('video truncated to a third of its indexed frames → rejected', { timeout: T }, () => {
    const map = () =>
      mapProbeToMediaInfo({ probe: probe([h264()]), packets: scan({ index: 0, count: 100, spanSec: 3.3 }), sizeBytes: 1e6 });
    expect(map).toThrow(/truncated.*300 frames.*only 100 are present/);
  });

  it('broken video timestamps (30 frames within 0.048 s of a 1.24 s file) → rejected, saying so', { timeout: T }, () => {
    const stream = h264({ width: 1080, height: 720, r_frame_rate: '600/1', avg_frame_rate: '600/1', duration: undefined, bit_rate: undefined, nb_frames: undefined });
    const map = () =>
      mapProbeToMediaInfo({
        probe: probe([stream, aac({ duration: undefined, nb_frames: undefined })], { format_name: 'matroska,webm', duration: '1.24' }),
        packets: scan({ index: 0, count: 30, spanSec: 0.049 }, { index: 1, count: 29, spanSec: 1.009 }),
        sizeBytes: 116_069,
      });
    expect(map).toThrow(UnsupportedMediaError);
    expect(map).toThrow(/video timestamps are broken: 30 frames are stamped within 0.04\d s of a 1.24 s file/);
  });

  it('skips discarded (edit list) packets and side-data lines in the scan', { timeout: T }, () => {
    const packets = new PacketScan();
    packets.addLine('packet|stream_index=0|pts_time=-0.033|dts_time=-0.066|duration_time=0.033|size=100|flags=_D');
    packets.addLine('packet|stream_index=0|pts_time=0.000|dts_time=-0.033|duration_time=0.033|size=200|flags=K_|side_data|');
    packets.addLine('side_data|side_data_type=Skip Samples|skip_samples=1024');
    packets.addLine('');
    packets.addLine('packet|stream_index=0|pts_time=N/A|dts_time=0.033|duration_time=0.033|size=300|flags=__');
    expect(packets.get(0)).toEqual({ packets: 2, bytes: 500, firstSec: 0, lastSec: 0.033, endSec: 0.066 });
  });
});

describe('streams', () => {
  it('cover art (attached_pic) is not video: an MP3 with a cover is audio-only', { timeout: T }, () => {
    const cover = h264({ index: 1, codec_name: 'mjpeg', pix_fmt: 'yuvj420p', avg_frame_rate: '0/0', r_frame_rate: '90000/1', disposition: { default: 0, attached_pic: 1 } });
    const info = mapProbeToMediaInfo({
      probe: probe([aac({ index: 0, codec_name: 'mp3', profile: undefined, duration: '2.695914', nb_frames: undefined }), cover], { format_name: 'mp3', duration: '2.695914' }),
      packets: scan({ index: 0, count: 118, spanSec: 2.832 }, { index: 1, count: 1, spanSec: 0 }),
      sizeBytes: 77_904,
    });
    expect(info.video).toBeNull();
    expect(info.audio.map((a) => a.codec)).toEqual(['mp3']);
  });

  it('lists the default-flagged audio stream first; und → null; LANGUAGE tag (Matroska) read', { timeout: T }, () => {
    const info = mapProbeToMediaInfo({
      probe: probe([
        h264(),
        aac({ index: 1, disposition: { default: 0 }, tags: { language: 'und' } }),
        aac({ index: 2, codec_name: 'ac3', channels: 6, disposition: { default: 1 }, tags: { LANGUAGE: 'fra' } }),
        { index: 3, codec_type: 'subtitle', codec_name: 'subrip', tags: { language: 'eng' } },
      ]),
      packets: scan({ index: 0, count: 300, spanSec: 10.01 }, { index: 1, count: 469, spanSec: 10 }, { index: 2, count: 313, spanSec: 10 }),
      sizeBytes: 6_400_000,
    });
    expect(info.audio.map((a) => [a.index, a.codec, a.language])).toEqual([[2, 'ac3', 'fra'], [1, 'aac', null]]);
    expect(info.subtitles).toEqual([{ index: 3, codec: 'subrip', language: 'eng' }]);
  });

  it('no audio or video stream → rejected, listing what is there', { timeout: T }, () => {
    const map = () => mapProbeToMediaInfo({ probe: probe([{ index: 0, codec_type: 'data', codec_name: 'bin_data' }]), sizeBytes: 100 });
    expect(map).toThrow(/no audio or video stream \(it holds: data\)/);
  });

  it('an undecodable video stream → rejected with the decoder complaint', { timeout: T }, () => {
    const stream = h264({ codec_name: 'vp9', pix_fmt: undefined });
    const map = () =>
      mapProbeToMediaInfo({
        probe: probe([stream], { format_name: 'matroska,webm' }),
        sizeBytes: 47_667,
        decoderLog: '[vp9 @ 0x5601] Invalid sync code\n    Last message repeated 1 times\n[vp9 @ 0x5601] Invalid frame marker\n',
      });
    expect(map).toThrow(/the vp9 video stream cannot be decoded \(decoder: Invalid frame marker\)/);
  });

  it('zero or unknown duration → rejected', { timeout: T }, () => {
    const packets = new PacketScan();
    packets.addLine('packet|stream_index=0|pts_time=N/A|dts_time=N/A|duration_time=N/A|size=100|flags=K_');
    const map = () => mapProbeToMediaInfo({ probe: probe([h264({ nb_frames: undefined })], { duration: undefined }), packets, sizeBytes: 100 });
    expect(map).toThrow(/zero or unknown duration/);
  });
});

describe('formats and limits', () => {
  it('a format outside the allowlist is named in the rejection', { timeout: T }, () => {
    expect(() => mapProbeToMediaInfo({ probe: probe([h264()], { format_name: 'hls' }), sizeBytes: 100 })).toThrow(/HLS playlist.*not accepted/);
    expect(() => mapProbeToMediaInfo({ probe: probe([h264()], { format_name: 'png_pipe' }), sizeBytes: 100 })).toThrow(/an image \(format png_pipe\)/);
  });

  it('the demuxer allowlist matches full ffmpeg names exactly', { timeout: T }, () => {
    expect(isAllowedDemuxer(MP4)).toBe(true);
    expect(isAllowedDemuxer('matroska,webm')).toBe(true);
    expect(isAllowedDemuxer('mp4')).toBe(false);
    for (const refused of ['hls', 'concat', 'image2', 'png_pipe', 'tty', 'lavfi', 'srt', 'webvtt', 'data', 'm4v', 'h264']) {
      expect(isAllowedDemuxer(refused), refused).toBe(false);
      expect(formatWhitelist().split(','), refused).not.toContain(refused);
    }
    expect(formatWhitelist()).toContain('mov,mp4,m4a,3gp,3g2,mj2,matroska,webm');
    expect(rejectedDemuxerFromStderr("[hls @ 0x562322d94540] Format not on whitelist 'mov,…'\nfile:/x: Invalid argument")).toBe('hls');
  });

  it('turns ffprobe failures into reasons without our paths', { timeout: T }, () => {
    const stderr = '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5611] moov atom not found\nfile:/srv/data/up/abc.mp4: Invalid data found when processing input\n';
    expect(reasonFromStderr(stderr, '/srv/data/up/abc.mp4')).toBe('not a recognised video or audio file (moov atom not found)');
    expect(reasonFromStderr("[concat @ 0x55] Format not on whitelist 'x'\n", '/a')).toMatch(/ffconcat script/);
    expect(reasonFromStderr('file:/srv/x.mp4: Permission denied\n', '/srv/x.mp4')).toBe('ffprobe could not read the file: input: Permission denied');
  });

  it('enforces the default limits, naming the limit', { timeout: T }, () => {
    const map = (stream: Stream, format: Partial<FfprobeOutput['format']> = {}, count = 300, spanSec = 10.01) =>
      () => mapProbeToMediaInfo({ probe: probe([stream], format), packets: scan({ index: 0, count, spanSec }), sizeBytes: 1e6 });
    expect(map(h264({ width: 9000, height: 1000 }))).toThrow(MediaLimitError);
    expect(map(h264({ width: 9000, height: 1000 }))).toThrow(/width 9000 px exceeds the limit of 8192 px/);
    expect(map(h264({ width: 1000, height: 8200 }))).toThrow(/height 8200 px exceeds the limit of 8192 px/);
    expect(map(h264({ width: 8192, height: 8192 }))).toThrow(/8192x8192 \(67108864 pixels\) exceeds the limit of 35389440 pixels/);
    expect(map(h264({ width: 8192, height: 4320 }))).not.toThrow(); // DCI 8K is exactly the limit
    const long = h264({ duration: '50000', nb_frames: undefined });
    expect(map(long, { duration: '50000' }, 1_500_000 / 100, 50_000)).toThrow(/duration 50000 s exceeds the limit of 43200 s \(12.0 h\)/);
    const fast = h264({ r_frame_rate: '300/1', avg_frame_rate: '300/1', nb_frames: '3003' });
    expect(map(fast, {}, 3003, 10.01)).toThrow(/frame rate 300 fps exceeds the limit of 240 fps/);
  });

  it('takes partial limits from the caller', { timeout: T }, () => {
    const map = () =>
      mapProbeToMediaInfo({ probe: probe([h264()]), packets: fullScan(), sizeBytes: 1e6, limits: { maxDurationSec: 5 } });
    expect(map).toThrow(/duration 10 s exceeds the limit of 5.00 s/);
  });
});
