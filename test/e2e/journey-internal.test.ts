/**
 * Staff and customers see different pages: a responder signs in and finds the internal
 * component, group, incident and update (each carrying INTERNAL_MARKER) on /internal, while a
 * customer, signed out in another browser, never meets the marker on /, /history or the
 * public incident page, nor can open the internal incident's public address.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createUser } from '../../src/server/users/service.ts';
import { launchChromium, VIEWPORTS } from '../helpers/chromium.ts';
import { captureBoth, PASSWORD, signIn, SYSTEM, watchAll } from '../helpers/journeys.ts';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer } from '../helpers/server.ts';

let app: Awaited<ReturnType<typeof startScenarioServer>>;
let browser: Browser;

beforeAll(async () => {
  [app, browser] = await Promise.all([
    startScenarioServer(
      {},
      {
        async prepare(db) {
          await createUser(db, SYSTEM, { email: 'responder@example.com', role: 'responder', password: PASSWORD });
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

test('a responder sees the internal data on /internal', async () => {
  const { url } = app.server;
  const { incidents } = app.scenario;
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
  const page = await context.newPage();
  const problems = watchAll(page);
  await signIn(page, url, 'responder@example.com', '/internal');
  expect(new URL(page.url()).pathname).toBe('/internal');
  const main = (await page.locator('body').textContent()) ?? '';
  expect(main).toContain('Internal view: staff only.');
  expect(main).toContain(`Billing ${INTERNAL_MARKER} worker`);
  expect(main).toContain(`Internal ${INTERNAL_MARKER} incident`);
  expect(main).toContain(`Ops ${INTERNAL_MARKER} group`);
  await captureBoth(page, 'journey-internal-1-home');

  // The public incident, with its internal update, on the staff side.
  await page.goto(`${url}/internal/incidents/${incidents.active.id}`);
  await expect(page.locator('main').textContent()).resolves.toContain(
    `Root cause: ${INTERNAL_MARKER} database failover`,
  );
  await captureBoth(page, 'journey-internal-2-incident');
  await page.goto(`${url}/internal/incidents/${incidents.internal.id}`);
  await expect(page.locator('main').textContent()).resolves.toContain(`Only staff: ${INTERNAL_MARKER}`);
  expect(problems()).toEqual([]);
  await context.close();
});

test('a customer never meets the marker on the public pages', async () => {
  const { url } = app.server;
  const { incidents } = app.scenario;
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
  const page = await context.newPage();
  const problems = watchAll(page);
  const pages = ['/', '/history', `/incidents/${incidents.active.id}`, `/incidents/${incidents.resolved.id}`];
  for (const p of pages) {
    const res = await page.goto(url + p);
    expect(res?.status(), p).toBe(200);
    // The whole document, markup included (titles, attributes, hidden text).
    expect(await page.content(), p).not.toContain(INTERNAL_MARKER);
    // The page does show its public content, so the check is about something real.
    expect(await page.locator('main').textContent(), p).toMatch(/Elevated API error rates|Dashboard unavailable/);
  }
  await captureBoth(page, 'journey-internal-3-public-incident');
  // The internal incident has no public page, and /internal asks for a sign-in.
  expect((await page.goto(`${url}/incidents/${incidents.internal.id}`))?.status()).toBe(404);
  expect(await page.content()).not.toContain(INTERNAL_MARKER);
  await page.goto(`${url}/internal`);
  expect(new URL(page.url()).pathname).toBe('/admin/login');
  expect(await page.content()).not.toContain(INTERNAL_MARKER);
  expect(problems()).toEqual([]);
  await context.close();
});
