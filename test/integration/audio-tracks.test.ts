/**
 * Audio through the whole product path: every track of a multi-track source becomes an AAC stereo
 * rendition with its language and name (HLS AUDIO group, DASH AdaptationSets, video JSON), the
 * default one first; 5.1 is downmixed with the standard matrix (centre to both sides, LFE left out);
 * every track is normalised to the loudness target (measured on the output: within 1 LU), its
 * pass-one measurement kept in the record; the analysis shows as its own stage in the events.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureLoudness, STREAMING_TARGET } from '../../src/media/loudness.js';
import { fetchRendition } from '../helpers/av-sync.js';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { corpusFile } from '../helpers/media.js';

const run = promisify(execFile);

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: 2 });
  dir = mkdtempSync(path.join(tmpdir(), 'sf-audio-'));
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function processed(file: string): Promise<{ video: any; events: Array<{ event: string; data: any }> }> {
  const upload = await uploadFile(server.baseUrl, file);
  expect(upload.status).toBe(201);
  const events = await followEvents(server.baseUrl, upload.body.id, 100_000);
  const video = events.at(-1)!.data;
  expect(video.status, video.error).toBe('ready');
  return { video, events };
}

/** A published audio rendition as one local fragmented MP4. */
async function renditionFile(video: any, name: string): Promise<string> {
  const base = server.baseUrl + video.playback.hls.replace(/master\.m3u8$/, '');
  const rendition = await fetchRendition(`${base}${name}/index.m3u8`);
  const file = path.join(dir, `${video.id}-${name}.mp4`);
  writeFileSync(file, Buffer.concat([rendition.init, ...rendition.segments]));
  return file;
}

async function probeAudio(file: string): Promise<{ codec_name: string; profile: string; channels: number; sample_rate: string }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=codec_name,profile,channels,sample_rate', '-of', 'json', file]);
  return JSON.parse(stdout).streams[0];
}

/** RMS level (dBFS) of the file's audio after the given filter. */
async function rmsDb(file: string, filter: string): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-af', `${filter},astats=measure_perchannel=none`, '-f', 'null', '-']);
  const value = /Overall[\s\S]*?RMS level dB: (-?[\d.]+|-inf)/.exec(stderr)?.[1];
  return value === undefined || value === '-inf' ? -Infinity : Number(value);
}

