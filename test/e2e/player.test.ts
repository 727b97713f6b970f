/**
 * The video player (web/src/player/) in Debian Chromium, driven only through what a viewer has:
 * its buttons, menus, seek bar and keys. Assertions read the <video> element (playhead, decoded
 * frames, picture height, rate) because that is what the viewer sees; nothing in the player is
 * reached through globals. Every wait is on a condition, never a sleep. Screenshots are kept under
 * test-artifacts/e2e/player-*.png; any console error or uncaught exception fails the test.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { clickControl, launchBrowser, newWatchedPage, screenshotPath } from '../helpers/browser.js';
import { corpusFile, generatedClip, subtitledClip } from '../helpers/media.js';

// Long enough that the playhead cannot reach the end while a loaded CI machine runs the first
// test's menus and screenshots: a 12 s clip once ended before the test's "plays on" check, which
// then timed out. 10 fps keeps the encode as cheap as a short clip's.
const CLIP_SECONDS = 60;
/** The player's clock format: m:ss. */
const clock = (sec: number) => `${Math.floor(sec / 60)}:${String(Math.floor(sec % 60)).padStart(2, '0')}`;
/** A 1.2 s Matroska file with an English SRT track: one cue, "This is the first subtitle.", 0.067–1.095 s. */
const SUBTITLED = 'mkv_h264_ac3_srt__androidx_sample_with_srt.mkv';
/** A subtitle track's WebVTT file, as both manifests list it (not the storyboard's index). */
const CAPTION_FILE = /\/subtitles\/[^/]+\.vtt(\?|$)/;
/** Two subtitle tracks whose one cue (the whole clip) differs: which track the overlay reads shows. */
const TWO_SUBTITLE_TRACKS = [
  { language: 'eng', label: 'English', text: 'English: the first track.' },
  { language: 'fra', label: 'French', text: 'Français : la deuxième piste.' },
];

let server: TestServer;
let browser: Browser;
let video: { id: string; durationSec: number; renditions: Array<{ name: string; width: number; height: number }> };
let subtitledId: string;
let twoSubtitlesId: string;

async function uploadReady(file: string, title: string): Promise<string> {
  const upload = await uploadFile(server.baseUrl, file, title);
  const events = await followEvents(server.baseUrl, upload.body.id);
  expect(events.at(-1)?.event).toBe('ready');
  return upload.body.id;
}

beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: 2 });
  browser = await launchBrowser();
  const clip = generatedClip({ seconds: CLIP_SECONDS, width: 854, height: 480, fps: 10 });
  const twoSubtitles = subtitledClip({ seconds: 10, width: 320, height: 240, fps: 10, subtitles: TWO_SUBTITLE_TRACKS });
  const [clipId, subsId, twoSubsId] = await Promise.all([
    uploadReady(clip, 'Player clip'),
    uploadReady(corpusFile(SUBTITLED), 'Subtitled'),
    uploadReady(twoSubtitles, 'Two subtitle tracks'),
  ]);
  subtitledId = subsId;
  twoSubtitlesId = twoSubsId;
  video = await (await fetch(`${server.baseUrl}/api/videos/${clipId}`)).json();
  // 480p source: 480p, 360p and 240p rungs.
  expect(video.renditions.length).toBeGreaterThan(2);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface PlayerPage {
  page: Page;
  errors: string[];
  player: Locator;
}

async function openPlayer(
  options: {
    id?: string;
    query?: string;
    viewport?: { width: number; height: number };
    /** Manifests (HLS and DASH) are answered only once this settles: a stream that is slow to load. */
    holdManifests?: Promise<void>;
    /** Caption files (the WebVTT of a subtitle track) are answered only once this settles. */
    holdCaptions?: Promise<void>;
  } = {},
): Promise<PlayerPage> {
  const { page, errors } = await newWatchedPage(browser, { viewport: options.viewport ?? { width: 1280, height: 800 } });
  const { holdManifests, holdCaptions } = options;
  if (holdManifests) {
    await page.route(/\.(m3u8|mpd)(\?|$)/, async (route) => {
      await holdManifests;
      await route.continue();
    });
  }
  if (holdCaptions) {
    await page.route(CAPTION_FILE, async (route) => {
      await holdCaptions;
      await route.continue();
    });
  }
  await page.goto(`${server.baseUrl}/watch/${options.id ?? video.id}${options.query ?? ''}`);
  const player = page.getByRole('region', { name: 'Video player' });
  await player.waitFor();
  return { page, errors, player };
}

