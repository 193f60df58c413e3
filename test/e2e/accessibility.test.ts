/**
 * Every page a person can reach, checked by axe-core in chromium at WCAG 2.2 AA: the public
 * pages (with real subscription tokens from the mail sink), the internal pages, and every
 * admin page found under src/pages/admin, logged in as an admin. A new admin page without an
 * address here fails the test, so none escapes the check. Each page is also narrowed to
 * 320 px (WCAG 1.4.10 Reflow) to find what sticks out sideways. Also: the status key pairs each
 * colour with a text and a distinct shape, and the login form works from the keyboard with
 * a visible focus ring.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createComponent } from '../../src/server/components/service.ts';
import { createSubscriber } from '../../src/server/subscribers/service.ts';
import { createTemplate } from '../../src/server/templates/service.ts';
import { createApiToken, createUser } from '../../src/server/users/service.ts';
import { createWebhook } from '../../src/server/webhooks/service.ts';
import { axeViolations, launchChromium, screenshot, VIEWPORTS, type AxeViolation } from '../helpers/chromium.ts';
import { expectAccessible, mailEnv, watchAll, PASSWORD, signIn, SYSTEM, waitForMail } from '../helpers/journeys.ts';
import { linkToken } from '../helpers/mail.ts';
import { startScenarioServer } from '../helpers/server.ts';

type Prepared = { admin: string; subscriber: string; template: string; token: string; webhook: string };
let app: Awaited<ReturnType<typeof startScenarioServer<Prepared>>>;
let browser: Browser;
let url: string;

beforeAll(async () => {
  [app, browser] = await Promise.all([
    startScenarioServer<Prepared>(mailEnv(), {
      async prepare(db, scenario) {
        const admin = await createUser(db, SYSTEM, { email: 'admin@example.com', role: 'admin', password: PASSWORD });
        await createUser(db, SYSTEM, { email: 'responder@example.com', role: 'responder', password: PASSWORD });
        const subscriber = await createSubscriber(db, SYSTEM, {
          email: 'listed@example.com',
          componentIds: [scenario.components.rest.id],
          confirmed: true,
        });
        const template = await createTemplate(db, SYSTEM, {
          name: 'Slow responses (customers)',
          audience: 'external',
          kind: 'incident',
          title: 'Slow responses from {{components}}',
          status: 'investigating',
          body: 'Requests to {{components}} are slower than usual.',
        });
        const { row: token } = await createApiToken(db, SYSTEM, { name: 'deploy bot', role: 'responder' });
        const webhook = await createWebhook(db, SYSTEM, {
          name: 'Team chat',
          url: 'https://chat.example.com/hook',
          format: 'slack',
          events: ['incident.created'],
        });
        // A component so the components list has an "only if degraded" row as well.
        await createComponent(db, SYSTEM, { name: 'Search', position: 6 });
        return {
          admin: admin.id,
          subscriber: subscriber.id,
          template: template.id,
          token: token.id,
          webhook: webhook.id,
        };
      },
    }),
    launchChromium(),
  ]);
  url = app.server.url;
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

type Found = { page: string; violations: AxeViolation[] | string[] };

/** WCAG 1.4.10 Reflow: content fits 320 CSS px without scrolling sideways. */
const REFLOW = { width: 320, height: 780 };

/**
 * Checks the page as it is: axe at the desktop width, then, narrowed to 320 px, the elements
 * that stick out to the right (the innermost ones: their children fit). Both go into `found`.
 */
async function audit(page: Page, label: string, found: Found[]) {
  const violations = await axeViolations(page);
  if (violations.length) found.push({ page: label, violations });
  await page.setViewportSize(REFLOW);
  const overflowing = await page.evaluate(() => {
    const limit = document.documentElement.clientWidth + 1;
    const out = (el: Element) => el.getBoundingClientRect().right > limit;
    const name = (el: Element) =>
      el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + [...el.classList].map((c) => `.${c}`).join('');
    // Inside a box that scrolls sideways and itself fits, wide content is fine (a table).
    const scrolled = (el: Element) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (/auto|scroll/.test(getComputedStyle(a).overflowX)) return !out(a);
      }
      return false;
    };
    return [...document.body.querySelectorAll('*')]
      .filter((el) => out(el) && ![...el.children].some(out) && getComputedStyle(el).position !== 'fixed')
      .filter((el) => !el.closest('.sr-only, .skip-link') && !scrolled(el))
      .map((el) => `${name(el.parentElement!)} > ${name(el)}`)
      .slice(0, 10);
  });
  if (overflowing.length) found.push({ page: `${label} (at 320 px)`, violations: overflowing });
  await page.setViewportSize(VIEWPORTS.desktop);
}