describe('a multi-language video with 5.1, stereo and mono tracks', () => {
  let video: any;
  let events: Array<{ event: string; data: any }>;

  beforeAll(async () => {
    const file = path.join(dir, 'three-tracks.mkv');
    // 5.1 (English): a quiet 440 Hz tone in the centre and a 50 Hz tone in the LFE, nothing else;
    // stereo (French): loud pink noise; mono (no language): a 1 kHz tone.
    await run('ffmpeg', [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=6',
      '-f', 'lavfi', '-i', "aevalsrc='0|0|0.05*sin(2*PI*440*t)|0.3*sin(2*PI*50*t)|0|0':c=5.1(side):s=48000:d=6",
      '-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.5:duration=6:sample_rate=48000',
      '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=44100:duration=6',
      '-map', '0:v', '-map', '1:a', '-map', '2:a', '-map', '3:a',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a:0', 'ac3', '-c:a:1', 'aac', '-ac:a:1', '2', '-c:a:2', 'aac',
      '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fre', '-metadata:s:a:2', 'language=und',
      '-disposition:a:0', 'default', '-disposition:a:1', '0', '-disposition:a:2', '0',
      file,
    ]);
    ({ video, events } = await processed(file));
  });

  it('lists every track in the video JSON, default first, with its measurement and the target', () => {
    expect(video.audioTracks).toEqual([
      { language: 'en', label: 'English', default: true, channels: 2, sourceChannels: 6, loudness: expect.objectContaining({ targetLufs: -14 }) },
      { language: 'fr', label: 'French', default: false, channels: 2, sourceChannels: 2, loudness: expect.objectContaining({ targetLufs: -14 }) },
      { language: 'und', label: 'Audio 3', default: false, channels: 2, sourceChannels: 1, loudness: expect.objectContaining({ targetLufs: -14 }) },
    ]);
    for (const track of video.audioTracks) {
      expect(track.loudness.measuredLufs).toEqual(expect.any(Number));
      expect(track.loudness.truePeakDbtp).toEqual(expect.any(Number));
      expect(track.loudness.rangeLu).toEqual(expect.any(Number));
    }
    // The quiet centre tone measured far below the target, the noise well above the tone.
    expect(video.audioTracks[0].loudness.measuredLufs).toBeLessThan(-25);
    expect(video.audioTracks[1].loudness.measuredLufs).toBeGreaterThan(video.audioTracks[0].loudness.measuredLufs + 5);
  });

  it('reports the analysis as its own stage, between probing and transcoding', () => {
    const stages = events.filter((e) => e.event === 'progress').map((e) => e.data.stage);
    expect(stages).toContain('analysing');
    expect(stages.indexOf('analysing')).toBeGreaterThan(stages.indexOf('probing'));
    expect(stages.lastIndexOf('analysing')).toBeLessThan(stages.indexOf('transcoding'));
  });

  it('lists the tracks as one HLS audio group: the default DEFAULT=YES, the others DEFAULT=NO,AUTOSELECT=YES', async () => {
    const master = await (await fetch(server.baseUrl + video.playback.hls)).text();
    expect(master.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:TYPE=AUDIO'))).toEqual([
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a0/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="French",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="a1/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio 3",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="a2/index.m3u8"',
    ]);
    for (const variant of master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'))) {
      expect(variant).toMatch(/CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);
      expect(variant).toContain('AUDIO="audio"');
    }
  });

  it('gives each track a DASH AdaptationSet with its language and name, Role main for the default', async () => {
    const mpd = await (await fetch(server.baseUrl + video.playback.dash)).text();
    const sets = [...mpd.matchAll(/<AdaptationSet [^>]*contentType="audio"[^>]*>([\s\S]*?)<\/AdaptationSet>/g)].map((m) => m[0]);
    expect(sets).toHaveLength(3);
    expect(sets[0]).toMatch(/lang="en">\s*<Label>English<\/Label>\s*<Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"\/>/);
    expect(sets[1]).toMatch(/lang="fr">\s*<Label>French<\/Label>\s*<Role schemeIdUri="urn:mpeg:dash:role:2011" value="alternate"\/>/);
    expect(sets[2]).not.toContain('lang=');
    expect(sets[2]).toContain('<Label>Audio 3</Label>');
    for (const set of sets) expect(set).toContain('codecs="mp4a.40.2"');
  });

  it('delivers every track as AAC-LC stereo at the loudness target (±1 LU, true peak ≤ target + 0.5)', async () => {
    for (const [i, rate] of [[0, '48000'], [1, '48000'], [2, '44100']] as const) {
      const file = await renditionFile(video, `a${i}`);
      expect(await probeAudio(file)).toMatchObject({ codec_name: 'aac', profile: 'LC', channels: 2, sample_rate: rate });
      const measured = await measureLoudness({ ffmpegPath: 'ffmpeg', inputPath: file, demuxer: 'mov', streamIndex: 0, target: STREAMING_TARGET, timeoutMs: 60_000 });
      expect(Math.abs(measured.integratedLufs - STREAMING_TARGET.integratedLufs), `a${i}: ${measured.integratedLufs} LUFS`).toBeLessThanOrEqual(1);
      expect(measured.truePeakDbtp).toBeLessThanOrEqual(STREAMING_TARGET.truePeakDbtp + 0.5);
    }
  });

  it('downmixes 5.1 with the standard matrix: the centre equally in both sides, the LFE left out', async () => {
    const file = await renditionFile(video, 'a0');
    const centre = await rmsDb(file, 'pan=mono|c0=c0');
    expect(centre).toBeGreaterThan(-30);
    // Left minus right: the centre cancels (AAC coding noise only).
    expect(await rmsDb(file, 'pan=mono|c0=c0-c1')).toBeLessThan(centre - 30);
    // Below 100 Hz (the LFE's 50 Hz tone) there is next to nothing.
    expect(await rmsDb(file, 'pan=mono|c0=c0,lowpass=f=100,lowpass=f=100,lowpass=f=100')).toBeLessThan(centre - 30);
  });
});

describe('the corpus file with two audio tracks and no video', () => {
  it('publishes both (AC-3 5.1 → AAC stereo, and the AAC stereo track), the default one as the variant', async () => {
    const { video } = await processed(corpusFile('multiaudio_ac3_51_plus_aac_stereo__androidx_sample_ac3_aac.mp4'));
    expect(video.audioOnly).toBe(true);
    expect(video.audioTracks.map((t: any) => [t.label, t.language, t.default, t.sourceChannels])).toEqual([
      ['Audio 1', 'und', true, 6],
      ['Audio 2', 'und', false, 2],
    ]);
    const master = await (await fetch(server.baseUrl + video.playback.hls)).text();
    expect(master).toContain('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio 1",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2"\n');
    expect(master).toContain('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio 2",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="a1/index.m3u8"');
    expect(master).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="mp4a\.40\.2",AUDIO="audio"\na0\/index\.m3u8\n/);
    const mpd = await (await fetch(server.baseUrl + video.playback.dash)).text();
    expect(mpd.match(/contentType="audio"/g)).toHaveLength(2);
    expect(mpd.match(/value="main"/g)).toHaveLength(1);
    for (const name of ['a0', 'a1']) {
      const file = await renditionFile(video, name);
      expect(await probeAudio(file)).toMatchObject({ codec_name: 'aac', channels: 2 });
      const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
      expect(Number(stdout.trim())).toBeGreaterThan(5);
    }
  });
});
