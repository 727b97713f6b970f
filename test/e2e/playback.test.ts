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
import { clickControl, launchBrowser, newWatchedPage, screenshotPath } from '../helpers/browser.js';
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

/**
 * Presses Play, waits until the playhead passes `seconds`, and returns the decoded-frame count then.
 * The bound is generous: on the 2-core CI machine, with transcodes running beside it, dash.js took up
 * to 30 s to start (4.7–10.8 s on an idle machine).
 */
async function playUntil(player: Locator, seconds: number, timeoutMs = 60_000): Promise<{ currentTime: number; frames: number }> {
  await player.getByRole('button', { name: 'Play', exact: true }).click();
  const page = player.page();
  await page.waitForFunction((s) => document.querySelector('video')!.currentTime > s, seconds, { timeout: timeoutMs, polling: 100 });
  return page.evaluate(() => {
    const v = document.querySelector('video')!;
    return { currentTime: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames };
  });
}

/** The rungs the engine offers, as the Quality menu lists them (without Auto). */
async function qualityLevels(player: Locator): Promise<string[]> {
  await clickControl(player.getByRole('button', { name: 'Quality' }));
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
  it('plays the HLS stream from the start while the video is still processing, and on once it is ready', async () => {
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
      const { page, errors, player } = await openWatchPage(slow.baseUrl, id);
      const state = await playUntil(player, 1);
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

      // Played like VOD from the start, on a timeline as long as the source, not the part made so far.
      const seek = player.getByRole('slider', { name: 'Seek' });
      expect(await seek.getAttribute('aria-valuemax')).toBe(String(Math.floor(video.durationSec)));
      expect(await seek.getAttribute('aria-valuetext')).toMatch(/^0:0\d of 1:00$/);
      await player.getByText('Processing', { exact: true }).waitFor();
      await page.screenshot({ path: screenshotPath('watch-while-processing.png') });

      // End jumps to the last part made so far (a second short of it), not past it, and playback
      // carries on from there.
      const videoElement = await page.$('video');
      const madeAtPress = await page.evaluate(() => {
        const v = document.querySelector('video')!;
        v.addEventListener('emptied', () => (v.dataset.emptied = 'yes'));
        v.addEventListener('seeked', () => (v.dataset.seekedAt = String(v.currentTime)), { once: true });
        return v.seekable.end(v.seekable.length - 1);
      });
      await player.focus();
      await page.keyboard.press('End');
      const edge = await page.waitForFunction(
        () => {
          const v = document.querySelector('video')!;
          const seekedAt = Number(v.dataset.seekedAt);
          return !Number.isNaN(seekedAt) && !v.paused && v.currentTime > seekedAt + 0.5 && seekedAt;
        },
        undefined,
        { timeout: 60_000, polling: 100 },
      );
      const edgeSec = Number(await edge.jsonValue());
      expect(edgeSec).toBeGreaterThan(madeAtPress - 1.5);
      expect(edgeSec).toBeLessThan(video.durationSec - 2);
      expect(await page.evaluate(() => document.querySelector('video')!.seekable.end(0))).toBeGreaterThan(edgeSec);

      // dash.js plays the dynamic MPD from the start too, and follows it past the segments it listed
      // when the page opened (Play is pressed while dash.js still loads, as an eager viewer does).
      const listedMpd = await (await fetch(slow.baseUrl + video.playback.dash)).text();
      const videoTimeline = /<SegmentTemplate timescale="(\d+)"[^>]*><SegmentTimeline>(.*?)<\/SegmentTimeline>/.exec(listedMpd)!;
      const listedSec = [...videoTimeline[2]!.matchAll(/d="(\d+)"(?: r="(\d+)")?/g)]
        .reduce((sum, m) => sum + Number(m[1]) * (Number(m[2] ?? 0) + 1), 0) / Number(videoTimeline[1]);
      const dash = await openWatchPage(slow.baseUrl, id, '?player=dash');
      const dashState = await playUntil(dash.player, listedSec + 2, 90_000);
      expect(dashState.frames).toBeGreaterThan(30);
      expect(await dash.player.getByRole('slider', { name: 'Seek' }).getAttribute('aria-valuemax')).toBe(String(Math.floor(video.durationSec)));
      await dash.page.screenshot({ path: screenshotPath('watch-dash-while-processing.png') });
      expect(dash.errors).toEqual([]);
      await dash.page.close();

      // The page swaps in the ready video: the same <video>, never reset, playing on.
      await player.getByText('Processing', { exact: true }).waitFor({ state: 'detached', timeout: 240_000 });
      const readySec = await page.evaluate(() => document.querySelector('video')!.currentTime);
      expect(readySec).toBeGreaterThanOrEqual(edgeSec);
      await page.waitForFunction(
        (from) => {
          const v = document.querySelector('video')!;
          return v.ended || v.currentTime > from + 1;
        },
        readySec,
        { timeout: 30_000, polling: 100 },
      );
      expect(await page.evaluate((v) => v === document.querySelector('video') && !v!.dataset.emptied, videoElement)).toBe(true);
      expect((await (await fetch(`${slow.baseUrl}/api/videos/${id}`)).json()).status).toBe('ready');
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await slow.close();
    }
  }, 360_000);
});

describe('a chunked video (docs/chunked-encoding.md)', () => {
  it('plays across a chunk boundary with hls.js: frames keep coming, no stall', async () => {
    // 20 s in 8 s chunks of 2 s segments: boundaries at 8 s and 16 s.
    const chunked = await startTestServer({ segmentSeconds: 2, chunkedMinDurationSec: 10, chunkSeconds: 8, workerConcurrency: 2, stageConcurrency: 0 });
    try {
      const upload = await uploadFile(chunked.baseUrl, generatedClip({ seconds: 20, width: 640, height: 360, fps: 30 }), 'chunked');
      const id = upload.body.id as string;
      expect((await followEvents(chunked.baseUrl, id)).at(-1)?.event).toBe('ready');
      const chunks = await chunked.ctx.database.db.selectFrom('video_chunks').select('idx').where('video_id', '=', id).where('kind', '=', 'video').execute();
      expect(chunks.length).toBe(3);
      const { page, errors, player } = await openWatchPage(chunked.baseUrl, id);
      await playUntil(player, 0.5);
      // Seek a second before the first boundary, then sample the playhead and the decoded frames until
      // two seconds past it: both must grow at every sample.
      const samples = await page.evaluate(() => new Promise<Array<[number, number]>>((resolve, reject) => {
        const v = document.querySelector('video')!;
        const taken: Array<[number, number]> = [];
        v.addEventListener('seeked', () => {
          const timer = setInterval(() => {
            taken.push([v.currentTime, v.getVideoPlaybackQuality().totalVideoFrames]);
            if (v.currentTime > 10) {
              clearInterval(timer);
              resolve(taken);
            }
          }, 500);
          setTimeout(() => {
            clearInterval(timer);
            reject(new Error(`no progress past the boundary: ${JSON.stringify(taken)}`));
          }, 45_000);
        }, { once: true });
        v.currentTime = 7;
      }));
      expect(samples[0]![0]).toBeLessThan(8);
      samples.slice(1).forEach(([time, frames], k) => {
        expect(time, `playhead at sample ${k + 1}`).toBeGreaterThan(samples[k]![0]);
        expect(frames, `decoded frames at sample ${k + 1}`).toBeGreaterThan(samples[k]![1]);
      });
      await page.screenshot({ path: screenshotPath('watch-chunked-boundary.png') });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await chunked.close();
    }
  }, 180_000);
});
