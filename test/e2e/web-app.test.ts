/**
 * The web app as a creator and a viewer use it, in Debian Chromium: upload a real corpus file and a
 * non-video through the upload page, see the first become ready and the second rejected with the
 * server's reason, watch it (play, switch quality, scrub with a storyboard preview), manage it in
 * the library (hover preview, edit, search, filter, delete), pause/resume/cancel an upload on a
 * throttled link, and the pages at phone width. Every page is kept as a screenshot; any console
 * error or uncaught exception fails the test.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { clickControl, launchBrowser, newWatchedPage, screenshotPath, signIn } from '../helpers/browser.js';
import { corpusFile, generatedClip } from '../helpers/media.js';

const CORPUS_NAME = 'avi_mpeg4asp_mp3_960x400__androidx_sample.avi';

let server: TestServer;
let browser: Browser;
let notVideo: string;

beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: 2 });
  browser = await launchBrowser();
  notVideo = path.join(mkdtempSync(path.join(tmpdir(), 'sf-e2e-')), 'holiday.mp4');
  writeFileSync(notVideo, 'these are my holiday notes, not a video\n');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function api(pathname: string): Promise<{ status: number; body: any }> {
  const res = await fetch(server.baseUrl + pathname, { headers: authHeaders });
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() };
}

/** Plays from the start until the playhead passes `seconds`, restarting the short clip if it ends. */
async function playPast(page: Page, seconds: number): Promise<void> {
  await page.waitForFunction(
    (s) => {
      const v = document.querySelector('video')!;
      if (v.ended) {
        v.currentTime = 0;
        void v.play().catch(() => {});
      }
      return v.currentTime > s && v.getVideoPlaybackQuality().totalVideoFrames > 0;
    },
    seconds,
    { timeout: 30_000, polling: 100 },
  );
}

/** Opens the library and waits for the video's card with its poster drawn. */
async function libraryCardWithPoster(page: Page, id: string, timeoutMs?: number) {
  await page.goto(`${server.baseUrl}/`);
  const card = page.locator(`article[data-video-id="${id}"]`);
  await card.waitFor();
  await page.waitForFunction((videoId) => {
    const img = document.querySelector<HTMLImageElement>(`article[data-video-id="${videoId}"] img`);
    return img !== null && img.complete && img.naturalWidth > 0;
  }, id, timeoutMs === undefined ? {} : { timeout: timeoutMs });
  return card;
}

/** The id of the upload in progress, from the URL tus-js-client keeps in localStorage to resume it. */
async function currentUploadId(page: Page): Promise<string> {
  const uploadUrl = await page.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i)!;
      if (key.startsWith('tus::')) return (JSON.parse(localStorage.getItem(key)!) as { uploadUrl: string }).uploadUrl;
    }
    return null;
  });
  if (!uploadUrl) throw new Error('no upload in progress in localStorage');
  return new URL(uploadUrl, server.baseUrl).pathname.split('/').pop()!;
}

/** Elements that can take focus but have no accessible name (should be none). */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const missing: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, a[href], input:not([type=hidden]), select, textarea, [role=slider]')) {
      if (el.closest('[hidden], dialog:not([open])')) continue;
      const labelled = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.textContent?.trim()
        || (el as HTMLInputElement).labels?.length || el.getAttribute('title');
      if (!labelled) missing.push(el.outerHTML.slice(0, 120));
    }
    return missing;
  });
}

