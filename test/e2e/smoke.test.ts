/**
 * The browser harness itself: chromium starts from Debian's binary, renders the public page
 * the way a customer sees it, and the screenshot lands in test-artifacts.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium, screenshot, VIEWPORTS, watchPage } from '../helpers/chromium.ts';
import { startScenarioServer } from '../helpers/server.ts';

let app: Awaited<ReturnType<typeof startScenarioServer>>;
let browser: Browser;

beforeAll(async () => {
  [app, browser] = await Promise.all([startScenarioServer(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

test('a customer opens the status page in chromium', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
  const page = await context.newPage();
  const problems = watchPage(page);
  const res = await page.goto(app.server.url + '/');
  expect(res?.status()).toBe(200);
  await expect(page.title()).resolves.toMatch(/status/i);
  await expect(page.getByRole('heading', { name: 'Components' }).isVisible()).resolves.toBe(true);
  const file = await screenshot(page, 'smoke-home-desktop');
  expect(existsSync(file)).toBe(true);
  expect(problems).toEqual([]);
  await context.close();
});
