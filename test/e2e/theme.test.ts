/**
 * Look and feel of the public page: it follows the system's light or dark scheme, and a
 * 360 px wide phone shows it without scrolling sideways. Screenshots of each combination
 * land in test-artifacts/screenshots/ (theme-<width>-<scheme>.png) for a person to look at.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe.each(['light', 'dark'] as const)('the public page in the %s scheme', (colorScheme) => {
  it.each(['desktop', 'mobile'] as const)('fits a %s screen and uses the scheme’s colours', async (size) => {
    const context = await browser.newContext({ viewport: VIEWPORTS[size], colorScheme });
    const page = await context.newPage();
    const problems = watchPage(page);
    for (const path of ['/', `/incidents/${app.scenario.incidents.active.id}`]) {
      await page.goto(app.server.url + path);
      const looks = await page.evaluate(() => {
        const body = getComputedStyle(document.body);
        const luminance = (rgb: string) => {
          const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number);
          return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        };
        return {
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          background: luminance(body.backgroundColor),
          text: luminance(body.color),
        };
      });
      expect(looks.overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
      // Light: dark text on a light background; dark: the other way round.
      if (colorScheme === 'light') expect(looks.background).toBeGreaterThan(0.9);
      else expect(looks.background).toBeLessThan(0.15);
      expect(Math.abs(looks.background - looks.text)).toBeGreaterThan(0.6);
    }
    await page.goto(app.server.url + '/');
    await screenshot(page, `theme-${VIEWPORTS[size].width}-${colorScheme}`);
    expect(problems).toEqual([]);
    await context.close();
  });
});
