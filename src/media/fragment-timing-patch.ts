/**
 * Moves a CMAF media segment along its track's timeline, in place: adds an offset to every
 * fragment's decode time (tfdt baseMediaDecodeTime) and to the segment index's earliest
 * presentation time (sidx), and renumbers the fragments (mfhd sequence_number). Chunked encoding
 * (docs/chunked-encoding.md) encodes each chunk from time 0; rewriting these few integers — exact, in
 * the track's timescale — turns the chunks' segments into one continuous fragmented stream, the
 * same bytes a single run would have written around them. Sizes never change, so no offsets move.
 */
import { PermanentError } from '../errors.js';
import { type Box, boxes } from './mp4-boxes.js';

/**
 * A segment this patcher cannot rewrite (ffmpeg writes tfdt version 1; version 0 is 32-bit and
 * would overflow on long videos). Retrying would write the same thing: permanent.
 */
export class UnsupportedFragmentError extends PermanentError {}

export interface FragmentTimingPatch {
  /** Ticks of the track's timescale to add to every decode time (and the sidx presentation time). */
  decodeTimeOffset: bigint;
  /** mfhd sequence number of the segment's first fragment; later fragments follow on. */
  firstSequenceNumber: number;
}

const U32_MAX = 0xffff_ffffn;

function children(buf: Buffer, box: Box): Box[] {
  return [...boxes(buf, box.start, box.end)];
}

/** Patches `segment` in place; returns the number of fragments (moof boxes) it holds. */
export function patchFragmentTiming(segment: Buffer, patch: FragmentTimingPatch): number {
  let fragments = 0;
  for (const box of boxes(segment, 0, segment.length)) {
    if (box.type === 'sidx') {
      const version = segment.readUInt8(box.start);
      // FullBox header (4), reference_ID (4), timescale (4), then earliest_presentation_time.
      const at = box.start + 12;
      if (version === 1) {
        segment.writeBigUInt64BE(segment.readBigUInt64BE(at) + patch.decodeTimeOffset, at);
      } else {
        const value = BigInt(segment.readUInt32BE(at)) + patch.decodeTimeOffset;
        if (value > U32_MAX) throw new UnsupportedFragmentError('sidx version 0 cannot hold the shifted presentation time');
        segment.writeUInt32BE(Number(value), at);
      }
    } else if (box.type === 'moof') {
      for (const child of children(segment, box)) {
        if (child.type === 'mfhd') {
          segment.writeUInt32BE(patch.firstSequenceNumber + fragments, child.start + 4);
        } else if (child.type === 'traf') {
          const tfdt = children(segment, child).find((b) => b.type === 'tfdt');
          if (!tfdt) throw new UnsupportedFragmentError('track fragment without tfdt');
          if (segment.readUInt8(tfdt.start) !== 1) {
            throw new UnsupportedFragmentError('tfdt version 0 (32-bit decode time): expected version 1 from ffmpeg’s muxer');
          }
          const at = tfdt.start + 4;
          segment.writeBigUInt64BE(segment.readBigUInt64BE(at) + patch.decodeTimeOffset, at);
        }
      }
      fragments++;
    }
  }
  if (fragments === 0) throw new UnsupportedFragmentError('media segment without a moof box');
  return fragments;
}
