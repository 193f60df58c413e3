/**
 * A French-speaking reader in another time zone, in chromium: the page comes in French, the
 * times are rewritten to the reader's zone by public/vigie-time.js ("Last updated" as a
 * relative time), and the switcher changes the language without any script of its own.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium, screenshot, VIEWPORTS, watchPage } from '../helpers/chromium.ts';
import { startScenarioServer } from '../helpers/server.ts';

let app: Awaited<ReturnType<typeof startScenarioServer>>;
let browser: Browser;
const ZONE = 'America/Toronto';

beforeAll(async () => {
  [app, browser] = await Promise.all([startScenarioServer(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

test('a French reader in Toronto gets French, local times, and can switch to English', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop, locale: 'fr-FR', timezoneId: ZONE });
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(app.server.url + '/');
  expect(await page.getAttribute('html', 'lang')).toBe('fr');
  await expect(page.getByRole('heading', { name: 'Composants' }).isVisible()).resolves.toBe(true);

  // "Dernière mise à jour" reads as a relative time, with the full date in its tooltip.
  const updated = page.locator('.banner-meta time');
  await expect.poll(() => updated.textContent()).toMatch(/^(il y a|maintenant|à l’instant)/);
  // An incident's start, in the reader's zone and language, as Intl writes it.
  const started = page.locator('.incident-meta time').first();
  const iso = (await started.getAttribute('datetime'))!;
  const expected = new Intl.DateTimeFormat('fr', {
    timeZone: ZONE,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(new Date(iso));
  expect(await started.textContent()).toBe(expected);
  // A maintenance window: both ends in the reader's zone, as one range.
  const window = page.locator('time[data-end]').first();
  const [from, until] = [(await window.getAttribute('datetime'))!, (await window.getAttribute('data-end'))!];
  const hour = (at: string) =>
    new Intl.DateTimeFormat('fr', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
      new Date(at),
    );
  const zoneName = new Intl.DateTimeFormat('fr', { timeZone: ZONE, timeZoneName: 'short' })
    .formatToParts(new Date(from))
    .find((p) => p.type === 'timeZoneName')!.value;
  await expect.poll(() => window.textContent()).toContain(hour(until));
  const windowText = (await window.textContent())!;
  expect(windowText).toContain(hour(from));
  expect(windowText).toContain(zoneName);
  expect(windowText).not.toMatch(/UTC$|CET$|CEST$/);
  expect(await page.locator('[data-local-note]').textContent()).toBe(
    `Heures affichées dans votre fuseau horaire (${ZONE}).`,
  );
  await screenshot(page, 'languages-home-fr');

  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL(app.server.url + '/');
  expect(await page.getAttribute('html', 'lang')).toMatch(/^en/);
  await expect(page.getByRole('heading', { name: 'Components' }).isVisible()).resolves.toBe(true);
  const cookies = await context.cookies();
  expect(cookies.find((c) => c.name === 'vigie_lang')?.value).toBe('en');
  expect(problems).toEqual([]);
  await context.close();
});