async function hasNoHorizontalScroll(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

describe('the web app', () => {
  let videoId: string;
  let failedId: string;

  it('uploads a corpus file and a non-video through the upload page', async () => {
    const { page, errors } = await newWatchedPage(browser, { viewport: { width: 1366, height: 860 } });
    await signIn(page, server.baseUrl);
    await page.goto(`${server.baseUrl}/`);
    await page.getByRole('heading', { name: 'No videos yet' }).waitFor();
    await page.screenshot({ path: screenshotPath('library-empty.png') });

    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    await page.waitForURL('**/upload');
    await page.getByRole('heading', { name: 'Upload videos' }).waitFor();
    await page.screenshot({ path: screenshotPath('upload-empty.png') });

    await page.locator('input[type=file]').setInputFiles([corpusFile(CORPUS_NAME), notVideo]);
    const row = page.locator('li.upload-row', { hasText: CORPUS_NAME });
    const badRow = page.locator('li.upload-row', { hasText: 'holiday.mp4' });
    await row.waitFor();
    await page.screenshot({ path: screenshotPath('upload-progress.png') });

    await page.locator(`li.upload-row[data-state="ready"]`, { hasText: CORPUS_NAME }).waitFor({ timeout: 90_000 });
    await page.locator(`li.upload-row[data-state="failed"]`, { hasText: 'holiday.mp4' }).waitFor({ timeout: 30_000 });
    // The server's own reason, not a generic failure.
    expect(await badRow.locator('.upload-status').textContent()).toContain('not a recognised video or audio file');
    await page.screenshot({ path: screenshotPath('upload-done.png') });

    const href = await row.getByRole('link', { name: 'Watch' }).getAttribute('href');
    videoId = href!.split('/').pop()!;
    const { body: list } = await api('/api/videos?status=failed');
    failedId = list.videos[0].id;
    expect(list.videos[0].error).toContain('not a recognised video or audio file');
    expect((await api(`/api/videos/${videoId}`)).body.status).toBe('ready');
    expect(await unlabelledControls(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('plays the video, switches quality and shows storyboard previews when scrubbing', async () => {
    const { body: video } = await api(`/api/videos/${videoId}`);
    expect(video.renditions.length).toBeGreaterThan(1);
    const { page, errors } = await newWatchedPage(browser, { viewport: { width: 1366, height: 860 } });
    await page.goto(`${server.baseUrl}/`);
    await page.locator(`article[data-video-id="${videoId}"] .video-title a`).click();
    await page.waitForURL(`**/watch/${videoId}`);
    await page.getByRole('heading', { name: video.title }).waitFor();

    await page.getByRole('button', { name: 'Play' }).first().click();
    await playPast(page, 1);
    await page.screenshot({ path: screenshotPath('watch-playing.png') });

    // Quality menu: every rung plus Auto; lock the lowest and the decoder gets its size.
    await clickControl(page.getByRole('button', { name: 'Quality' }));
    const items = page.getByRole('menuitemradio');
    const names = await items.allTextContents();
    expect(names.some((n) => n.startsWith('Auto'))).toBe(true);
    expect(names.filter((n) => /^\d+p/.test(n)).length).toBe(video.renditions.length);
    await page.screenshot({ path: screenshotPath('watch-quality-menu.png') });
    const lowest = video.renditions.reduce((a: any, b: any) => (b.height < a.height ? b : a));
    await page.getByRole('menuitemradio', { name: new RegExp(`^${lowest.height}p`) }).click();
    await page.waitForFunction(
      (h) => {
        const v = document.querySelector('video')!;
        if (v.ended || v.paused) {
          if (v.ended) v.currentTime = 0;
          void v.play().catch(() => {});
        }
        return v.videoHeight === h;
      },
      lowest.height,
      { timeout: 30_000, polling: 100 },
    );

    // Scrub: hovering the seek bar shows the storyboard tile for that moment.
    const seek = page.getByRole('slider', { name: 'Seek' });
    const box = (await seek.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    const sprite = await page.waitForFunction(() => {
      for (const el of document.querySelectorAll<HTMLElement>('*')) {
        const bg = getComputedStyle(el).backgroundImage;
        if (bg.includes('sprite_') && el.offsetWidth > 0 && el.offsetHeight > 0) return bg.match(/url\("?([^")]+)"?\)/)![1];
      }
      return null;
    }, undefined, { timeout: 10_000, polling: 100 });
    const spriteUrl = String(await sprite.jsonValue());
    expect((await fetch(new URL(spriteUrl, server.baseUrl))).status).toBe(200);
    await page.screenshot({ path: screenshotPath('watch-scrub-preview.png') });

    expect(await unlabelledControls(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('manages the library: hover preview, edit, search, filter and delete', async () => {
    const { page, errors } = await newWatchedPage(browser, { viewport: { width: 1366, height: 860 } });
    await signIn(page, server.baseUrl);
    const card = await libraryCardWithPoster(page, videoId);
    expect(await card.locator('.duration-badge').textContent()).toBe('0:04');
    await expect.poll(() => page.locator(`article[data-video-id="${failedId}"] .badge`).textContent()).toBe('Failed');

    await card.locator('.video-thumb').hover();
    await card.locator('[data-testid="card-preview"]').waitFor();
    expect(await card.locator('[data-testid="card-preview"]').evaluate((el) => getComputedStyle(el).backgroundImage)).toContain('sprite_');
    await page.screenshot({ path: screenshotPath('library.png') });

    // Edit title, description and tags.
    const title = (await api(`/api/videos/${videoId}`)).body.title as string;
    await page.getByRole('button', { name: `Edit details of ${title}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit details' });
    await dialog.getByLabel('Title').fill('Sunset over the bay');
    await dialog.getByLabel('Description').fill('Shot from the pier, ten minutes before dark.');
    await dialog.getByLabel('Tags').fill('travel, sea , Travel');
    await page.screenshot({ path: screenshotPath('library-edit.png') });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await card.getByRole('link', { name: 'Sunset over the bay', exact: true }).waitFor();
    const edited = (await api(`/api/videos/${videoId}`)).body;
    expect(edited).toMatchObject({ title: 'Sunset over the bay', description: 'Shot from the pier, ten minutes before dark.', tags: ['travel', 'sea'] });

    // Search and filter.
    await page.getByRole('searchbox').fill('sunset');
    await expect.poll(() => page.locator('article.video-card').count()).toBe(1);
    await page.getByRole('searchbox').fill('');
    await page.getByLabel('Status').selectOption('failed');
    await expect.poll(() => page.locator('article.video-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-video-id')))).toEqual([failedId]);
    await page.getByLabel('Status').selectOption('');
    await expect.poll(() => page.locator('article.video-card').count()).toBe(2);

    // Delete the failed one: gone from the grid, the API and storage.
    const failedTitle = (await api(`/api/videos/${failedId}`)).body.title as string;
    await page.getByRole('button', { name: `Delete ${failedTitle}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete video' }).click();
    await expect.poll(() => page.locator('article.video-card').count()).toBe(1);
    expect((await api(`/api/videos/${failedId}`)).status).toBe(404);

    expect(await unlabelledControls(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('pauses, resumes and cancels uploads on a slow link', async () => {
    const { page, errors } = await newWatchedPage(browser, { viewport: { width: 1366, height: 860 } });
    await signIn(page, server.baseUrl);
    await page.goto(`${server.baseUrl}/upload`);
    // Throttle the browser's uploads so there is time to pause (Chromium's own network emulation).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 256 * 1024 });

    const clip = generatedClip({ seconds: 8, width: 1280, height: 720, fps: 30 });
    await page.locator('input[type=file]').setInputFiles(clip);
    const row = page.locator('li.upload-row', { hasText: path.basename(clip) });
    await page.waitForFunction(() => Number(document.querySelector('li.upload-row [role=progressbar]')?.getAttribute('aria-valuenow')) >= 5);
    await row.getByRole('button', { name: /^Pause/ }).click();
    await page.locator('li.upload-row[data-state="paused"]').waitFor();
    expect(await row.locator('.upload-status').textContent()).toMatch(/^Paused at /);
    // The server holds the bytes received so far, and the upload is not complete.
    const uploadId = await currentUploadId(page);
    const paused = (await api(`/api/uploads/${uploadId}`)).body;
    expect(paused.complete).toBe(false);
    expect(paused.offset).toBeLessThan(paused.size);
    await page.screenshot({ path: screenshotPath('upload-paused.png') });

    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await row.getByRole('button', { name: /^Resume/ }).click();
    await page.locator('li.upload-row[data-state="ready"]').waitFor({ timeout: 90_000 });
    const done = (await api(`/api/uploads/${uploadId}`)).body;
    expect(done).toMatchObject({ complete: true, videoId: uploadId });

    // Cancel: the partial upload is terminated on the server.
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 128 * 1024 });
    const small = generatedClip({ seconds: 6, width: 640, height: 360, fps: 25 });
    await page.locator('input[type=file]').setInputFiles(small);
    const smallRow = page.locator('li.upload-row', { hasText: path.basename(small) });
    await page.waitForFunction((name) => {
      const rowEl = [...document.querySelectorAll('li.upload-row')].find((r) => r.textContent!.includes(name));
      return Number(rowEl?.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')) >= 1;
    }, path.basename(small));
    const smallId = await currentUploadId(page);
    await smallRow.getByRole('button', { name: /^Cancel/ }).click();
    await page.locator('li.upload-row[data-state="cancelled"]').waitFor();
    await expect.poll(async () => (await api(`/api/uploads/${smallId}`)).status, { timeout: 15_000 }).toBe(404);
    expect((await api(`/api/videos/${smallId}`)).status).toBe(404);

    expect(errors.filter((e) => !e.includes('net::ERR_ABORTED'))).toEqual([]);
    await page.close();
  });

  it('fits a phone screen and can be used with the keyboard alone', async () => {
    const { page, errors } = await newWatchedPage(browser, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, hasTouch: true });
    for (const [route, name] of [['/', 'library-phone.png'], [`/watch/${videoId}`, 'watch-phone.png'], ['/upload', 'upload-phone.png']] as const) {
      await page.goto(server.baseUrl + route);
      await page.locator('main h1').first().waitFor();
      expect(await hasNoHorizontalScroll(page), `${route} scrolls sideways at 390 px`).toBe(true);
      await page.screenshot({ path: screenshotPath(name) });
    }

    // Keyboard only: skip link, then Tab reaches the video and Enter opens it.
    await page.goto(`${server.baseUrl}/`);
    await page.locator('article.video-card').first().waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate((id) => document.activeElement?.closest('article')?.getAttribute('data-video-id') === id
        && document.activeElement?.tagName === 'A', videoId);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/watch/${videoId}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('plays a private video for its owner signed in to the app, with the cookie alone; others find nothing', async () => {
    const upload = await uploadFile(server.baseUrl, generatedClip({ seconds: 6, width: 480, height: 270, fps: 25 }), 'my private clip', { visibility: 'private' });
    expect(upload.status).toBe(201);
    const id: string = upload.body.id;
    expect((await followEvents(server.baseUrl, id)).at(-1)!.event).toBe('ready');

    const { page, errors } = await newWatchedPage(browser, { viewport: { width: 1280, height: 800 } });
    const streamAnswers: Array<{ url: string; status: number }> = [];
    page.on('response', (res) => {
      if (new URL(res.url()).pathname.startsWith('/stream/')) streamAnswers.push({ url: res.url(), status: res.status() });
    });
    await signIn(page, server.baseUrl);
    // The poster comes from /stream/ with the session cookie as the only credential.
    const card = await libraryCardWithPoster(page, id, 15_000);
    await card.locator('.video-title a').click();
    await page.waitForURL(`**/watch/${id}`);
    await page.getByRole('button', { name: 'Play' }).first().click();
    await playPast(page, 1);
    expect(streamAnswers.length).toBeGreaterThan(3);
    expect(streamAnswers.filter((a) => a.status >= 400)).toEqual([]);
    // Plain URLs: the cookie opened them, no token was minted for the page.
    expect(streamAnswers.every((a) => !new URL(a.url).pathname.startsWith('/stream/t/'))).toBe(true);
    expect(errors).toEqual([]);
    const manifest = streamAnswers.find((a) => a.url.endsWith('.m3u8'))!.url;
    await page.close();

    // Someone else: no card, the watch page's not-found, and the manifest a 404.
    const stranger = await newWatchedPage(browser);
    await stranger.page.goto(`${server.baseUrl}/watch/${id}`);
    await stranger.page.getByRole('heading', { name: 'Video not found' }).waitFor();
    expect((await stranger.page.request.get(manifest)).status()).toBe(404);
    const listed = stranger.page.waitForResponse((res) => new URL(res.url()).pathname === '/api/videos');
    await stranger.page.goto(`${server.baseUrl}/`);
    const list = await (await listed).json();
    expect(list.videos.map((v: { id: string }) => v.id)).not.toContain(id);
    expect(await stranger.page.locator(`article[data-video-id="${id}"]`).count()).toBe(0);
    // The API's 404 for the record shows in the console as a failed resource load, and only that.
    expect(stranger.errors.every((e) => /status of 404/.test(e)), stranger.errors.join('\n')).toBe(true);
    await stranger.page.close();
  });

  it('serves app pages for deep links and JSON 404s to API clients', async () => {
    const page = await fetch(`${server.baseUrl}/watch/${videoId}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const script = await fetch(server.baseUrl + asset);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toContain('immutable');
    const unknown = await fetch(`${server.baseUrl}/no/such/page`, { headers: { Accept: 'text/html' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('<div id="app">');
    const apiMiss = await fetch(`${server.baseUrl}/api/nothing`);
    expect(apiMiss.status).toBe(404);
    expect((await apiMiss.json()).error.code).toBe('not_found');
  });
});
