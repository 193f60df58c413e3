/**
 * The browser for end-to-end tests: Debian's chromium (never a downloaded build), driven by
 * playwright-core. Each launch gets a fresh, empty profile, and the flags that keep chromium
 * from reaching for the network this machine does not have.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/** The flags every launch uses (see README, Testing). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where the tests save their screenshots (gitignored; kept by CI as artifacts). */
export const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');

/** The chromium binary on PATH, as `command -v chromium` finds it. */
export function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed: apt-get install -y chromium (.ci/run does it)');
  }
}

/** A headless chromium with a fresh profile (playwright makes a temporary one per launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS });
}

/** The two widths every key screen is captured at. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  mobile: { width: 360, height: 780 },
} as const;

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.join(ARTIFACTS, 'screenshots');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * One element alone. Chromium's full-page capture leaves a sandboxed iframe below the fold
 * blank (its content is painted in another process), so the email preview is captured this way.
 */
export async function screenshotOf(locator: Locator, name: string): Promise<string> {
  const dir = path.join(ARTIFACTS, 'screenshots');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await locator.scrollIntoViewIfNeeded();
  await locator.screenshot({ path: file });
  return file;
}

/**
 * Collects what a page reports as going wrong: uncaught exceptions, console errors and
 * dialogs (an alert() from injected script would show up here). Dialogs are dismissed.
 */
export function watchPage(page: Page) {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.type()} ${dialog.message()}`);
    void dialog.dismiss();
  });
  return problems;
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/** The WCAG 2.2 AA rule set: every level A and AA tag up to 2.2. */
export const WCAG_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export type AxeViolation = { id: string; impact: string | null; help: string; targets: string[] };

/**
 * Runs axe-core on the page as it is and returns the violations at WCAG 2.2 AA. The source
 * is evaluated through the DevTools protocol, which no Content-Security-Policy blocks.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  return page.evaluate(async (tags) => {
    const axe = (globalThis as unknown as { axe: typeof import('axe-core') }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  }, WCAG_AA_TAGS);
}
