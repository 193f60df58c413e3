/**
 * A comms lead opens an incident from a template, previews it and publishes it, while a
 * customer's status page is already open in another window: the customer's page shows the
 * incident within seconds, without a reload (public/live.js), and says so in a polite live
 * region, without moving focus or scroll. The script also rests while the tab is hidden.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createUser } from '../../src/server/users/service.ts';
import { launchChromium, screenshotOf, VIEWPORTS, watchPage } from '../helpers/chromium.ts';
import { captureBoth, expectAccessible, PASSWORD, signIn, SYSTEM } from '../helpers/journeys.ts';
import { startScenarioServer } from '../helpers/server.ts';

let app: Awaited<ReturnType<typeof startScenarioServer>>;
let browser: Browser;

beforeAll(async () => {
  [app, browser] = await Promise.all([
    startScenarioServer(
      {},
      {
        async prepare(db) {
          await createUser(db, SYSTEM, { email: 'comms@example.com', role: 'comms', password: PASSWORD });
        },
      },
    ),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

/** Counts the page's requests to the summary, the script's cheap "anything new?" question. */
function countPolls(page: Page) {
  const polls: number[] = [];
  page.on('request', (req) => {
    if (new URL(req.url()).pathname === '/api/v2/summary.json') polls.push(Date.now());
  });
  return polls;
}

const NAME = 'Investigating issues with Dashboard';

test('a customer sees a newly published incident appear without reloading', async () => {
  const { url } = app.server;
  const { components } = app.scenario;

  // The customer's page, open before anything happens, asking every second.
  const customerContext = await browser.newContext({ viewport: VIEWPORTS.desktop });
  const customer = await customerContext.newPage();
  const customerProblems = watchPage(customer);
  const polls = countPolls(customer);
  const baseline = customer.waitForResponse((r) => r.url().endsWith('/api/v2/summary.json'));
  await customer.goto(url + '/?live-interval=1');
  await baseline;
  await expect(customer.locator('main').textContent()).resolves.not.toContain(NAME);
  // Focus on a link, the page scrolled a little, and a mark of this very document: all three
  // survive only if the page is neither reloaded nor disturbed.
  await customer.getByRole('link', { name: 'Subscribe' }).focus();
  await customer.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
    window.scrollTo(0, 200);
  });
  await expect(customer.evaluate(() => window.scrollY)).resolves.toBe(200);

  // The comms lead, in another browser.
  const commsContext = await browser.newContext({ viewport: VIEWPORTS.desktop });
  const comms = await commsContext.newPage();
  const commsProblems = watchPage(comms);
  await signIn(comms, url, 'comms@example.com', '/admin/incidents/new');
  await comms.getByLabel('Template').selectOption('defaultinvestigatingexternal');
  await comms.locator(`select[name="components.${components.dashboard.id}"]`).selectOption('major_outage');
  await comms.getByRole('button', { name: 'Fill in from template' }).click();
  await comms.waitForFunction(
    (name) => (document.querySelector('input[name="name"]') as HTMLInputElement | null)?.value === name,
    NAME,
  );
  await comms.locator('input[name="severity"][value="2"]').check();
  await captureBoth(comms, 'journey-publish-1-form');
  await expectAccessible(comms, 'new incident form, filled');
  await comms.getByRole('button', { name: 'Continue' }).click();
  await comms.locator('[data-preview="page"]').waitFor();
  await expect(comms.locator('[data-preview="page"]').textContent()).resolves.toContain(NAME);
  // The email's HTML, rendered in its sandboxed frame.
  await expect(comms.frameLocator('iframe.email-frame').locator('body').textContent()).resolves.toContain(
    'We are looking into problems with Dashboard',
  );
  await captureBoth(comms, 'journey-publish-2-preview');
  await screenshotOf(comms.locator('iframe.email-frame'), 'journey-publish-2-preview-email-html');
  // Reached by POST, so the accessibility test cannot list it: it fits 320 px here (WCAG 1.4.10).
  await comms.setViewportSize({ width: 320, height: 780 });
  await expect(comms.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(320);
  await comms.setViewportSize(VIEWPORTS.desktop);
  await expectAccessible(comms, 'incident preview');
  // Nothing is public before Publish.
  await expect(customer.locator('main').textContent()).resolves.not.toContain(NAME);

  await Promise.all([
    comms.waitForURL(/\/admin\/incidents\/[a-z0-9]+\?done=published$/),
    comms.locator('button[name="step"][value="publish"]').click(),
  ]);
  const published = Date.now();
  await expect(comms.locator('main').textContent()).resolves.toContain('The incident is published on the status page.');
  await captureBoth(comms, 'journey-publish-3-published');

  // The customer's page shows it within a few seconds (snapshot rebuild + one poll), unreloaded.
  await customer.getByRole('link', { name: NAME }).waitFor({ timeout: 10_000 });
  const seenAfter = Date.now() - published;
  expect(seenAfter).toBeLessThan(10_000);
  await expect(customer.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).resolves.toBe(
    true,
  );
  await expect(customer.getByRole('status').filter({ hasText: 'updated' }).textContent()).resolves.toBe(
    'The status page has been updated.',
  );
  // Focus stays where the customer left it, and so does the scroll position.
  await expect(customer.evaluate(() => document.activeElement?.textContent?.trim())).resolves.toContain('Subscribe');
  await expect(customer.evaluate(() => window.scrollY)).resolves.toBe(200);
  await expect(customer.locator('main').textContent()).resolves.toContain('Dashboard');
  expect(polls.length).toBeGreaterThan(1);
  await captureBoth(customer, 'journey-publish-4-customer-live');
  await expectAccessible(customer, 'home after the live update');

  expect(customerProblems).toEqual([]);
  expect(commsProblems).toEqual([]);
  console.log(`live update: the customer's page showed the incident ${seenAfter} ms after Publish`);
  await commsContext.close();
  await customerContext.close();
});

