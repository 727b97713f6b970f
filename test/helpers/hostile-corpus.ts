/**
 * A corpus of hostile uploads, built at test time in a directory of the caller's: media made with
 * ffmpeg's lavfi sources (then cut or patched byte by byte), everything else written by hand. Each
 * case says what StreamForge must do with it: refuse the upload, fail the video with a reason
 * matching `reason`, or process it safely (`ready`). docs/hostile-input.md explains what each proves.
 *
 * Two bait files sit beside the corpus, referenced by the playlists and scripts in it: `secret.srt`
 * and `secret.mp4`, both holding `secretMarker` (as subtitle text and as metadata, which a remux
 * would copy). If any of those references were followed, the marker would reach a stored output.
 * The HTTP references point at `canaryUrl`, a loopback server that must see no request.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type HostileExpectation =
  /** The upload itself is refused (HTTP status, message in the error body). */
  | { kind: 'refused'; status: number; reason: RegExp }
  /** Accepted, then failed by the pipeline with this reason on the video record. */
  | { kind: 'failed'; reason: RegExp }
  /** Processed to a stream (a valid file that merely carries something hostile). */
  | { kind: 'ready' }
  /** Damaged but harmless: either salvaged to a stream or failed with a reason; never an internal error. */
  | { kind: 'handled' };

export interface HostileCase {
  /** File name sent with the upload (display text only). */
  name: string;
  filePath: string;
  what: string;
  expect: HostileExpectation;
}

export interface HostileCorpus {
  cases: HostileCase[];
  /** Bytes that must never appear in any stored output. */
  secretMarker: string;
  /** Bytes of the polyglot's HTML payload: in the original only, never in a rendition. */
  htmlMarker: string;
  /** A valid short clip, for the hostile-name uploads and the health check afterwards. */
  validClip: string;
}

const NOT_ACCEPTED = /is not accepted; upload a video or audio file/;

