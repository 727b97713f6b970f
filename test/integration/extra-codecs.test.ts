/**
 * Extra codec ladders (AV1, VP9), through the whole product path: chosen by config and per upload
 * (multipart field or tus metadata `extraCodecs`), encoded in the ladder's one ffmpeg run, published
 * as av1/v<N>, vp9/v<N> with the codec strings read from their own init segments (HLS CODECS, DASH
 * @codecs, one AdaptationSet per codec), decodable end to end, and cut at the same instants as the
 * H.264 rungs (a 29.97 fps clip, so GOPs are not a whole number of frames).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInitSegment, readSegmentDecodeTime } from '../../src/media/mp4-boxes.js';
import { fetchRendition, type FetchedRendition } from '../helpers/av-sync.js';
import { authHeaders, followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';

const run = promisify(execFile);

let server: TestServer;
let dir: string;
let clip: string;
beforeAll(async () => {
  // The config asks for AV1 on every video; uploads may ask for more, or for none.
  server = await startTestServer({ segmentSeconds: 2, extraCodecs: ['av1'] });
  dir = mkdtempSync(path.join(tmpdir(), 'sf-codecs-'));
  clip = path.join(dir, 'clip-2997.mp4');
  await run('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30000/1001', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '5', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip,
  ]);
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function multipart(fields: Record<string, string>): Promise<{ status: number; body: any }> {
  const { openAsBlob } = await import('node:fs');
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', await openAsBlob(clip), 'clip.mp4');
  const res = await fetch(`${server.baseUrl}/api/videos`, { method: 'POST', body: form, headers: authHeaders });
  return { status: res.status, body: await res.json() };
}

async function ready(id: string): Promise<any> {
  const events = await followEvents(server.baseUrl, id, 150_000);
  const video = events.at(-1)!.data;
  expect(video.status, video.error).toBe('ready');
  return video;
}

/** Seconds at which each segment starts, from its tfdt. */
function segmentStarts(rendition: FetchedRendition): number[] {
  const { timescale } = readInitSegment(rendition.init);
  return rendition.segments.map((s) => readSegmentDecodeTime(s) / timescale);
}

async function probe(file: string): Promise<{ codec: string; width: number; height: number; frames: number; keyframesSec: number[] }> {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,width,height,nb_read_frames:packet=pts_time,flags', '-of', 'json', file,
  ], { maxBuffer: 16 * 1024 * 1024 });
  const json = JSON.parse(stdout);
  const stream = json.streams[0];
  return {
    codec: stream.codec_name,
    width: stream.width,
    height: stream.height,
    frames: Number(stream.nb_read_frames),
    keyframesSec: json.packets.filter((p: any) => p.flags.startsWith('K')).map((p: any) => Number(p.pts_time)).sort((a: number, b: number) => a - b),
  };
}

