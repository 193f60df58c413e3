/**
 * Look and feel of the public page: it follows the system's light or dark scheme, a 360 px
 * wide phone shows it without scrolling sideways, and the admin's branding (a logo, a pale
 * accent colour) shows with readable links in both schemes. Screenshots of each combination
 * land in test-artifacts/screenshots/ (theme-<width>-<scheme>.png) for a person to look at.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, VIEWPORTS, watchPage } from '../helpers/chromium.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { updateSettings } from '../../src/server/settings/service.ts';
import { startScenarioServer } from '../helpers/server.ts';

let app: Awaited<ReturnType<typeof startScenarioServer>>;
let browser: Browser;

beforeAll(async () => {
  // A pale yellow accent: too light to read on white, so the light theme must use a darker shade.
  const branded = startScenarioServer(
    {},
    {
      prepare: async (db) => {
        await updateSettings(db, SYSTEM_ACTOR, {
          logoUrl: '/favicon.svg',
          accentColor: '#ffe066',
          homeUrl: 'https://acme.example',
        });
      },
    },
  );
  [app, browser] = await Promise.all([branded, launchChromium()]);
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
        // WCAG contrast of the footer's links on the page background.
        const relative = (rgb: string) => {
          const [r, g, b] = (rgb.match(/\d+/g) ?? []).map((c) => {
            const s = Number(c) / 255;
            return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const link = relative(getComputedStyle(document.querySelector('.site-footer a')!).color);
        const bg = relative(body.backgroundColor);
        const logo = document.querySelector<HTMLImageElement>('.brand-logo');
        return {
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          background: luminance(body.backgroundColor),
          text: luminance(body.color),
          linkContrast: (Math.max(link, bg) + 0.05) / (Math.min(link, bg) + 0.05),
          logo: logo ? { alt: logo.alt, loaded: logo.complete && logo.naturalWidth > 0 } : null,
        };
      });
      expect(looks.overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
      // Light: dark text on a light background; dark: the other way round.
      if (colorScheme === 'light') expect(looks.background).toBeGreaterThan(0.9);
      else expect(looks.background).toBeLessThan(0.15);
      expect(Math.abs(looks.background - looks.text)).toBeGreaterThan(0.6);
      expect(looks.linkContrast).toBeGreaterThanOrEqual(4.5);
      expect(looks.logo).toEqual({ alt: 'Vigie', loaded: true });
    }
    await page.goto(app.server.url + '/');
    await screenshot(page, `theme-${VIEWPORTS[size].width}-${colorScheme}`);
    expect(problems).toEqual([]);
    await context.close();
  });
});