export function buildHostileCorpus(options: { dir: string; canaryUrl: string }): HostileCorpus {
  const { dir, canaryUrl } = options;
  const file = (name: string) => path.join(dir, name);
  const ffmpeg = (args: string[], out: string) => {
    execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args, file(out)]);
    return file(out);
  };
  const write = (name: string, data: string | Buffer) => {
    writeFileSync(file(name), data);
    return file(name);
  };
  const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

  const secretMarker = `SECRET-${randomBytes(8).toString('hex')}`;
  const htmlMarker = `<script>/*POLYGLOT-${randomBytes(6).toString('hex')}*/alert(1)</script>`;
  const secretSrt = write('secret.srt', `1\n00:00:00,000 --> 00:00:05,000\n${secretMarker}\n\n`);
  const secretMp4 = ffmpeg(
    ['-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=10:duration=1', ...x264, '-metadata', `title=${secretMarker}`, '-metadata', `comment=${secretMarker}`],
    'secret.mp4',
  );
  const canary = (name: string) => `${canaryUrl}/${name}`;

  const validClip = ffmpeg(
    ['-f', 'lavfi', '-i', 'testsrc2=size=128x72:rate=15:duration=1', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1', ...x264, '-c:a', 'aac', '-shortest'],
    'valid.mp4',
  );
  // moov after mdat (ffmpeg's default) and moov first (faststart): they break differently when cut.
  const moovLast = ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=2', ...x264], 'moov-last.mp4');
  const moovFirst = ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=2', ...x264, '-movflags', '+faststart'], 'moov-first.mp4');
  const mjpegAvi = ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=10:duration=1', '-c:v', 'mjpeg', '-q:v', '5', '-f', 'avi'], 'mjpeg.avi');

  const cases: HostileCase[] = [];
  const add = (name: string, filePath: string, what: string, expect: HostileExpectation) => cases.push({ name, filePath, what, expect });

  // --- Playlists and scripts: instructions to open other files or URLs, under a video's name.
  add('playlist.mp4', write('playlist.mp4', [
    '#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:5', '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXTINF:1.0,', secretMp4,
    '#EXTINF:1.0,', `file:${secretMp4}`,
    '#EXTINF:1.0,', path.relative(dir, secretMp4),
    '#EXTINF:1.0,', `../${path.basename(dir)}/secret.mp4`,
    '#EXTINF:1.0,', canary('segment.ts'),
    '#EXT-X-ENDLIST', '',
  ].join('\n')), 'HLS media playlist named .mp4: segments are local files and a loopback URL', { kind: 'failed', reason: /^an HLS playlist \(format hls\) is not accepted/ });
  add('master.m3u8', write('master.m3u8', [
    '#EXTM3U',
    `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="s",NAME="x",URI="${secretSrt}"`,
    `#EXT-X-STREAM-INF:BANDWIDTH=100000,SUBTITLES="s"`, canary('variant.m3u8'),
    `#EXT-X-STREAM-INF:BANDWIDTH=200000`, `file:${secretMp4}`, '',
  ].join('\n')), 'HLS master playlist: a loopback variant, a local subtitle file', { kind: 'failed', reason: /^an HLS playlist \(format hls\) is not accepted/ });
  add('init-map.mp4', write('init-map.mp4', [
    '#EXTM3U', '#EXT-X-TARGETDURATION:2', `#EXT-X-MAP:URI="${canary('init.mp4')}"`, '#EXTINF:1.0,', canary('seg.m4s'), '#EXT-X-ENDLIST', '',
  ].join('\n')), 'HLS playlist whose init segment is on the loopback canary', { kind: 'failed', reason: /^an HLS playlist \(format hls\) is not accepted/ });
  add('concat.mp4', write('concat.mp4', [
    'ffconcat version 1.0', `file '${secretMp4}'`, `file 'file:${secretMp4}'`, `file '${canary('concat.mp4')}'`, `file '${secretSrt}'`, '',
  ].join('\n')), 'ffconcat script: local files and a loopback URL', { kind: 'failed', reason: /^an ffconcat script \(format concat\) is not accepted/ });
  add('manifest.mp4', write('manifest.mp4', [
    '<?xml version="1.0"?>',
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT2S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">',
    `<BaseURL>${canary('dash/')}</BaseURL><Period><AdaptationSet mimeType="video/mp4"><Representation id="v" bandwidth="100000" codecs="avc1.42c00a" width="64" height="64">`,
    '<BaseURL>video.mp4</BaseURL><SegmentBase indexRange="0-100"/></Representation></AdaptationSet></Period></MPD>', '',
  ].join('\n')), 'DASH manifest whose media is on the loopback canary', { kind: 'failed', reason: /DASH manifest|not a recognised video or audio file|is not accepted/ });
  add('session.mp4', write('session.mp4', [
    'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=x', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=video 5004 RTP/AVP 96', 'a=rtpmap:96 H264/90000', '',
  ].join('\n')), 'SDP session description: would open network sockets', { kind: 'failed', reason: NOT_ACCEPTED });

  // --- Empty, cut off, malformed.
  add('empty.mp4', write('empty.mp4', ''), 'zero bytes', { kind: 'refused', status: 400, reason: /the uploaded file is empty/ });
  const moovLastBytes = readFileSync(moovLast);
  add('cut-before-moov.mp4', write('cut-before-moov.mp4', moovLastBytes.subarray(0, Math.floor(moovLastBytes.length / 2))),
    'truncated upload, index (moov) never arrived', { kind: 'failed', reason: /^not a recognised video or audio file \(moov atom not found\)$/ });
  const moovFirstBytes = readFileSync(moovFirst);
  add('cut-after-moov.mp4', write('cut-after-moov.mp4', moovFirstBytes.subarray(0, Math.floor(moovFirstBytes.length * 0.4))),
    'truncated upload, index present but most frames missing', { kind: 'failed', reason: /^the file is truncated: its index describes/ });
  add('moov-size-huge.mp4', write('moov-size-huge.mp4', patchBoxSize(moovFirstBytes, 'moov', 0xfffffff0)),
    'moov box claiming 4 GB in a small file', { kind: 'handled' });
  add('stsz-count-huge.mp4', write('stsz-count-huge.mp4', patchBoxField(moovFirstBytes, 'stsz', 16, 0x3fffffff)),
    'sample table claiming a billion samples (allocation bomb)', { kind: 'failed', reason: /^not a recognised video or audio file/ });
  add('mvhd-size-tiny.mp4', write('mvhd-size-tiny.mp4', patchBoxSize(moovFirstBytes, 'mvhd', 3)),
    'box whose size is smaller than its own header', { kind: 'handled' });
  add('random-bytes.mp4', write('random-bytes.mp4', noise(64 * 1024)), 'noise', { kind: 'failed', reason: /^not a recognised video or audio file/ });

  // --- Decompression and amplification bombs.
  const mjpeg = readFileSync(mjpegAvi);
  add('declared-16000x16000.avi', write('declared-16000x16000.avi', patchMjpegAviSize(mjpeg, 16000, 16000)),
    'MJPEG AVI declaring 16000×16000 frames (1 GB of pixels a frame) in 24 kB', { kind: 'failed', reason: /^video width 16000 px exceeds the limit of 8192 px$/ });
  add('declared-8000x8000.avi', write('declared-8000x8000.avi', patchMjpegAviSize(mjpeg, 8000, 8000)),
    'each side within the limits, the frame not', { kind: 'failed', reason: /^video frame 8000x8000 \(64000000 pixels\) exceeds the limit of 35389440 pixels$/ });
  add('wide-8704x16.mp4', ffmpeg(['-f', 'lavfi', '-i', 'color=gray:size=8704x16:rate=5:duration=0.4', ...x264], 'wide-8704x16.mp4'),
    'real H.264 wider than the limit', { kind: 'failed', reason: /^video width 8704 px exceeds the limit of 8192 px$/ });
  add('fps-1000.mp4', ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=32x32:rate=1000:duration=1', ...x264], 'fps-1000.mp4'),
    '1000 frames per second', { kind: 'failed', reason: /^frame rate 1000 fps exceeds the limit of 240 fps$/ });
  add('ten-hours-16x16.mp4', ffmpeg(['-f', 'lavfi', '-i', 'color=black:size=16x16:rate=1', '-t', '36000', ...x264, '-g', '600'], 'ten-hours-16x16.mp4'),
    '10 hours of 16×16 black at 1 fps in 0.5 MB', { kind: 'failed', reason: /× its size, over the limit of 100×$/ });
  add('two-frames-ten-hours.mp4', ffmpeg(['-f', 'lavfi', '-i', 'color=black:size=16x16:rate=1', '-frames:v', '2', '-vf', 'setpts=N*36000/TB', '-fps_mode', 'passthrough', ...x264], 'two-frames-ten-hours.mp4'),
    'two frames ten hours apart in 1.5 kB', { kind: 'failed', reason: /× its size, over the limit of 100×$/ });

  // --- Not video at all, under a video's name.
  add('page.mp4', write('page.mp4', `<!DOCTYPE html><html><head><title>x</title></head><body>${htmlMarker}</body></html>\n`),
    'HTML page', { kind: 'failed', reason: /^not a recognised video or audio file/ });
  add('image.mp4', write('image.mp4', `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">${htmlMarker}</svg>\n`),
    'SVG with script', { kind: 'failed', reason: /an image \(format svg_pipe\) is not accepted|^not a recognised video or audio file/ });
  add('photo.mp4', ffmpeg(['-f', 'lavfi', '-i', 'color=red:size=64x48', '-frames:v', '1', '-f', 'image2', '-c:v', 'png'], 'photo.mp4'),
    'PNG image', { kind: 'failed', reason: /^an image \(format png_pipe\) is not accepted/ });
  add('picture.mov', ffmpeg(['-f', 'lavfi', '-i', 'color=blue:size=64x48', '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg'], 'picture.mov'),
    'JPEG image', { kind: 'failed', reason: /^an image \(format jpeg_pipe\) is not accepted/ });
  add('gif-html.mp4', write('gif-html.mp4', gifHtmlPolyglot(htmlMarker)), 'GIF that is also an HTML page', { kind: 'failed', reason: /^an image \(format gif\) is not accepted/ });
  add('notes.mp4', write('notes.mp4', 'These are meeting notes, not a video.\n'.repeat(50)), 'plain text', { kind: 'failed', reason: /^not a recognised video or audio file/ });
  add('captions.mp4', write('captions.mp4', '1\n00:00:00,000 --> 00:00:02,000\nHello\n\n2\n00:00:02,000 --> 00:00:04,000\nWorld\n\n'), 'SubRip subtitles', { kind: 'failed', reason: /^a subtitle file \(format srt\) is not accepted/ });
  add('html-in-mp4.mp4', write('html-in-mp4.mp4', insertBoxAfterFtyp(moovFirstBytes, 'free', Buffer.from(`<html><body>${htmlMarker}</body></html>`))),
    'valid MP4 carrying an HTML page in a free box (polyglot)', { kind: 'ready' });

  return { cases, secretMarker, htmlMarker, validClip };
}