describe('AV1 and VP9 ladders beside H.264', () => {
  let video: any;
  let base: string;

  beforeAll(async () => {
    const upload = await multipart({ extraCodecs: 'av1,vp9' });
    expect(upload.status).toBe(201);
    video = await ready(upload.body.id);
    base = server.baseUrl + video.playback.hls.replace(/master\.m3u8$/, '');
  });

  it('lists every codec in the master playlist, with the exact codec strings of the init segments', async () => {
    expect(video.videoCodecs).toEqual(['h264', 'av1', 'vp9']);
    const master = await (await fetch(`${base}master.m3u8`)).text();
    const lines = master.trim().split('\n');
    const variants = lines.flatMap((line, i) => (line.startsWith('#EXT-X-STREAM-INF:') ? [{ attrs: line, uri: lines[i + 1]! }] : []));
    expect(variants.map((v) => v.uri)).toEqual([
      'v1/index.m3u8', 'v0/index.m3u8', 'av1/v1/index.m3u8', 'av1/v0/index.m3u8', 'vp9/v1/index.m3u8', 'vp9/v0/index.m3u8',
    ]);
    for (const { attrs, uri } of variants) {
      const { init } = await fetchRendition(base + uri);
      const codec = readInitSegment(init).codec;
      expect(attrs).toContain(`CODECS="${codec},mp4a.40.2"`);
      const family = uri.startsWith('av1/') ? /^av01\.0\.\d\dM\.08$/ : uri.startsWith('vp9/') ? /^vp09\.00\.\d\d\.08\.0[01]\.01\.01\.01\.00$/ : /^avc1\.64[0-9a-f]{4}$/;
      expect(codec).toMatch(family);
      expect(attrs).toContain('AUDIO="audio"');
    }
  });

  it('gives each codec its own DASH AdaptationSet over the same files', async () => {
    const mpd = await (await fetch(server.baseUrl + video.playback.dash)).text();
    const sets = [...mpd.matchAll(/<AdaptationSet [^>]*contentType="video"[^>]*>([\s\S]*?)<\/AdaptationSet>/g)].map((m) => m[1]!);
    expect(sets).toHaveLength(3);
    const codecsOf = (set: string) => [...set.matchAll(/codecs="([^"]+)"/g)].map((m) => m[1]!.split('.')[0]);
    expect(sets.map(codecsOf)).toEqual([['avc1', 'avc1'], ['av01', 'av01'], ['vp09', 'vp09']]);
    expect(sets[1]).toMatch(/media="av1\/v0\/seg_\$Number%05d\$\.m4s"/);
    const { init } = await fetchRendition(`${base}av1/v0/index.m3u8`);
    expect(mpd).toContain(`codecs="${readInitSegment(init).codec}"`);
  });

  it('makes valid AV1 and VP9 renditions of every rung, cut at the same instants as the H.264 ones', async () => {
    for (const [i, rung] of (video.renditions as Array<{ width: number; height: number }>).entries()) {
      const h264 = await fetchRendition(`${base}v${i}/index.m3u8`);
      const starts = segmentStarts(h264);
      const reference = await probe(writeRendition(h264, `h264-${i}`));
      expect(starts.length).toBeGreaterThanOrEqual(3);
      for (const [family, codec] of [['av1', 'av1'], ['vp9', 'vp9']] as const) {
        const rendition = await fetchRendition(`${base}${family}/v${i}/index.m3u8`);
        const probed = await probe(writeRendition(rendition, `${family}-${i}`));
        expect(probed).toMatchObject({ codec, width: rung.width, height: rung.height, frames: reference.frames });
        // Same segment boundaries (29.97 fps: 59.94 frames per 2 s segment), each opening on a keyframe.
        const own = segmentStarts(rendition);
        expect(own.length).toBe(starts.length);
        own.forEach((t, s) => expect(Math.abs(t - starts[s]!)).toBeLessThan(0.001));
        for (const t of own) expect(probed.keyframesSec.some((k) => Math.abs(k - t) < 0.001)).toBe(true);
      }
    }
  });
});

function writeRendition(rendition: FetchedRendition, name: string): string {
  const file = path.join(dir, `${name}-${Date.now()}.mp4`);
  writeFileSync(file, Buffer.concat([rendition.init, ...rendition.segments]));
  return file;
}

describe('choosing the extra codecs', () => {
  it('uses the configured default when the upload says nothing', async () => {
    const upload = await uploadFile(server.baseUrl, clip);
    const video = await ready(upload.body.id);
    expect(video.videoCodecs).toEqual(['h264', 'av1']);
    const master = await (await fetch(server.baseUrl + video.playback.hls)).text();
    expect(master).toContain('av1/v0/index.m3u8');
    expect(master).not.toContain('vp09');
  });

  it('takes `extraCodecs` from tus Upload-Metadata: none means H.264 only', async () => {
    const data = readFileSync(clip);
    const meta = (values: Record<string, string>) => Object.entries(values).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
    const res = await fetch(`${server.baseUrl}/api/uploads`, {
      method: 'POST',
      headers: {
        ...authHeaders,
        'Tus-Resumable': '1.0.0', 'Upload-Length': String(data.length), 'Content-Type': 'application/offset+octet-stream',
        'Upload-Metadata': meta({ filename: 'clip.mp4', extraCodecs: 'none' }),
      },
      body: data,
    });
    expect(res.status).toBe(201);
    const video = await ready(res.headers.get('StreamForge-Video-Id')!);
    expect(video.videoCodecs).toEqual(['h264']);
    expect(await (await fetch(server.baseUrl + video.playback.hls)).text()).not.toMatch(/av01|vp09/);
  });

  it('refuses codecs it does not make, in either upload', async () => {
    const refused = await multipart({ extraCodecs: 'av1,hevc' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/extraCodecs: a comma-separated list of av1, vp9, or none/);
    const tus = await fetch(`${server.baseUrl}/api/uploads`, {
      method: 'POST',
      headers: { ...authHeaders, 'Tus-Resumable': '1.0.0', 'Upload-Length': '10', 'Upload-Metadata': `extraCodecs ${Buffer.from('h266').toString('base64')}` },
    });
    expect(tus.status).toBe(400);
  });
});
