/**
 * The admin webhooks page in Chromium: an admin adds an endpoint (its secret shown once), sees the
 * delivery of an event with its status and attempts, and sends it again; every control is labelled.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { launchBrowser, newWatchedPage, screenshotPath, signIn } from '../helpers/browser.js';

let server: TestServer;
let browser: Browser;
let receiver: http.Server;
let receiverUrl: string;
const received: string[] = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(String(req.headers['idempotency-key']));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  server = await startTestServer({ webhookAllowPrivate: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

it('adds an endpoint, lists its delivery and redelivers it', async () => {
  const { page, errors } = await newWatchedPage(browser, { viewport: { width: 1366, height: 860 } });
  await signIn(page, server.baseUrl);
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.waitForURL('**/admin/webhooks');
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();

  await page.getByLabel('URL').fill(receiverUrl);
  await page.getByLabel('Description').fill('e2e receiver');
  await page.getByRole('checkbox', { name: 'video.uploaded' }).check();
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  expect(await page.getByLabel(/Signing secret/).inputValue()).toMatch(/^whsec_/);
  await page.getByRole('cell', { name: receiverUrl, exact: true }).waitFor();

  const notVideo = path.join(server.dataDir, 'notes.mp4');
  writeFileSync(notVideo, 'not a video\n');
  expect((await uploadFile(server.baseUrl, notVideo)).status).toBe(201);
  await expect.poll(() => received.length, { timeout: 30_000 }).toBe(1);

  await page.getByRole('button', { name: 'Refresh' }).click();
  const row = page.getByRole('row').filter({ hasText: 'video.uploaded' });
  await row.getByText('delivered').waitFor();
  await page.screenshot({ path: screenshotPath('webhooks-admin.png'), fullPage: true });

  await row.getByRole('button', { name: `Redeliver video.uploaded to ${receiverUrl}` }).click();
  await expect.poll(() => received.length, { timeout: 30_000 }).toBe(2);
  expect(received[1]).toBe(received[0]);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await row.locator('summary', { hasText: '2' }).waitFor();

  const unlabelled = await page.evaluate(() => {
    const missing: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, a[href], input:not([type=hidden]), select, textarea, summary')) {
      const labelled = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.textContent?.trim() || (el as HTMLInputElement).labels?.length;
      if (!labelled) missing.push(el.outerHTML.slice(0, 120));
    }
    return missing;
  });
  expect(unlabelled).toEqual([]);
  expect(errors).toEqual([]);
});
