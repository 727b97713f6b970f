/** Pixel sizes of JPEG, PNG and WebP images read from their headers, and WebP's animation chunks. */
import { jpegSize } from '../../src/media/jpeg-size.js';

export interface Size {
  width: number;
  height: number;
}

export function pngSize(data: Buffer): Size | null {
  if (data.length < 24 || data.toString('latin1', 1, 4) !== 'PNG' || data.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

/** RIFF chunks of a WebP file, in order (fourcc and payload). */
export function webpChunks(data: Buffer): Array<{ fourcc: string; payload: Buffer }> {
  if (data.length < 12 || data.toString('latin1', 0, 4) !== 'RIFF' || data.toString('latin1', 8, 12) !== 'WEBP') return [];
  const chunks: Array<{ fourcc: string; payload: Buffer }> = [];
  let at = 12;
  while (at + 8 <= data.length) {
    const fourcc = data.toString('latin1', at, at + 4);
    const size = data.readUInt32LE(at + 4);
    chunks.push({ fourcc, payload: data.subarray(at + 8, at + 8 + size) });
    at += 8 + size + (size % 2);
  }
  return chunks;
}

export function webpSize(data: Buffer): Size | null {
  const first = webpChunks(data)[0];
  if (!first) return null;
  const p = first.payload;
  if (first.fourcc === 'VP8X') return { width: 1 + p.readUIntLE(4, 3), height: 1 + p.readUIntLE(7, 3) };
  if (first.fourcc === 'VP8 ') return { width: p.readUInt16LE(6) & 0x3fff, height: p.readUInt16LE(8) & 0x3fff };
  if (first.fourcc === 'VP8L') {
    const bits = p.readUInt32LE(1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return null;
}

export function imageSize(contentType: string, data: Buffer): Size | null {
  if (contentType.startsWith('image/jpeg')) return jpegSize(data);
  if (contentType.startsWith('image/png')) return pngSize(data);
  if (contentType.startsWith('image/webp')) return webpSize(data);
  return null;
}
