/**
 * The badge and the embed as another site uses them: a page on a second origin shows
 * `<img src=…/badge.svg>` and loads `…/embed.js`, in chromium.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium, screenshot, VIEWPORTS, watchPage } from '../helpers/chromium.ts';
import { startScenarioServer } from '../helpers/server.ts';

let app: Awaited<ReturnType<typeof startScenarioServer>>;
let browser: Browser;
let site: http.Server;
let siteUrl: string;

beforeAll(async () => {
  [app, browser] = await Promise.all([startScenarioServer(), launchChromium()]);
  const vigie = app.server.url;
  // Another origin: same host, another port.
  site = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><title>Acme docs</title></head><body>
<h1>Acme docs</h1><p><img id="badge" src="${vigie}/badge.svg" alt="Acme status"></p>
<script src="${vigie}/embed.js" async></script></body></html>`);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  siteUrl = `http://localhost:${(site.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => site?.close(r));
  await app?.stop();
});

test('a page on another origin shows the badge and, during an incident, the banner', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(siteUrl);
  await page.waitForFunction(() => (document.getElementById('badge') as HTMLImageElement | null)?.complete);
  expect(await page.$eval('#badge', (img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);

  const banner = page.locator('[data-vigie-embed]').getByRole('status');
  await banner.waitFor({ timeout: 10_000 });
  await expect(banner.textContent()).resolves.toContain('Elevated API error rates');
  const href = await banner.getByRole('link', { name: 'Details' }).getAttribute('href');
  expect(href).toBe(`${app.server.url}/incidents/${app.scenario.incidents.active.id}`);
  await screenshot(page, 'embed-other-origin-desktop');

  // Dismissed, it stays gone for this tab (the scenario's only open incident).
  await banner.getByRole('button', { name: 'Dismiss this status message' }).click();
  await expect(page.locator('[data-vigie-embed]').count()).resolves.toBe(0);
  await page.reload();
  await page.waitForTimeout(1_500);
  await expect(page.locator('[data-vigie-embed]').count()).resolves.toBe(0);
  expect(problems).toEqual([]);
  await context.close();
});
