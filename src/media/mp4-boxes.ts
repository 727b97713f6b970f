/**
 * Just enough ISO-BMFF reading to describe the CMAF files ffmpeg wrote: the RFC 6381 codec string
 * (avc1, av01, vp09, mp4a) and timescale of an init segment, and the decode time (tfdt) of a media
 * segment, and — for timing checks — every sample's decode time, duration and composition offset.
 * The manifests need these exact values; a full MP4 library would be a large dependency for them.
 */

export interface Box {
  type: string;
  /** Offset of the payload (after the header). */
  start: number;
  /** Offset just past the box. */
  end: number;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'moof', 'traf', 'mvex', 'edts', 'dinf']);
const VISUAL_SAMPLE_ENTRIES = new Set(['avc1', 'avc3', 'hvc1', 'hev1', 'av01', 'vp09']);

export function* boxes(buf: Buffer, from: number, to: number): Generator<Box> {
  let offset = from;
  while (offset + 8 <= to) {
    let size = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    let header = 8;
    if (size === 1) {
      if (offset + 16 > to) return;
      size = Number(buf.readBigUInt64BE(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = to - offset;
    }
    if (size < header || offset + size > to) return;
    yield { type, start: offset + header, end: offset + size };
    offset += size;
  }
}

/** Depth-first search for the first box of `type`, descending into the containers that matter. */
function findBox(buf: Buffer, type: string, from = 0, to = buf.length): Box | null {
  for (const box of boxes(buf, from, to)) {
    if (box.type === type) return box;
    if (CONTAINERS.has(box.type)) {
      const inner = findBox(buf, type, box.start, box.end);
      if (inner) return inner;
    }
    if (box.type === 'stsd') {
      // stsd: version/flags (4) + entry count (4), then sample entries whose children follow a
      // fixed-size header (78 bytes for visual, 28 for audio entries).
      for (const entry of boxes(buf, box.start + 8, box.end)) {
        if (entry.type === type) return entry;
        const skip = VISUAL_SAMPLE_ENTRIES.has(entry.type) ? 78 : 28;
        const inner = findBox(buf, type, entry.start + skip, entry.end);
        if (inner) return inner;
      }
    }
  }
  return null;
}

export interface InitSegmentInfo {
  /** RFC 6381 codec string, e.g. 'avc1.64001f', 'av01.0.08M.08', 'vp09.00.31.08.01.01.01.01.00' or 'mp4a.40.2'. */
  codec: string;
  /** Media timescale (ticks per second) of the track. */
  timescale: number;
}

export function readInitSegment(buf: Buffer): InitSegmentInfo {
  const mdhd = findBox(buf, 'mdhd');
  if (!mdhd) throw new Error('init segment has no mdhd box');
  const version = buf.readUInt8(mdhd.start);
  const timescale = buf.readUInt32BE(mdhd.start + (version === 1 ? 20 : 12));

  const avcC = findBox(buf, 'avcC');
  if (avcC) {
    // AVCDecoderConfigurationRecord: version, profile_idc, constraint flags, level_idc.
    const hex = (i: number) => buf.readUInt8(avcC.start + i).toString(16).padStart(2, '0');
    return { codec: `avc1.${hex(1)}${hex(2)}${hex(3)}`, timescale };
  }
  const av1C = findBox(buf, 'av1C');
  if (av1C) return { codec: av1CodecString(buf, av1C), timescale };
  const vpcC = findBox(buf, 'vpcC');
  if (vpcC) return { codec: vp9CodecString(buf, vpcC), timescale };
  const esds = findBox(buf, 'esds');
  if (esds) return { codec: `mp4a.${aacCodecSuffix(buf, esds)}`, timescale };
  throw new Error('init segment has none of avcC, av1C, vpcC or esds: unsupported codec');
}

const twoDigits = (n: number) => String(n).padStart(2, '0');

/**
 * `av01.P.LLT.DD` from an AV1CodecConfigurationRecord (AV1 in ISO-BMFF §2.3, codecs parameter
 * §5): profile, level index, tier, bit depth. The optional colour fields live in the sequence
 * header OBU, not in the record; the short form is complete for choosing a decoder.
 */
function av1CodecString(buf: Buffer, av1C: Box): string {
  const byte1 = buf.readUInt8(av1C.start + 1);
  const byte2 = buf.readUInt8(av1C.start + 2);
  const profile = byte1 >> 5;
  const level = byte1 & 0x1f;
  const tier = byte2 & 0x80 ? 'H' : 'M';
  const highBitdepth = (byte2 & 0x40) !== 0;
  const twelveBit = (byte2 & 0x20) !== 0;
  const bitDepth = highBitdepth ? (twelveBit ? 12 : 10) : 8;
  return `av01.${profile}.${twoDigits(level)}${tier}.${twoDigits(bitDepth)}`;
}

/**
 * `vp09.PP.LL.DD.CC.cp.tc.mc.FF` from a VPCodecConfigurationRecord (VP Codec ISO Media File Format
 * Binding §2.2, codecs parameter §3): every field is in the record, so the full form is exact.
 */
function vp9CodecString(buf: Buffer, vpcC: Box): string {
  const at = vpcC.start + 4; // FullBox version + flags
  const profile = buf.readUInt8(at);
  const level = buf.readUInt8(at + 1);
  const packed = buf.readUInt8(at + 2);
  const bitDepth = packed >> 4;
  const chroma = (packed >> 1) & 0x07;
  const fullRange = packed & 0x01;
  const [primaries, transfer, matrix] = [buf.readUInt8(at + 3), buf.readUInt8(at + 4), buf.readUInt8(at + 5)];
  return `vp09.${[profile, level, bitDepth, chroma, primaries, transfer, matrix, fullRange].map(twoDigits).join('.')}`;
}

/** Reads objectTypeIndication and the AudioSpecificConfig's object type out of an esds box. */
function aacCodecSuffix(buf: Buffer, esds: Box): string {
  let offset = esds.start + 4; // version + flags
  const readDescriptor = (): { tag: number; start: number; end: number } => {
    const tag = buf.readUInt8(offset++);
    let length = 0;
    for (let i = 0; i < 4; i++) {
      const byte = buf.readUInt8(offset++);
      length = (length << 7) | (byte & 0x7f);
      if (!(byte & 0x80)) break;
    }
    return { tag, start: offset, end: offset + length };
  };
  const es = readDescriptor(); // ES_Descriptor (0x03)
  if (es.tag !== 0x03) return '40.2';
  const flags = buf.readUInt8(es.start + 2);
  offset = es.start + 3 + (flags & 0x80 ? 2 : 0) + (flags & 0x20 ? 2 : 0);
  if (flags & 0x40) offset += 1 + buf.readUInt8(offset);
  const dcd = readDescriptor(); // DecoderConfigDescriptor (0x04)
  if (dcd.tag !== 0x04) return '40.2';
  const objectType = buf.readUInt8(dcd.start);
  offset = dcd.start + 13;
  if (offset >= dcd.end) return objectType.toString(16);
  const dsi = readDescriptor(); // DecoderSpecificInfo (0x05): AudioSpecificConfig
  if (dsi.tag !== 0x05) return objectType.toString(16);
  const audioObjectType = buf.readUInt8(dsi.start) >> 3;
  return `${objectType.toString(16)}.${audioObjectType}`;
}

/** baseMediaDecodeTime of the first track fragment in a media segment. */
export function readSegmentDecodeTime(buf: Buffer): number {
  const tfdt = findBox(buf, 'tfdt');
  if (!tfdt) throw new Error('media segment has no tfdt box');
  const version = buf.readUInt8(tfdt.start);
  return version === 1 ? Number(buf.readBigUInt64BE(tfdt.start + 4)) : buf.readUInt32BE(tfdt.start + 4);
}

/**
 * Presentation time of a media segment's first sample: its decode time (tfdt) plus the sample's
 * composition offset (trun). Players place the picture by this, not by tfdt: an H.264 stream with
 * B-frames decodes its first frame before showing it, so the first segment's tfdt 0 shows at, say,
 * 2 frames. For our segments the first sample is the keyframe opening a closed GOP, which is also
 * the first one presented.
 */
export function readSegmentPresentationTime(buf: Buffer): number {
  const decodeTime = readSegmentDecodeTime(buf);
  const trun = findBox(buf, 'trun');
  if (!trun) return decodeTime;
  const version = buf.readUInt8(trun.start);
  const flags = buf.readUIntBE(trun.start + 1, 3);
  if (!(flags & 0x800) || buf.readUInt32BE(trun.start + 4) === 0) return decodeTime; // no composition offsets
  // Skip the optional data offset and first-sample flags, then the first sample's duration, size and flags.
  let offset = trun.start + 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
  offset += (flags & 0x100 ? 4 : 0) + (flags & 0x200 ? 4 : 0) + (flags & 0x400 ? 4 : 0);
  // Version 1 offsets are signed (ISO/IEC 14496-12 §8.8.8).
  return decodeTime + (version === 1 ? buf.readInt32BE(offset) : buf.readUInt32BE(offset));
}

/** One sample of a media segment, in the track's timescale. */
export interface FragmentSample {
  decodeTime: number;
  duration: number;
  /** Presentation time minus decode time (negative in version-1 track runs). */
  compositionOffset: number;
}

/**
 * Every sample of a media segment (each moof's track run), with decode times counted from its
 * tfdt. Durations missing from the run come from the tfhd default, else from the init segment's
 * trex. These are the times an MSE player places samples at: edit lists do not apply to them.
 */
export function readSegmentSamples(segment: Buffer, init?: Buffer): FragmentSample[] {
  const trex = init ? findBox(init, 'trex') : null;
  const trexDuration = trex ? init!.readUInt32BE(trex.start + 12) : 0;
  const samples: FragmentSample[] = [];
  for (const moof of boxes(segment, 0, segment.length)) {
    if (moof.type !== 'moof') continue;
    for (const traf of boxes(segment, moof.start, moof.end)) {
      if (traf.type !== 'traf') continue;
      let defaultDuration = trexDuration;
      let decodeTime = 0;
      for (const box of boxes(segment, traf.start, traf.end)) {
        if (box.type === 'tfhd') {
          const flags = segment.readUIntBE(box.start + 1, 3);
          const offset = box.start + 8 + (flags & 0x1 ? 8 : 0) + (flags & 0x2 ? 4 : 0);
          if (flags & 0x8) defaultDuration = segment.readUInt32BE(offset);
        } else if (box.type === 'tfdt') {
          const version = segment.readUInt8(box.start);
          decodeTime = version === 1 ? Number(segment.readBigUInt64BE(box.start + 4)) : segment.readUInt32BE(box.start + 4);
        } else if (box.type === 'trun') {
          const version = segment.readUInt8(box.start);
          const flags = segment.readUIntBE(box.start + 1, 3);
          const count = segment.readUInt32BE(box.start + 4);
          let offset = box.start + 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
          for (let i = 0; i < count; i++) {
            let duration = defaultDuration;
            let compositionOffset = 0;
            if (flags & 0x100) { duration = segment.readUInt32BE(offset); offset += 4; }
            if (flags & 0x200) offset += 4;
            if (flags & 0x400) offset += 4;
            if (flags & 0x800) {
              compositionOffset = version === 1 ? segment.readInt32BE(offset) : segment.readUInt32BE(offset);
              offset += 4;
            }
            samples.push({ decodeTime, duration, compositionOffset });
            decodeTime += duration;
          }
        }
      }
    }
  }
  return samples;
}
