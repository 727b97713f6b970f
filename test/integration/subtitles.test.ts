/**
 * Subtitles from real files, through the whole product path: upload, probe, ladder, the subtitle
 * stage, manifests and the origin. The SubRip sample becomes an English WebVTT track listed by the
 * video JSON, the master playlist and the MPD, with its cue on the picture's timeline (checked
 * against the first frame's presentation time read from the published CMAF segment); bitmap tracks
 * are skipped with the reason recorded, and the video is ready all the same.
 *
 * The PGS and VobSub samples of the corpus have broken video timestamps, which the probe rightly
 * refuses (corpus-pipeline.test.ts). So their real bitmap tracks are remuxed (stream copy, nothing
 * re-encoded) beside the SubRip sample's picture and sound, and uploaded as new files.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/media/ffprobe.js';
import { readInitSegment, readSegmentPresentationTime } from '../../src/media/mp4-boxes.js';
import { makeSubtitles, planSubtitles, type SubtitlePlan } from '../../src/pipeline/subtitles.js';
import { parseVttTimestamp } from '../../src/pipeline/webvtt.js';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { corpusFile } from '../helpers/media.js';

const run = promisify(execFile);

const SRT = corpusFile('mkv_h264_ac3_srt__androidx_sample_with_srt.mkv');
const ASS = corpusFile('mkv_h264_ac3_ass__androidx_sample_with_ass_subtitles.mkv');
const PGS = corpusFile('mkv_h264_ac3_pgs__androidx_sample_with_pgs_subtitles.mkv');
const VOBSUB = corpusFile('mp4_h264_ac3_vobsub__androidx_sample_with_vobsub.mp4');
/** The one cue of the SubRip sample, on the source's clock (ffprobe). */
const SRT_CUE = { startSec: 0, endSec: 1.234, text: 'This is the first subtitle.' };

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: 2 });
  dir = mkdtempSync(path.join(tmpdir(), 'sf-subtitles-'));
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Stream-copies the given inputs' streams into one Matroska file. */
async function remux(name: string, inputs: Array<{ file: string; map: string[]; itsoffsetSec?: number }>): Promise<string> {
  const out = path.join(dir, name);
  const args = ['-v', 'error', '-y'];
  for (const input of inputs) {
    if (input.itsoffsetSec) args.push('-itsoffset', String(input.itsoffsetSec));
    args.push('-i', input.file);
  }
  inputs.forEach((input, i) => input.map.forEach((m) => args.push('-map', `${i}:${m}`)));
  await run('ffmpeg', [...args, '-c', 'copy', out]);
  return out;
}

async function processed(file: string): Promise<any> {
  const upload = await uploadFile(server.baseUrl, file);
  expect(upload.status).toBe(201);
  const events = await followEvents(server.baseUrl, upload.body.id, 100_000);
  const last = events.at(-1)!;
  expect(last.event, JSON.stringify(last.data)).toBe('ready');
  expect(events.some((e) => e.event === 'failed')).toBe(false);
  return last.data;
}

