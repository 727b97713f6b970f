/**
 * The pixel size of a JPEG, read from its frame header (SOFn marker) without decoding: enough to
 * learn what ffmpeg actually produced, without a second process.
 */
import { readFile } from 'node:fs/promises';

export interface ImageSize {
  width: number;
  height: number;
}

/** Size of the JPEG in `data`, or null when it is not a JPEG with a frame header. */
export function jpegSize(data: Buffer): ImageSize | null {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return null;
  let at = 2;
  while (at + 4 <= data.length) {
    if (data[at] !== 0xff) return null;
    const marker = data[at + 1]!;
    // Fill bytes, and markers without a length (TEM, RSTn).
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / start of scan before any SOF
    const length = data.readUInt16BE(at + 2);
    // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > data.length) return null;
      return { height: data.readUInt16BE(at + 5), width: data.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  return null;
}

export async function readJpegSize(filePath: string): Promise<ImageSize> {
  const size = jpegSize(await readFile(filePath));
  if (!size) throw new Error(`${filePath} is not a JPEG with a frame header`);
  return size;
}