/** Reproducible noise (a SHA-256 chain), so a chance match of some demuxer's signature cannot make the test flaky. */
function noise(bytes: number): Buffer {
  const blocks: Buffer[] = [];
  let block = Buffer.from('streamforge hostile corpus');
  for (let n = 0; n < bytes; n += 32) blocks.push((block = createHash('sha256').update(block).digest()));
  return Buffer.concat(blocks).subarray(0, bytes);
}

/** Top-level and nested boxes of an ISO BMFF file, depth first: [offset, size, type]. */
function boxes(data: Buffer, start = 0, end = data.length): Array<{ offset: number; size: number; type: string }> {
  const containers = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'dinf', 'udta', 'mvex']);
  const found: Array<{ offset: number; size: number; type: string }> = [];
  for (let at = start; at + 8 <= end; ) {
    const size = data.readUInt32BE(at);
    const type = data.toString('latin1', at + 4, at + 8);
    if (size < 8 || at + size > end) break;
    found.push({ offset: at, size, type });
    if (containers.has(type)) found.push(...boxes(data, at + 8, at + size));
    at += size;
  }
  return found;
}

function findBox(data: Buffer, type: string): { offset: number; size: number } {
  const box = boxes(data).find((b) => b.type === type);
  if (!box) throw new Error(`no ${type} box`);
  return box;
}

