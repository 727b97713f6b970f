/**
 * Real browser playback: Debian Chromium driven by playwright-core opens the watch page, presses the
 * player's Play button and plays the HLS stream with hls.js and the DASH stream with dash.js. A test
 * passes only when the playhead advances and the browser reports decoded video frames — a
 * `loadeddata` event proves nothing. The engine's quality levels are read from the player's Quality
 * menu (the player exposes nothing global). (Playwright gives every context a fresh profile.)
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { launchBrowser, newWatchedPage, screenshotPath } from '../helpers/browser.js';
import { generatedClip } from '../helpers/media.js';

let server: TestServer;
let browser: Browser;
let videoId: string;

beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: 2 });
  const upload = await uploadFile(server.baseUrl, generatedClip({ seconds: 8, width: 1280, height: 720, fps: 30 }), 'E2E clip');
  videoId = upload.body.id;
  const events = await followEvents(server.baseUrl, videoId);
  expect(events.at(-1)?.event).toBe('ready');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openWatchPage(baseUrl: string, id: string, query = ''): Promise<{ page: Page; errors: string[]; player: Locator }> {
  const { page, errors } = await newWatchedPage(browser, { viewport: { width: 1280, height: 800 } });
  await page.goto(`${baseUrl}/watch/${id}${query}`);
  const player = page.getByRole('region', { name: 'Video player' });
  await player.waitFor({ timeout: 30_000 });
  return { page, errors, player };
}

/** Presses Play, waits until the playhead passes `seconds`, and returns the decoded-frame count then. */
async function playUntil(player: Locator, seconds: number): Promise<{ currentTime: number; frames: number }> {
  await player.getByRole('button', { name: 'Play', exact: true }).click();
  const page = player.page();
  await page.waitForFunction((s) => document.querySelector('video')!.currentTime > s, seconds, { timeout: 30_000, polling: 100 });
  return page.evaluate(() => {
    const v = document.querySelector('video')!;
    return { currentTime: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames };
  });
}

/** The rungs the engine offers, as the Quality menu lists them (without Auto). */
async function qualityLevels(player: Locator): Promise<string[]> {
  await player.getByRole('button', { name: 'Quality' }).click();
  const menu = player.getByRole('menu', { name: 'Quality' });
  const names = await menu.getByRole('menuitemradio').evaluateAll((items) => items.map((item) => item.querySelector('.sf-menu-label')!.textContent!));
  await player.page().keyboard.press('Escape');
  await menu.waitFor({ state: 'detached' });
  return names.filter((name) => !name.startsWith('Auto'));
}

describe('browser playback', () => {
  it('plays the HLS stream with hls.js', async () => {
    const { page, errors, player } = await openWatchPage(server.baseUrl, videoId);
    const state = await playUntil(player, 2);
    expect(state.frames).toBeGreaterThan(30);
    expect(await qualityLevels(player)).toEqual(['720p', '480p', '360p', '240p']);
    await page.screenshot({ path: screenshotPath('watch-hls.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('plays the DASH stream with dash.js', async () => {
    const { page, errors, player } = await openWatchPage(server.baseUrl, videoId, '?player=dash');
    // dash.js is its own chunk, fetched only for ?player=dash.
    const scripts = () => page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.js')));
    const state = await playUntil(player, 2);
    expect(state.frames).toBeGreaterThan(30);
    expect((await scripts()).some((name) => /\/assets\/dash\.all\.min-[\w-]+\.js$/.test(name))).toBe(true);
    expect(await qualityLevels(player)).toEqual(['720p', '480p', '360p', '240p']);
    await page.screenshot({ path: screenshotPath('watch-dash.png') });
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