async function text(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

interface Cue {
  startSec: number;
  endSec: number;
  text: string;
}

function parseCues(vtt: string): Cue[] {
  const [, ...blocks] = vtt.trimEnd().split('\n\n');
  return blocks.map((block) => {
    const lines = block.split('\n');
    const at = lines.findIndex((l) => l.includes('-->'));
    const [start, , end] = lines[at]!.split(' ');
    return { startSec: parseVttTimestamp(start!)!, endSec: parseVttTimestamp(end!)!, text: lines.slice(at + 1).join('\n') };
  });
}

/** Seconds at which players show the top rung's first frame: tfdt + composition offset of its first segment. */
async function firstFrameSec(base: string): Promise<number> {
  const playlist = (await text(`${base}v0/index.m3u8`)).body;
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!;
  const segment = playlist.split('\n').find((l) => l.endsWith('.m4s'))!;
  const { timescale } = readInitSegment(Buffer.from(await (await fetch(`${base}v0/${init}`)).arrayBuffer()));
  return readSegmentPresentationTime(Buffer.from(await (await fetch(`${base}v0/${segment}`)).arrayBuffer())) / timescale;
}

async function storedSubtitles(id: string): Promise<SubtitlePlan> {
  const row = await server.ctx.videos.get(id);
  return JSON.parse(row!.subtitles_json!) as SubtitlePlan;
}

describe('text subtitles become WebVTT tracks', () => {
  it('publishes the SubRip sample as an English track in the JSON, the master playlist and the MPD', async () => {
    const video = await processed(SRT);
    expect(video.subtitles).toEqual([
      { language: 'en', label: 'English', url: expect.stringMatching(new RegExp(`^/stream/${video.id}/[\\w-]+/subtitles/s0\\.vtt$`)) },
    ]);
    const base = server.baseUrl + video.playback.hls.replace(/master\.m3u8$/, '');

    // The WebVTT file, served as such, its cue inside the video and on the picture's timeline: the
    // cue and the first frame both start at 0 in the source, so they must start together here.
    const vtt = await text(server.baseUrl + video.subtitles[0].url);
    expect(vtt.status).toBe(200);
    expect(vtt.type).toMatch(/^text\/vtt/);
    expect(vtt.body.startsWith('WEBVTT\n')).toBe(true);
    const cues = parseCues(vtt.body);
    expect(cues.map((c) => c.text)).toEqual([SRT_CUE.text]);
    for (const cue of cues) {
      expect(cue.startSec).toBeGreaterThanOrEqual(0);
      expect(cue.endSec).toBeGreaterThan(cue.startSec);
      expect(cue.endSec).toBeLessThanOrEqual(video.durationSec);
    }
    const firstFrame = await firstFrameSec(base);
    // Segments carry negative composition offsets: the first frame shows at its decode time, 0
    // (without them, x264's B-frame delay put it 2 frames later; the cue follows either way).
    expect(firstFrame).toBe(0);
    expect(Math.abs(cues[0]!.startSec - firstFrame)).toBeLessThanOrEqual(0.001);

    // HLS: the SUBTITLES group, referenced by every variant, and its playlist over the whole file.
    const master = (await text(`${base}master.m3u8`)).body;
    expect(master).toContain(
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="subtitles/s0.m3u8"',
    );
    const variants = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    expect(variants.length).toBe(video.renditions.length);
    for (const variant of variants) expect(variant).toContain('SUBTITLES="subs"');
    const playlist = await text(`${base}subtitles/s0.m3u8`);
    expect(playlist.status).toBe(200);
    expect(playlist.body).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(playlist.body).toMatch(/#EXTINF:[\d.]+,\ns0\.vtt\n#EXT-X-ENDLIST\n$/);
    const extinf = Number(/#EXTINF:([\d.]+),/.exec(playlist.body)![1]);
    expect(Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(playlist.body)![1])).toBeGreaterThanOrEqual(extinf);
    expect(cues.at(-1)!.endSec).toBeLessThanOrEqual(extinf);

    // DASH: a text AdaptationSet whose BaseURL, resolved against the MPD, is the same file.
    const mpdUrl = server.baseUrl + video.playback.dash;
    const mpd = (await text(mpdUrl)).body;
    expect(mpd).toContain('type="static"');
    expect(mpd).toMatch(/<AdaptationSet id="\d+" contentType="text" mimeType="text\/vtt" lang="en">\s*<Label>English<\/Label>/);
    const baseUrl = /<BaseURL>([^<]+)<\/BaseURL>/.exec(mpd)![1]!;
    expect((await text(new URL(baseUrl, mpdUrl).href)).body).toBe(vtt.body);

    expect((await storedSubtitles(video.id)).skipped).toEqual([]);
  });

  it('keeps cues on the picture when the video starts after the container (cues are cut at 0)', async () => {
    // Picture and sound 0.2 s late against the subtitle: the cue (0–1.234 s in the source) must end
    // 1.034 s after the first frame is shown.
    const late = await remux('srt-video-late.mkv', [
      { file: SRT, map: ['v', 'a'], itsoffsetSec: 0.2 },
      { file: SRT, map: ['s'] },
    ]);
    const video = await processed(late);
    expect(video.subtitles.map((s: { label: string }) => s.label)).toEqual(['English']);
    const cues = parseCues((await text(server.baseUrl + video.subtitles[0].url)).body);
    const firstFrame = await firstFrameSec(server.baseUrl + video.playback.hls.replace(/master\.m3u8$/, ''));
    expect(cues).toHaveLength(1);
    expect(cues[0]!.startSec).toBe(0);
    expect(Math.abs(cues[0]!.endSec - (firstFrame + SRT_CUE.endSec - 0.2))).toBeLessThanOrEqual(0.001);
  });

  it('numbers several text tracks in source order, labels the unknown language, and skips the bitmap ones', async () => {
    const multi = await remux('multi.mkv', [
      { file: SRT, map: ['v', 'a', 's'] },
      { file: PGS, map: ['s'] },
      { file: ASS, map: ['s'] },
      { file: VOBSUB, map: ['s'] },
    ]);
    const video = await processed(multi);
    expect(video.subtitles.map((s: { language: string; label: string; url: string }) => [s.language, s.label, path.posix.basename(s.url)])).toEqual([
      ['en', 'English', 's0.vtt'],
      ['und', 'Track 2', 's1.vtt'],
    ]);
    const ass = parseCues((await text(server.baseUrl + video.subtitles[1].url)).body);
    expect(ass.map((c) => c.text)).toEqual(['This is the first subtitle.']);
    const master = (await text(server.baseUrl + video.playback.hls)).body;
    expect(master.match(/TYPE=SUBTITLES/g)).toHaveLength(2);
    expect((await text(server.baseUrl + video.playback.dash)).body.match(/contentType="text"/g)).toHaveLength(2);

    const { skipped } = await storedSubtitles(video.id);
    expect(skipped.map((s) => [s.sourceIndex, s.codec, s.language])).toEqual([
      [3, 'hdmv_pgs_subtitle', 'en'],
      [5, 'dvd_subtitle', 'en'],
    ]);
  });
});

describe('bitmap subtitles', () => {
  it('a video whose only subtitles are PGS becomes ready with none, the reason recorded', async () => {
    const pgsOnly = await remux('pgs.mkv', [
      { file: SRT, map: ['v', 'a'] },
      { file: PGS, map: ['s'] },
    ]);
    const video = await processed(pgsOnly);
    expect(video.status).toBe('ready');
    expect(video.error).toBeNull();
    expect(video.subtitles).toEqual([]);
    expect(video.source).toBeTruthy();

    const { tracks, skipped } = await storedSubtitles(video.id);
    expect(tracks).toEqual([]);
    expect(skipped).toEqual([
      { sourceIndex: 2, codec: 'hdmv_pgs_subtitle', language: 'en', reason: expect.stringMatching(/images of text.*OCR/) },
    ]);
    const master = (await text(server.baseUrl + video.playback.hls)).body;
    expect(master).not.toContain('SUBTITLES');
    expect((await text(server.baseUrl + video.playback.dash)).body).not.toContain('contentType="text"');
    const prefix = (await server.ctx.videos.get(video.id))!.output_prefix!;
    expect((await server.ctx.store.list(prefix)).filter((key) => key.includes('/subtitles/'))).toEqual([]);
  });

  it('a video without subtitle streams lists none', async () => {
    const video = await processed(corpusFile('h264_aac_1080x720_1s__androidx_sample.mp4'));
    expect(video.subtitles).toEqual([]);
    expect(await storedSubtitles(video.id)).toEqual({ tracks: [], skipped: [] });
  });
});

describe('makeSubtitles', () => {
  it('converts the tracks it can when one fails, and records why the other failed', async () => {
    const media = await probeMedia({ ffprobePath: 'ffprobe', filePath: SRT, timeoutMs: 30_000 });
    const [track] = planSubtitles(media.subtitles).tracks;
    // A stream the file does not have: ffmpeg refuses the whole run, then each track is tried alone.
    const missing = { ...track!, sourceIndex: 9, vtt: 'subtitles/s1.vtt', playlist: 'subtitles/s1.m3u8' };
    const workDir = mkdtempSync(path.join(dir, 'stage-'));
    const result = await makeSubtitles({
      ffmpegPath: 'ffmpeg', inputPath: SRT, media, tracks: [track!, missing], offsetSec: 0, endSec: 5, workDir, timeoutMs: 30_000,
    });
    expect(result.made.map((m) => [m.track.vtt, m.cueCount])).toEqual([['subtitles/s0.vtt', 1]]);
    expect(readFileSync(result.made[0]!.localPath, 'utf8')).toContain(`00:00:00.000 --> 00:00:01.234\n${SRT_CUE.text}\n`);
    expect(result.failed).toEqual([
      { sourceIndex: 9, codec: 'subrip', language: 'en', reason: expect.stringMatching(/^ffmpeg could not convert it to WebVTT: \S/) },
    ]);
  });
});
