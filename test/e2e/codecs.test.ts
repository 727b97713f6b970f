/**
 * Extra codec ladders in a real browser: Debian Chromium (MSE decodes H.264, VP9 and AV1) accepts
 * every codec string the master playlist declares, and hls.js plays each codec's variants — AV1 by
 * its own preference when nothing is asked, VP9 and H.264 when asked — with decoded frames counted
 * (a `loadeddata` event proves nothing).
 */
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, followEvents, startTestServer, type TestServer } from '../helpers/app-server.js';
import { launchBrowser } from '../helpers/browser.js';
import { generatedClip } from '../helpers/media.js';

const hlsScript = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');

let server: TestServer;
let browser: Browser;
let master: string;

beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: 2 });
  const { openAsBlob } = await import('node:fs');
  const form = new FormData();
  form.append('extraCodecs', 'av1,vp9');
  form.append('file', await openAsBlob(generatedClip({ seconds: 6, width: 640, height: 360, fps: 25 })), 'clip.mp4');
  const upload = await (await fetch(`${server.baseUrl}/api/videos`, { method: 'POST', body: form, headers: authHeaders })).json();
  const events = await followEvents(server.baseUrl, upload.id, 150_000);
  expect(events.at(-1)?.event).toBe('ready');
  master = server.baseUrl + events.at(-1)!.data.playback.hls;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function page(): Promise<Page> {
  const p = await browser.newPage();
  // Any page of the server: same origin as the stream, no app code.
  await p.goto(`${server.baseUrl}/health`);
  await p.addScriptTag({ path: hlsScript });
  return p;
}

interface Played {
  codec: string;
  levelCodecs: string[];
  frames: number;
  currentTime: number;
}

/** Plays the master with hls.js until 2 s in; which level's codec played, and frames decoded. */
async function play(p: Page, videoCodec: string | null): Promise<Played> {
  return p.evaluate(
    async ({ url, videoCodec }) => {
      const Hls = (window as any).Hls;
      const video = document.createElement('video');
      video.muted = true;
      document.body.append(video);
      const hls = new Hls(videoCodec ? { videoPreference: { videoCodec } } : {});
      const failed = new Promise<never>((_, reject) =>
        hls.on(Hls.Events.ERROR, (_e: unknown, data: any) => data.fatal && reject(new Error(`${data.type}: ${data.details}`))),
      );
      hls.loadSource(url);
      hls.attachMedia(video);
      await Promise.race([new Promise((resolve) => hls.on(Hls.Events.MANIFEST_PARSED, resolve)), failed]);
      await video.play();
      await Promise.race([
        new Promise<void>((resolve) => {
          const check = () => (video.currentTime > 2 ? resolve() : setTimeout(check, 100));
          check();
        }),
        failed,
      ]);
      const played = {
        codec: hls.levels[hls.currentLevel].videoCodec as string,
        levelCodecs: hls.levels.map((l: any) => l.videoCodec as string),
        frames: video.getVideoPlaybackQuality().totalVideoFrames,
        currentTime: video.currentTime,
      };
      hls.destroy();
      return played;
    },
    { url: master, videoCodec },
  );
}

describe('extra codec ladders in Chromium', () => {
  it('supports every codec string the master playlist declares', async () => {
    const text = await (await fetch(master)).text();
    const codecs = [...new Set([...text.matchAll(/CODECS="([^"]+)"/g)].flatMap((m) => m[1]!.split(',')))];
    expect([...new Set(codecs.map((c) => c.split('.')[0]))].sort()).toEqual(['av01', 'avc1', 'mp4a', 'vp09']);
    const p = await page();
    const supported = await p.evaluate(
      (list) => list.map((c) => [c, MediaSource.isTypeSupported(`${c.startsWith('mp4a') ? 'audio' : 'video'}/mp4; codecs="${c}"`)]),
      codecs,
    );
    expect(Object.fromEntries(supported)).toEqual(Object.fromEntries(codecs.map((c) => [c, true])));
    await p.close();
  });

  it('plays the AV1 variants by default (hls.js prefers AV1 where it decodes), and VP9 or H.264 when asked', async () => {
    const p = await page();
    for (const [asked, family] of [[null, 'av01'], ['vp09', 'vp09'], ['avc1', 'avc1']] as const) {
      const played = await play(p, asked);
      expect(played.levelCodecs.filter((c) => c.startsWith(family)).length).toBe(2);
      expect(played.codec.startsWith(family), `asked ${asked ?? 'nothing'}, played ${played.codec}`).toBe(true);
      expect(played.frames).toBeGreaterThan(25);
    }
    await p.close();
  });
});