interface VideoState {
  currentTime: number;
  duration: number;
  paused: boolean;
  ended: boolean;
  muted: boolean;
  playbackRate: number;
  videoHeight: number;
  frames: number;
}

function videoState(page: Page): Promise<VideoState> {
  return page.evaluate(() => {
    const v = document.querySelector('video')!;
    return {
      currentTime: v.currentTime,
      duration: v.duration,
      paused: v.paused,
      ended: v.ended,
      muted: v.muted,
      playbackRate: v.playbackRate,
      videoHeight: v.videoHeight,
      frames: v.getVideoPlaybackQuality().totalVideoFrames,
    };
  });
}

/** Presses the bar's Play button and waits until the playhead passes `seconds` with frames decoded. */
async function playPast(player: Locator, seconds: number): Promise<void> {
  await player.getByRole('button', { name: 'Play', exact: true }).click();
  await explainTimeout(player.page(), `playing past ${seconds} s`, player.page().waitForFunction(
    (s) => {
      const v = document.querySelector('video')!;
      return !v.paused && v.currentTime > s && v.getVideoPlaybackQuality().totalVideoFrames > 0;
    },
    seconds,
    { timeout: 30_000, polling: 100 },
  ));
}

/** What to wait for on the <video> element; every given field must hold. */
interface VideoCondition {
  playing?: boolean;
  muted?: boolean;
  playbackRate?: number;
  videoHeight?: number;
  /** The playhead is past this time. */
  after?: number;
  /** A seek has settled within 0.3 s of this time. */
  near?: number;
  framesDecoded?: boolean;
}

/**
 * What the <video> element holds when a wait gives up: the playhead, the buffered ranges and the
 * element's own states, so a timeout says whether playback stalled, ended or never loaded.
 */
async function describeVideo(page: Page): Promise<string> {
  const state = await page.evaluate(() => {
    const v = document.querySelector('video');
    if (!v) return { video: 'absent' };
    const buffered = Array.from({ length: v.buffered.length }, (_, i) => `${v.buffered.start(i).toFixed(2)}-${v.buffered.end(i).toFixed(2)}`);
    return {
      currentTime: v.currentTime, duration: v.duration, paused: v.paused, ended: v.ended, seeking: v.seeking,
      readyState: v.readyState, networkState: v.networkState, buffered, videoHeight: v.videoHeight,
      playbackRate: v.playbackRate, frames: v.getVideoPlaybackQuality().totalVideoFrames,
      dropped: v.getVideoPlaybackQuality().droppedVideoFrames, error: v.error?.message ?? null,
      textTracks: Array.from(v.textTracks).map((t) => `${t.label || t.language}:${t.mode}:${t.cues?.length ?? '-'} cues:${t.activeCues?.length ?? '-'} active`),
    };
  }).catch((err: Error) => ({ unreadable: err.message }));
  return JSON.stringify(state);
}