/** Opens each path in turn and audits it. */
async function scan(page: Page, paths: string[], found: Found[], status = 200) {
  for (const p of paths) {
    const res = await page.goto(url + p);
    expect(res?.status(), p).toBe(status);
    await audit(page, p, found);
  }
}

const ADMIN_DIR = path.resolve(import.meta.dirname, '../../src/pages/admin');

/** Every .astro file under src/pages/admin, as a route pattern ("components/[id]/delete"). */
function adminRoutes(): string[] {
  const files = readdirSync(ADMIN_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.astro'));
  return files
    .map((f) =>
      f
        .replace(/\.astro$/, '')
        .replace(/(^|\/)index$/, '')
        .split(path.sep)
        .join('/'),
    )
    .sort();
}

// Both colour schemes: the dark one has its own colours (public.css), so its own contrasts.
describe.each(['light', 'dark'] as const)('accessibility at WCAG 2.2 AA, %s scheme', (colorScheme) => {
  test('public pages, with real subscription tokens, have no violations', async () => {
    const { incidents } = app.scenario;
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop, colorScheme });
    const page = await context.newPage();
    const problems = watchAll(page);
    const found: Found[] = [];
    await scan(
      page,
      [
        '/',
        '/history',
        `/incidents/${incidents.active.id}`,
        `/incidents/${incidents.maintenance.id}`,
        `/incidents/${incidents.resolved.id}`,
        '/subscribe',
      ],
      found,
    );
    await scan(page, ['/no-such-page'], found, 404);
    // The scheme is the one asked for: the page really is dark in the dark run.
    await page.goto(url + '/');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [red, green, blue] = (background.match(/\d+/g) ?? []).map(Number);
    expect(red + green + blue < 3 * 128, background).toBe(colorScheme === 'dark');

    // The sign-up form with an error, then the "check your inbox" page.
    await page.goto(url + '/subscribe');
    await page.getByLabel('Email address').fill('not an address');
    await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Subscribe' }).click()]);
    await page.waitForSelector('.form-error');
    await audit(page, '/subscribe (error)', found);
    await page.getByLabel('Email address').fill(`a11y-${colorScheme}@example.com`);
    await Promise.all([page.waitForURL(url + '/subscribe'), page.getByRole('button', { name: 'Subscribe' }).click()]);
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await audit(page, '/subscribe (sent)', found);

    const mail = await waitForMail(app.env.VIGIE_DATA_DIR!, `a11y-${colorScheme}@example.com`);
    const confirm = linkToken(mail.text, '/subscribe/confirm');
    await scan(page, [`/subscribe/confirm?token=${encodeURIComponent(confirm)}`], found);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: "You're subscribed" }).waitFor();
    await audit(page, '/subscribe/confirm (done)', found);
    const manage = linkToken(await page.content(), '/unsubscribe');
    const q = `?token=${encodeURIComponent(manage)}`;
    await scan(page, [`/subscribe/manage${q}`, `/unsubscribe${q}`], found);
    // A bad token: the pages' "link not valid" state.
    await scan(page, ['/subscribe/confirm?token=nope', '/unsubscribe?token=nope'], found, 400);

    expect(found).toEqual([]);
    expect(problems()).toEqual([]);
    await context.close();
  });

  test('internal pages have no violations', async () => {
    const { incidents } = app.scenario;
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop, colorScheme });
    const page = await context.newPage();
    await signIn(page, url, 'responder@example.com', '/internal');
    const found: Found[] = [];
    await scan(
      page,
      ['/internal', `/internal/incidents/${incidents.active.id}`, `/internal/incidents/${incidents.internal.id}`],
      found,
    );
    expect(found).toEqual([]);
    await context.close();
  });

  test('every admin page has no violations', async () => {
    const { scenario: s, prepared: p } = app;
    // The address of each admin route pattern, with real ids from the scenario.
    const addresses: Record<string, string[]> = {
      '': ['/admin'],
      account: ['/admin/account'],
      alerts: ['/admin/alerts'],
      audit: ['/admin/audit'],
      components: ['/admin/components'],
      'components/[id]': [`/admin/components/${s.components.rest.id}`, '/admin/components/new'],
      'components/[id]/delete': [`/admin/components/${s.components.cdn.id}/delete`],
      'components/groups/[id]': [`/admin/components/groups/${s.groups.api.id}`, '/admin/components/groups/new'],
      'components/groups/[id]/delete': [`/admin/components/groups/${s.groups.web.id}/delete`],
      incidents: ['/admin/incidents'],
      'incidents/[id]': [`/admin/incidents/${s.incidents.active.id}`, `/admin/incidents/${s.incidents.resolved.id}`],
      'incidents/[id]/deliveries': [`/admin/incidents/${s.incidents.active.id}/deliveries`],
      'incidents/new': ['/admin/incidents/new', '/admin/incidents/new?template=defaultinvestigatingexternal'],
      login: [],
      logout: ['/admin/logout'],
      maintenance: ['/admin/maintenance'],
      'maintenance/[id]': [`/admin/maintenance/${s.incidents.maintenance.id}`, '/admin/maintenance/new'],
      settings: ['/admin/settings'],
      subscribers: ['/admin/subscribers'],
      'subscribers/[id]/delete': [`/admin/subscribers/${p.subscriber}/delete`],
      'subscribers/import': ['/admin/subscribers/import'],
      templates: ['/admin/templates'],
      'templates/[id]': [`/admin/templates/${p.template}`],
      'templates/[id]/delete': [`/admin/templates/${p.template}/delete`],
      'templates/new': ['/admin/templates/new'],
      tokens: ['/admin/tokens'],
      'tokens/[id]': [`/admin/tokens/${p.token}`],
      users: ['/admin/users'],
      'users/[id]': [`/admin/users/${p.admin}`],
      webhooks: ['/admin/webhooks'],
      'webhooks/[id]': [`/admin/webhooks/${p.webhook}`],
      'webhooks/[id]/delete': [`/admin/webhooks/${p.webhook}/delete`],
    };
    // A page added under src/pages/admin must be given an address above.
    expect(Object.keys(addresses).sort()).toEqual(adminRoutes());

    const context = await browser.newContext({ viewport: VIEWPORTS.desktop, colorScheme });
    const page = await context.newPage();
    const problems = watchAll(page);
    const found: Found[] = [];
    // The login page, first with an error, then signed in.
    await page.goto(url + '/admin/login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('#login-error');
    await audit(page, '/admin/login (error)', found);
    await signIn(page, url, 'admin@example.com');
    for (const [route, paths] of Object.entries(addresses)) {
      for (const p of paths) {
        const res = await page.goto(url + p);
        expect(res?.status(), `${route}: ${p}`).toBe(200);
        await audit(page, p, found);
      }
    }
    // A form re-rendered with errors.
    await page.goto(url + '/admin/templates/new');
    await page
      .getByRole('button', { name: /save|create/i })
      .first()
      .click();
    await page.waitForSelector('.form-error, [aria-invalid="true"]');
    await audit(page, '/admin/templates/new (errors)', found);
    expect(found).toEqual([]);
    expect(problems()).toEqual([]);
    await context.close();
  });
});

