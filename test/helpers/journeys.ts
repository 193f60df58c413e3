/**
 * What the browser journeys share: signing in through the real form, waiting for a message in
 * the mail sink, and the one assertion every page gets (no axe violations at WCAG 2.2 AA).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { axeViolations, screenshot, VIEWPORTS, watchPage } from './chromium.ts';
import { usingPostgres } from './db.ts';
import { readSink, type SinkMessage } from './mail.ts';

export const PASSWORD = 'correct-horse-battery';
export const SYSTEM = { type: 'system' as const, name: 'test' };

/**
 * The env for a server whose mail sink the test reads: the in-process worker on, and on
 * PostgreSQL a data folder of its own (with PGlite the database folder already is one).
 */
export function mailEnv(): Record<string, string> {
  return {
    VIGIE_WORKER: '1',
    ...(usingPostgres ? { VIGIE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigie-e2e-')) } : {}),
  };
}

/** Signs in through /admin/login as a person would, and waits for the page it leads to. */
export async function signIn(page: Page, baseUrl: string, email: string, next = '/admin') {
  await page.goto(`${baseUrl}/admin/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/admin/login')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/** Waits (up to 20 s) for a message to `to` in the sink and returns it. */
export async function waitForMail(dataDir: string, to: string, seen = 0): Promise<SinkMessage> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const mine = readSink(dataDir).filter((m) => m.headers.to?.includes(to));
    if (mine.length > seen) return mine[mine.length - 1];
    if (Date.now() > deadline) throw new Error(`no mail to ${to} in 20 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Asserts the page as it is has no axe violations at WCAG 2.2 AA, naming the page on failure. */
export async function expectAccessible(page: Page, what = page.url()) {
  const violations = await axeViolations(page);
  expect(violations, `${what}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

/** Captures the page as it is at both widths (`<name>-desktop.png`, `<name>-mobile.png`). */
export async function captureBoth(page: Page, name: string) {
  const before = page.viewportSize();
  await page.setViewportSize(VIEWPORTS.desktop);
  await screenshot(page, `${name}-desktop`);
  await page.setViewportSize(VIEWPORTS.mobile);
  await screenshot(page, `${name}-mobile`);
  if (before) await page.setViewportSize(before);
}

/**
 * watchPage() plus the page's failed subresources (scripts, styles, images, fetches). A
 * navigation answering 4xx on purpose (the 404 page, a bad token) is not a problem; the
 * console line chromium logs for it is left out, and a failed subresource is reported instead.
 */
export function watchAll(page: Page): () => string[] {
  const problems = watchPage(page);
  const failed: string[] = [];
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.request().isNavigationRequest()) failed.push(`${res.status()} ${res.url()}`);
  });
  return () => [...problems.filter((p) => !p.startsWith('console: Failed to load resource:')), ...failed];
}