test('the page stops asking while the tab is hidden and asks at once when it is shown again', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.mobile });
  const page = await context.newPage();
  const problems = watchPage(page);
  const polls = countPolls(page);
  await page.goto(app.server.url + '/?live-interval=1');
  await page.waitForTimeout(2_500);
  expect(polls.length).toBeGreaterThanOrEqual(2);

  const setVisibility = (state: 'hidden' | 'visible') =>
    page.evaluate((s) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
      document.dispatchEvent(new Event('visibilitychange'));
    }, state);
  await setVisibility('hidden');
  await page.waitForTimeout(300);
  const whileHidden = polls.length;
  await page.waitForTimeout(3_000);
  expect(polls.length).toBe(whileHidden);

  const shown = page.waitForRequest((r) => r.url().endsWith('/api/v2/summary.json'), { timeout: 500 });
  await setVisibility('visible');
  await shown;
  // Nothing changed, so nothing was swapped or announced.
  await expect(page.getByRole('status').filter({ hasText: 'updated' }).count()).resolves.toBe(0);
  expect(problems).toEqual([]);
  await context.close();
});

test('without JavaScript the page is complete and loads no script', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop, javaScriptEnabled: false });
  const page = await context.newPage();
  const polls = countPolls(page);
  await page.goto(app.server.url + '/');
  await expect(page.getByRole('heading', { name: 'Components' }).isVisible()).resolves.toBe(true);
  // The script is referenced as an external file (no inline code, for a strict CSP).
  const scripts = await page.$$eval('script', (els) =>
    els.map((s) => ({ src: s.getAttribute('src'), text: s.textContent })),
  );
  expect(scripts.map((s) => s.src).sort()).toEqual(['/live.js', '/vigie-time.js']);
  expect(scripts.every((s) => s.text === '')).toBe(true);
  await page.waitForTimeout(1_000);
  expect(polls).toEqual([]);
  await context.close();
});
