/**
 * Debian Chromium driven by playwright-core, as every browser test launches it, and pages that
 * record console errors and uncaught exceptions so a test can fail on any of them.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContextOptions, chromium, type Locator, type Page } from 'playwright-core';
import { TEST_ADMIN } from './app-server.js';
import { repoRoot } from './media.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots the browser tests keep (gitignored; CI keeps them as artifacts). */
export const screenshotDir = path.join(repoRoot, 'test-artifacts', 'e2e');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  mkdirSync(screenshotDir, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and page errors, in order. */
  errors: string[];
}

/** A page in a fresh context (own storage) that records every console error and uncaught exception. */
export async function newWatchedPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => msg.type() === 'error' && errors.push(`console: ${msg.text()}`));
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('close', () => void context.close().catch(() => {}));
  return { page, errors };
}

export function screenshotPath(name: string): string {
  return path.join(screenshotDir, name);
}

/** Signs in through the app's sign-in page (as the test server's admin unless told otherwise), as a person would. */
export async function signIn(page: Page, baseUrl: string, account: { username: string; password: string } = TEST_ADMIN): Promise<void> {
  await page.goto(`${baseUrl}/signin`);
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * Clicks a player control-bar button the way a viewer does: the pointer moves onto it first. While
 * the video plays the bar hides after 2.5 s without input, and a loaded machine easily spends that
 * long between two steps; the pointer move is what brings it back.
 */
export async function clickControl(control: Locator): Promise<void> {
  await control.hover({ force: true });
  await control.click();
}
