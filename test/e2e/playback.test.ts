/**
 * Real browser playback: Debian Chromium driven by playwright-core opens the watch page and plays
 * the HLS stream with hls.js and the DASH stream with dash.js. A test passes only when the playhead
 * advances and the browser reports decoded video frames — a `loadeddata` event proves nothing.
 * (Playwright gives every launch a fresh temporary profile.)
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { generatedClip, repoRoot } from '../helpers/media.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = path.join(repoRoot, 'test-artifacts', 'e2e');

let server: TestServer;
let browser: Browser;
let videoId: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  mkdirSync(artifacts, { recursive: true });
  server = await startTestServer({ segmentSeconds: 2 });
  const upload = await uploadFile(server.baseUrl, generatedClip({ seconds: 8, width: 1280, height: 720, fps: 30 }), 'E2E clip');
  videoId = upload.body.id;
  const events = await followEvents(server.baseUrl, videoId);
  expect(events.at(-1)?.event).toBe('ready');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openWatchPage(query: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${server.baseUrl}/watch/${videoId}${query}`);
  return { page, errors };
}

/** Waits until the playhead passes `seconds` and returns the decoded-frame count then. */
async function playUntil(page: Page, seconds: number): Promise<{ currentTime: number; frames: number }> {
  await page.waitForFunction(
    (s) => {
      const v = document.querySelector('video')!;
      if (v.paused && v.readyState >= 2) void v.play().catch(() => {});
      return v.currentTime > s;
    },
    seconds,
    { timeout: 30_000, polling: 100 },
  );
  return page.evaluate(() => {
    const v = document.querySelector('video')!;
    return { currentTime: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames };
  });
}

describe('browser playback', () => {
  it('plays the HLS stream with hls.js', async () => {
    const { page, errors } = await openWatchPage('');
    const state = await playUntil(page, 2);
    expect(state.frames).toBeGreaterThan(30);
    expect(await page.evaluate(() => (window as any).hls.levels.length)).toBeGreaterThan(1);
    await page.screenshot({ path: path.join(artifacts, 'watch-hls.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('plays the DASH stream with dash.js', async () => {
    const { page, errors } = await openWatchPage('?player=dash');
    const state = await playUntil(page, 2);
    expect(state.frames).toBeGreaterThan(30);
    const reps = await page.evaluate(() => (window as any).dashPlayer.getRepresentationsByType('video').length);
    expect(reps).toBeGreaterThan(1);
    await page.screenshot({ path: path.join(artifacts, 'watch-dash.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('watching while it transcodes', () => {
  it('plays the HLS stream from the start while the video is still processing', async () => {
    // A slower preset and a longer clip keep the encode running well past the first segments.
    const slow = await startTestServer({ segmentSeconds: 2, x264Preset: 'medium' });
    try {
      const clip = generatedClip({ seconds: 60, width: 1280, height: 720, fps: 30 });
      const upload = await uploadFile(slow.baseUrl, clip, 'still processing');
      const id = upload.body.id as string;
      // Wait for the `playable` event, then play.
      const res = await fetch(`${slow.baseUrl}/api/videos/${id}/events`);
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('event: playable')) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended before playable');
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
      await page.goto(`${slow.baseUrl}/watch/${id}`);
      const state = await playUntil(page, 1);
      const video = await (await fetch(`${slow.baseUrl}/api/videos/${id}`)).json();
      expect(video.status).toBe('processing');
      expect(video.timeToPlayableMs).toBeGreaterThan(0);
      expect(state.frames).toBeGreaterThan(10);
      const master = await (await fetch(slow.baseUrl + video.playback.hls)).text();
      const media = await (await fetch(slow.baseUrl + video.playback.hls.replace('master.m3u8', 'v0/index.m3u8'))).text();
      expect(master).toContain('#EXT-X-STREAM-INF');
      expect(media).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
      expect(media).not.toContain('#EXT-X-ENDLIST');
      // DASH viewers get a live-style (dynamic) MPD over the segments published so far.
      const mpd = await (await fetch(slow.baseUrl + video.playback.dash)).text();
      expect(mpd).toContain('type="dynamic"');
      expect(mpd).toContain('<SegmentTimeline><S t=');
      await page.screenshot({ path: path.join(artifacts, 'watch-while-processing.png') });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await slow.close();
    }
  }, 180_000);
});
