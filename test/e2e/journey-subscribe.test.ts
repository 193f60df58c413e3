/**
 * A customer's journey in chromium: reads the status page, opens the active incident,
 * subscribes to one component, opens the confirmation link from the mail sink and confirms;
 * the manage page then shows the subscription with that one component.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium, VIEWPORTS, watchPage } from '../helpers/chromium.ts';
import { captureBoth, mailEnv, waitForMail } from '../helpers/journeys.ts';
import { startScenarioServer } from '../helpers/server.ts';

let app: Awaited<ReturnType<typeof startScenarioServer>>;
let browser: Browser;

beforeAll(async () => {
  [app, browser] = await Promise.all([startScenarioServer(mailEnv()), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

test('a customer reads the page, opens an incident, subscribes to Webhooks and confirms from the email', async () => {
  const { url } = app.server;
  const { incidents } = app.scenario;
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
  const page = await context.newPage();
  const problems = watchPage(page);

  await page.goto(url + '/');
  await page.getByRole('heading', { name: 'Active incidents' }).waitFor();
  await captureBoth(page, 'journey-subscribe-1-home');

  await Promise.all([
    page.waitForURL(`${url}/incidents/${incidents.active.id}`),
    page.getByRole('link', { name: 'Elevated API error rates' }).first().click(),
  ]);
  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Elevated API error rates');
  await expect(page.locator('main').textContent()).resolves.toContain('a fix is being implemented');
  await captureBoth(page, 'journey-subscribe-2-incident');

  await Promise.all([page.waitForURL(`${url}/subscribe`), page.getByRole('link', { name: /Subscribe/ }).click()]);
  await page.getByLabel('Email address').fill('carol@example.com');
  await page.getByRole('checkbox', { name: 'Webhooks' }).check();
  await captureBoth(page, 'journey-subscribe-3-form');
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  await expect(page.locator('main').textContent()).resolves.toContain('carol@example.com');
  await captureBoth(page, 'journey-subscribe-4-sent');

  // The confirmation email, as the in-process worker wrote it to the sink.
  const mail = await waitForMail(app.env.VIGIE_DATA_DIR!, 'carol@example.com');
  const link = mail.text.match(/https?:\/\/\S+\/subscribe\/confirm\?token=[A-Za-z0-9_%-]+/)?.[0];
  expect(link, mail.text).toBeDefined();
  expect(link!.startsWith(url)).toBe(true);

  // The link only asks (mail scanners follow links); the button confirms.
  await page.goto(link!);
  await page.getByRole('heading', { name: 'Confirm your subscription' }).waitFor();
  await captureBoth(page, 'journey-subscribe-5-confirm');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('heading', { name: "You're subscribed" }).waitFor();
  await captureBoth(page, 'journey-subscribe-6-confirmed');

  // The manage page shows the confirmed subscription to Webhooks alone.
  await page.getByRole('link', { name: 'Choose the components' }).click();
  await page.waitForURL(/\/subscribe\/manage\?token=/);
  await expect(page.getByRole('checkbox', { name: 'Webhooks' }).isChecked()).resolves.toBe(true);
  await expect(page.getByRole('checkbox', { name: 'REST API' }).isChecked()).resolves.toBe(false);
  await expect(page.getByRole('checkbox', { name: 'Dashboard' }).isChecked()).resolves.toBe(false);
  await captureBoth(page, 'journey-subscribe-7-manage');

  expect(problems).toEqual([]);
  await context.close();
});