function patchBoxSize(data: Buffer, type: string, size: number): Buffer {
  const copy = Buffer.from(data);
  copy.writeUInt32BE(size, findBox(data, type).offset);
  return copy;
}

/** Overwrites the 32-bit field `offsetInBox` bytes from the start of a box (stsz sample_count: 16). */
function patchBoxField(data: Buffer, type: string, offsetInBox: number, value: number): Buffer {
  const copy = Buffer.from(data);
  copy.writeUInt32BE(value, findBox(data, type).offset + offsetInBox);
  return copy;
}

/** Inserts a box after `ftyp` and moves every chunk offset (stco) by its size, so the file stays valid. */
function insertBoxAfterFtyp(data: Buffer, type: string, payload: Buffer): Buffer {
  const ftyp = findBox(data, 'ftyp');
  const box = Buffer.alloc(8 + payload.length);
  box.writeUInt32BE(box.length, 0);
  box.write(type, 4, 'latin1');
  payload.copy(box, 8);
  const out = Buffer.concat([data.subarray(0, ftyp.offset + ftyp.size), box, data.subarray(ftyp.offset + ftyp.size)]);
  for (const stco of boxes(out).filter((b) => b.type === 'stco')) {
    const count = out.readUInt32BE(stco.offset + 12);
    for (let i = 0; i < count; i++) {
      const at = stco.offset + 16 + i * 4;
      out.writeUInt32BE(out.readUInt32BE(at) + box.length, at);
    }
  }
  return out;
}

/** An MJPEG AVI claiming other frame dimensions: every JPEG SOF0 marker and the AVI headers. */
function patchMjpegAviSize(data: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(data);
  for (let i = 0; i + 9 < copy.length; i++) {
    if (copy[i] === 0xff && copy[i + 1] === 0xc0 && copy[i + 2] === 0 && copy[i + 3] === 0x11) {
      copy.writeUInt16BE(height, i + 5);
      copy.writeUInt16BE(width, i + 7);
    }
  }
  const avih = copy.indexOf('avih');
  copy.writeUInt32LE(width, avih + 8 + 32);
  copy.writeUInt32LE(height, avih + 8 + 36);
  const strh = copy.indexOf('strh');
  copy.writeUInt16LE(Math.min(width, 0xffff), strh + 8 + 52);
  copy.writeUInt16LE(Math.min(height, 0xffff), strh + 8 + 54);
  const strf = copy.indexOf('strf');
  copy.writeInt32LE(width, strf + 8 + 4);
  copy.writeInt32LE(height, strf + 8 + 8);
  return copy;
}

/** A 1×1 GIF whose comment extension holds an HTML page: a browser sniffing it could run the script. */
function gifHtmlPolyglot(html: string): Buffer {
  const comment = Buffer.from(`<html><body>${html}</body></html>`);
  const blocks: Buffer[] = [];
  for (let i = 0; i < comment.length; i += 255) {
    const part = comment.subarray(i, i + 255);
    blocks.push(Buffer.from([part.length]), part);
  }
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    Buffer.from([1, 0, 1, 0, 0x80, 0, 0]), // 1×1, global colour table of 2
    Buffer.from([0, 0, 0, 255, 255, 255]),
    Buffer.from([0x21, 0xfe]), ...blocks, Buffer.from([0]), // comment extension
    Buffer.from([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0]), // image descriptor
    Buffer.from([2, 2, 0x44, 0x01, 0]), // LZW data of one pixel
    Buffer.from([0x3b]),
  ]);
}