describe('status is never told by colour alone', () => {
  test('each status in the key has its own label and its own icon shape', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
    const page = await context.newPage();
    await page.goto(url + '/');
    const key = await page.$$eval('.components-legend li', (items) =>
      items.map((li) => ({
        label: li.textContent!.trim(),
        shape: li.querySelector('svg')!.innerHTML,
        color: getComputedStyle(li.querySelector('svg')!).color,
      })),
    );
    expect(key.map((k) => k.label)).toEqual([
      'Operational',
      'Degraded performance',
      'Partial outage',
      'Major outage',
      'Under maintenance',
    ]);
    expect(new Set(key.map((k) => k.shape)).size).toBe(key.length);
    expect(new Set(key.map((k) => k.color)).size).toBeGreaterThan(1);
    // Every component row says its status in words next to the icon.
    const rows = await page.$$eval('.components li.component', (els) =>
      els.map((el) => ({ text: el.textContent ?? '', icon: Boolean(el.querySelector('.status-text svg.icon')) })),
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.icon).toBe(true);
      expect(r.text).toMatch(/Operational|Degraded performance|Partial outage|Major outage|Under maintenance/);
    }
    await context.close();
  });
});

describe('the login form from the keyboard', () => {
  test('tabs through the fields with a visible focus ring and signs in with Enter', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
    const page = await context.newPage();
    const problems = watchAll(page);
    await page.goto(url + '/admin/login');
    /** The focused element's name and whether its focus is visible (an outline or a box shadow). */
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const style = getComputedStyle(el);
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
        return {
          name: el.getAttribute('name') ?? el.textContent?.trim(),
          visible: el.matches(':focus-visible') && (outline || style.boxShadow !== 'none'),
        };
      });
    // The email field has autofocus (which headless chromium may not apply to a background
    // page); from the top, the first Tab leads there too. Then password, then the button.
    if ((await focused()).name !== 'email') await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ name: 'email', visible: true });
    await page.keyboard.type('admin@example.com');
    await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ name: 'password', visible: true });
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ name: 'Sign in', visible: true });
    await screenshot(page, 'a11y-login-focus-desktop');
    await Promise.all([page.waitForURL(url + '/admin'), page.keyboard.press('Enter')]);
    await expectAccessible(page, '/admin after keyboard sign-in');
    expect(problems()).toEqual([]);
    await context.close();
  });
});