/** Adds the video element's state to a wait that timed out. */
async function explainTimeout<T>(page: Page, what: string, wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message.split('\n')[0]}; video: ${await describeVideo(page)}`);
  }
}

/** CSP-safe (the page allows no eval): the condition travels as data, the check is a function. */
function waitForVideo(page: Page, condition: VideoCondition, timeout = 15_000): Promise<unknown> {
  return explainTimeout(page, `waiting for ${JSON.stringify(condition)}`, page.waitForFunction(
    (c) => {
      const v = document.querySelector('video')!;
      return (c.playing === undefined || c.playing === !v.paused)
        && (c.muted === undefined || c.muted === v.muted)
        && (c.playbackRate === undefined || c.playbackRate === v.playbackRate)
        && (c.videoHeight === undefined || c.videoHeight === v.videoHeight)
        && (c.after === undefined || v.currentTime > c.after)
        && (c.near === undefined || (!v.seeking && Math.abs(v.currentTime - c.near) < 0.3))
        && (c.framesDecoded === undefined || v.getVideoPlaybackQuality().totalVideoFrames > 0);
    },
    condition,
    { timeout, polling: 100 },
  ));
}

describe('the player', () => {
  it('plays, and switches quality and speed through its menus', async () => {
    const { page, errors, player } = await openPlayer();
    await page.screenshot({ path: screenshotPath('player-poster.png'), animations: 'disabled' });

    await playPast(player, 1);
    const first = await videoState(page);
    await waitForVideo(page, { after: first.currentTime + 0.5 });
    const later = await videoState(page);
    expect(later.frames).toBeGreaterThan(first.frames);
    await player.getByRole('button', { name: 'Pause', exact: true }).waitFor();

    // Quality: one item per rung, named like the ladder, plus "Auto (<playing rung>)".
    const quality = player.getByRole('button', { name: 'Quality' });
    await clickControl(quality);
    const menu = player.getByRole('menu', { name: 'Quality' });
    await menu.waitFor();
    const items = menu.getByRole('menuitemradio');
    const names = (await items.evaluateAll((els) => els.map((el) => el.querySelector('.sf-menu-label')!.textContent)));
    expect(names.slice(0, -1)).toEqual(video.renditions.map((r) => r.name));
    expect(names.at(-1)).toMatch(/^Auto \(\d+p\)$/);
    expect(await items.last().getAttribute('aria-checked')).toBe('true');
    await page.screenshot({ path: screenshotPath('player-quality-menu.png'), animations: 'disabled' });

    // ↑ from Auto reaches the lowest rung, and focus stays there while the video plays on (the
    // player re-renders as it plays).
    const lowest = video.renditions.at(-1)!;
    await page.keyboard.press('ArrowUp');
    const focusedAt = (await videoState(page)).currentTime;
    await waitForVideo(page, { after: focusedAt + 0.5 });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(lowest.name);
    await menu.getByRole('menuitemradio', { name: lowest.name, exact: true }).click();
    await menu.waitFor({ state: 'detached' });
    await waitForVideo(page, { videoHeight: lowest.height });
    expect(await page.getByRole('status').filter({ hasText: 'Quality' }).textContent()).toBe(`Quality ${lowest.name}`);

    await clickControl(quality);
    expect(await menu.getByRole('menuitemradio', { name: lowest.name, exact: true }).getAttribute('aria-checked')).toBe('true');
    await menu.getByRole('menuitemradio', { name: /^Auto/ }).click();
    await clickControl(quality);
    expect(await menu.getByRole('menuitemradio', { name: /^Auto/ }).getAttribute('aria-checked')).toBe('true');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });

    // Speed.
    await clickControl(player.getByRole('button', { name: 'Playback speed' }));
    await player.getByRole('menu', { name: 'Playback speed' }).getByRole('menuitemradio', { name: '1.5×', exact: true }).click();
    await waitForVideo(page, { playbackRate: 1.5 });
    await page.screenshot({ path: screenshotPath('player-playing.png'), animations: 'disabled' });

    // A clip without text tracks offers no captions button.
    expect(await player.getByRole('button', { name: 'Captions' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('answers the keyboard shortcuts while it has focus, and its menus work from the keyboard', async () => {
    const { page, errors, player } = await openPlayer();
    await playPast(player, 0.5);
    await player.focus();

    await page.keyboard.press('k');
    await waitForVideo(page, { playing: false });
    const before = await videoState(page);
    await page.keyboard.press('l');
    const expected = Math.min(before.currentTime + 10, before.duration);
    await waitForVideo(page, { near: expected });
    await page.keyboard.press('m');
    await waitForVideo(page, { muted: true });
    await player.getByRole('button', { name: 'Unmute' }).waitFor();

    await page.keyboard.press('5');
    await waitForVideo(page, { near: CLIP_SECONDS / 2 });
    await page.keyboard.press('ArrowLeft');
    await waitForVideo(page, { near: CLIP_SECONDS / 2 - 5 });
    await page.keyboard.press('Home');
    await waitForVideo(page, { near: 0 });
    await page.keyboard.press('Shift+Period');
    await waitForVideo(page, { playbackRate: 1.25 });
    await page.keyboard.press('Shift+Comma');
    await waitForVideo(page, { playbackRate: 1 });

    // `?` lists the shortcuts; Escape closes the list and focus returns to the player.
    await page.keyboard.press('Shift+Slash');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    await page.screenshot({ path: screenshotPath('player-shortcuts.png'), animations: 'disabled' });
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    expect(await player.evaluate((el) => el === document.activeElement)).toBe(true);

    // The quality menu by keyboard: Enter opens it on the checked item, keys stay inside it
    // (K does not toggle playback), ↑ moves, Enter picks and focus goes back to the button.
    const quality = player.getByRole('button', { name: 'Quality' });
    await quality.focus();
    await page.keyboard.press('Enter');
    const menu = player.getByRole('menu', { name: 'Quality' });
    await menu.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/^Auto/);
    await page.keyboard.press('k');
    expect((await videoState(page)).paused).toBe(true);
    await page.keyboard.press('ArrowUp');
    const lowest = video.renditions.at(-1)!;
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(lowest.name);
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'detached' });
    expect(await quality.evaluate((el) => el === document.activeElement)).toBe(true);
    // Escape closes without choosing.
    await page.keyboard.press('ArrowDown');
    await menu.waitFor();
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });

    // Back on the player, K plays again, at the locked rung.
    await player.focus();
    await page.keyboard.press('k');
    await waitForVideo(page, { playing: true, after: 0.5, videoHeight: lowest.height });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the storyboard thumbnail and time while hovering and keyboard-seeking on the seek bar', async () => {
    const { page, errors, player } = await openPlayer();
    const seek = player.getByRole('slider', { name: 'Seek' });
    await page.waitForFunction(() => document.querySelector('[role="slider"]')?.getAttribute('aria-valuemax') !== '0');
    expect(await seek.getAttribute('aria-valuemin')).toBe('0');
    expect(await seek.getAttribute('aria-valuemax')).toBe(String(CLIP_SECONDS));
    expect(await seek.getAttribute('aria-valuetext')).toBe(`0:00 of ${clock(CLIP_SECONDS)}`);

    // Just past the middle, so rounding cannot make the middle read a second early.
    const box = (await seek.boundingBox())!;
    const middle = { x: box.x + box.width * 0.52, y: box.y + box.height / 2 };
    await page.mouse.move(middle.x, middle.y);
    const thumb = player.locator('.sf-preview-thumb');
    await thumb.waitFor();
    expect(await player.locator('.sf-preview-time').textContent()).toBe(clock(CLIP_SECONDS * 0.52));
    const sprite = await thumb.evaluate((el) => {
      const style = getComputedStyle(el);
      return { url: /url\("?([^")]+)"?\)/.exec(style.backgroundImage)?.[1] ?? '', width: (el as HTMLElement).offsetWidth, height: (el as HTMLElement).offsetHeight };
    });
    expect(sprite.url).toContain('/storyboard/sprite_');
    expect(sprite.width).toBeGreaterThan(0);
    expect(sprite.height).toBeGreaterThan(0);
    expect((await fetch(new URL(sprite.url, server.baseUrl))).status).toBe(200);
    // The tile is decoded and drawn, not a broken image: the browser loaded the sprite (its resource
    // timing entry appears once the load has finished, which may be after the tile is shown).
    await page.waitForFunction((url) => performance.getEntriesByName(url).length > 0, sprite.url, { polling: 100 });
    await page.screenshot({ path: screenshotPath('player-scrub-preview.png'), animations: 'disabled' });

    // Clicking there seeks there.
    await page.mouse.click(middle.x, middle.y);
    await waitForVideo(page, { near: CLIP_SECONDS * 0.52 });
    expect(await seek.getAttribute('aria-valuetext')).toBe(`${clock(CLIP_SECONDS * 0.52)} of ${clock(CLIP_SECONDS)}`);

    // Keyboard seeking on the slider shows the preview of where it lands.
    await page.mouse.move(middle.x, box.y - 200);
    await thumb.waitFor({ state: 'detached' });
    await seek.focus();
    await page.keyboard.press('ArrowRight');
    await thumb.waitFor();
    expect(await player.locator('.sf-preview-time').textContent()).toBe(clock(CLIP_SECONDS * 0.52 + 5));
    await waitForVideo(page, { near: CLIP_SECONDS * 0.52 + 5 });
    expect(errors).toEqual([]);
    await page.close();
  });

  for (const [engine, query] of [['hls.js', ''], ['dash.js', '?player=dash']] as const) {
    // A viewer who presses a key while the page still loads gets that seek. dash.js used to undo it
    // (it positions the element at its own start time while it sets the stream up): on a loaded
    // machine the captions test below pressed 5 that early, and the cue at 0.07–1.1 s never showed.
    it(`keeps a seek made before the stream has loaded (${engine})`, async () => {
      let release!: () => void;
      const holdManifests = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { page, errors, player } = await openPlayer({ query, holdManifests });
      await player.focus();
      await page.keyboard.press('5');
      expect((await videoState(page)).duration).toBeNaN();
      release();
      await waitForVideo(page, { near: CLIP_SECONDS / 2 }, 30_000);
      expect(errors).toEqual([]);
      await page.close();
    });

    it(`offers the subtitles of a video that has them and draws them over the picture (${engine})`, async () => {
      const { page, errors, player } = await openPlayer({ id: subtitledId, query });
      const captions = player.getByRole('button', { name: 'Captions' });
      await captions.click();
      const menu = player.getByRole('menu', { name: 'Captions' });
      const items = menu.getByRole('menuitemradio');
      expect(await items.evaluateAll((els) => els.map((el) => el.querySelector('.sf-menu-label')!.textContent))).toEqual(['Off', 'English']);
      expect(await menu.getByRole('menuitemradio', { name: 'Off' }).getAttribute('aria-checked')).toBe('true');
      await menu.getByRole('menuitemradio', { name: 'English' }).click();
      await menu.waitFor({ state: 'detached' });

      // Halfway through the clip the cue is on screen, drawn by the player (not the browser).
      await player.focus();
      await page.keyboard.press('5');
      await waitForVideo(page, { near: 0.6 }, 30_000);
      const overlay = player.locator('.sf-captions');
      await explainTimeout(page, 'the caption cue', overlay.waitFor({ timeout: 30_000 }));
      expect(await overlay.textContent()).toBe('This is the first subtitle.');
      await page.screenshot({ path: screenshotPath(`player-captions${query ? '-dash' : ''}.png`), animations: 'disabled' });

      // C turns them off and on again.
      await page.keyboard.press('c');
      await overlay.waitFor({ state: 'detached' });
      await captions.click();
      expect(await menu.getByRole('menuitemradio', { name: 'Off' }).getAttribute('aria-checked')).toBe('true');
      await page.keyboard.press('Escape');
      await player.focus();
      await page.keyboard.press('c');
      await explainTimeout(page, 'the caption cue, turned on again', overlay.waitFor());
      expect(await overlay.textContent()).toBe('This is the first subtitle.');
      expect(errors).toEqual([]);
      await page.close();
    });

    // dash.js (5.2.1) drops a caption file that arrives after a seek that began while it loaded: the
    // track kept 0 cues (the playhead at 0.54 s, the track 'hidden'). The test above met it whenever
    // the file was slower than the press of 5 after picking English, as it often was in the
    // scale-out run (the file comes from S3 there); here the file is held back until the seek is over.
    it(`shows the captions picked while their file still loads, across a seek (${engine})`, async () => {
      let release!: () => void;
      const holdCaptions = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { page, errors, player } = await openPlayer({ id: subtitledId, query, holdCaptions });
      const captionsRequested = page.waitForRequest(CAPTION_FILE);
      await player.getByRole('button', { name: 'Captions' }).click();
      await player.getByRole('menu', { name: 'Captions' }).getByRole('menuitemradio', { name: 'English' }).click();
      await explainTimeout(page, 'the caption file request', captionsRequested);
      await player.focus();
      await page.keyboard.press('5');
      await waitForVideo(page, { near: 0.6 }, 30_000);
      release();
      const overlay = player.locator('.sf-captions');
      await explainTimeout(page, 'the caption cue', overlay.waitFor({ timeout: 30_000 }));
      expect(await overlay.textContent()).toBe('This is the first subtitle.');
      expect(errors).toEqual([]);
      await page.close();
    });

    // The overlay reads the track the viewer picked. The dash.js engine drew the first element track
    // not 'disabled', but dash.js leaves them all 'hidden': French showed English's (empty) track.
    it(`draws the captions of the track picked among two, and switches between them (${engine})`, async () => {
      const [first, second] = TWO_SUBTITLE_TRACKS;
      const { page, errors, player } = await openPlayer({ id: twoSubtitlesId, query });
      const captions = player.getByRole('button', { name: 'Captions' });
      const menu = player.getByRole('menu', { name: 'Captions' });
      const overlay = player.locator('.sf-captions');
      const pick = async (label: string) => {
        await captions.click();
        await menu.getByRole('menuitemradio', { name: label }).click();
        await menu.waitFor({ state: 'detached' });
      };
      const expectCaption = async (text: string, what: string) => {
        await explainTimeout(page, what, page.waitForFunction(
          (t) => document.querySelector('.sf-captions')?.textContent === t,
          text,
          { timeout: 30_000, polling: 100 },
        ));
      };
      await captions.waitFor();
      await captions.click();
      const labels = await menu.getByRole('menuitemradio').evaluateAll((els) => els.map((el) => el.querySelector('.sf-menu-label')!.textContent));
      expect(labels).toEqual(['Off', first!.label, second!.label]);
      await page.keyboard.press('Escape');
      await player.focus();
      await page.keyboard.press('5');
      await waitForVideo(page, { near: 5 }, 30_000);

      await pick(second!.label);
      await expectCaption(second!.text, `the ${second!.label} cue`);
      await pick(first!.label);
      await expectCaption(first!.text, `the ${first!.label} cue`);
      await pick(second!.label);
      await expectCaption(second!.text, `the ${second!.label} cue, picked again`);
      await pick('Off');
      await overlay.waitFor({ state: 'detached' });
      expect(errors).toEqual([]);
      await page.close();
    });

    // dash.js hands the element's track the cues near the playhead on a seek or a `timeupdate`
    // only, and a paused element sends no `timeupdate`: captions picked while paused stayed blank.
    it(`shows the captions picked while paused without playing on (${engine})`, async () => {
      const { page, errors, player } = await openPlayer({ id: subtitledId, query });
      const captions = player.getByRole('button', { name: 'Captions' });
      await captions.waitFor();
      await player.focus();
      await page.keyboard.press('5');
      await waitForVideo(page, { near: 0.6 }, 30_000);
      await captions.click();
      await player.getByRole('menu', { name: 'Captions' }).getByRole('menuitemradio', { name: 'English' }).click();
      const overlay = player.locator('.sf-captions');
      await explainTimeout(page, 'the caption cue', overlay.waitFor({ timeout: 30_000 }));
      expect(await overlay.textContent()).toBe('This is the first subtitle.');
      expect((await videoState(page)).paused).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  it('goes full screen and back', async () => {
    const { page, errors, player } = await openPlayer();
    await player.getByRole('button', { name: 'Full screen', exact: true }).click();
    await page.waitForFunction(() => document.fullscreenElement?.getAttribute('aria-label') === 'Video player');
    const exit = player.getByRole('button', { name: 'Exit full screen' });
    await exit.waitFor();
    await page.screenshot({ path: screenshotPath('player-fullscreen.png'), animations: 'disabled' });
    await exit.click();
    await page.waitForFunction(() => document.fullscreenElement === null);
    await player.getByRole('button', { name: 'Full screen', exact: true }).waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits a phone screen: every control inside the player, no volume slider', async () => {
    const { page, errors, player } = await openPlayer({ viewport: { width: 360, height: 740 } });
    await playPast(player, 0.5);
    await clickControl(player.getByRole('button', { name: 'Pause', exact: true }));
    const frame = (await player.boundingBox())!;
    expect(frame.width).toBeLessThanOrEqual(360);
    for (const button of await player.getByRole('button').all()) {
      const b = (await button.boundingBox())!;
      expect(b.x).toBeGreaterThanOrEqual(frame.x);
      expect(b.x + b.width).toBeLessThanOrEqual(frame.x + frame.width + 0.5);
      expect(b.y + b.height).toBeLessThanOrEqual(frame.y + frame.height + 0.5);
    }
    expect(await player.getByRole('slider', { name: 'Volume' }).isVisible()).toBe(false);
    await player.getByRole('button', { name: 'Quality' }).click();
    const menu = (await player.getByRole('menu', { name: 'Quality' }).boundingBox())!;
    expect(menu.y).toBeGreaterThanOrEqual(frame.y);
    expect(menu.x).toBeGreaterThanOrEqual(frame.x);
    await page.screenshot({ path: screenshotPath('player-phone.png'), animations: 'disabled' });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a clear message when the stream cannot be loaded, and recovers on "Try again"', async () => {
    const { page, errors } = await newWatchedPage(browser, { viewport: { width: 1280, height: 800 } });
    await page.route('**/master.m3u8', (route) => route.abort('failed'));
    await page.goto(`${server.baseUrl}/watch/${video.id}`);
    const player = page.getByRole('region', { name: 'Video player' });
    const alert = player.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toContain('The video could not be loaded');
    await page.screenshot({ path: screenshotPath('player-error.png'), animations: 'disabled' });

    await page.unroute('**/master.m3u8');
    await alert.getByRole('button', { name: 'Try again' }).click();
    await alert.waitFor({ state: 'detached' });
    await waitForVideo(page, { playing: true, after: 0.5, framesDecoded: true }, 30_000);
    // The only console errors are the browser's own reports of the requests we aborted.
    expect(errors.filter((e) => !e.includes('net::ERR_FAILED'))).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
    await page.close();
  });
});
