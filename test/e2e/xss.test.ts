/**
 * The XSS corpus in a real browser (issue 8, part 2). The corpus is the script-injection part
 * of the Big List of Naughty Strings (npm `big-list-of-naughty-strings`, MIT): every string
 * in it that holds markup, a `javascript:` URL, an event handler or an `alert(`.
 *
 * Each payload is pushed through the fields a person writes, by the real services: component
 * names and descriptions, incident names, update bodies (Markdown), template names, titles
 * and text, subscriber addresses, and the page's name. Then chromium opens every surface that
 * shows them: the public page, history, every incident page, the internal page, the admin's
 * lists and edit pages, the RSS items and the email HTML (both rendered as a mail client
 * would, in a page with no CSP, so the sanitizer alone must hold).
 *
 * A payload "executes" if any page opens a dialog, throws, logs a CSP violation (the policy
 * would have blocked a script the markup let through), or has live script in its DOM: an
 * inline `<script>`, an `on…` attribute, a `javascript:` link, or an embedding element.
 */
import { createRequire } from 'node:module';
import { XMLParser } from 'fast-xml-parser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createSession } from '../../src/server/auth/sessions.ts';
import { createComponent, createGroup } from '../../src/server/components/service.ts';
import { createIncident, postUpdate } from '../../src/server/incidents/service.ts';
import { renderEmail } from '../../src/server/admin/preview.ts';
import { updateSettings } from '../../src/server/settings/service.ts';
import { createSubscriber } from '../../src/server/subscribers/service.ts';
import { createTemplate } from '../../src/server/templates/service.ts';
import { addUser } from '../../src/server/users/service.ts';
import { launchChromium, screenshot, VIEWPORTS, watchPage } from '../helpers/chromium.ts';
import { startScenarioServer } from '../helpers/server.ts';

const require = createRequire(import.meta.url);
const NAUGHTY = require('big-list-of-naughty-strings') as string[];
/** The script-injection strings of the corpus. */
const PAYLOADS = [...new Set(NAUGHTY.filter((s) => /<[a-z!/]|javascript:|\bon[a-z]+\s*=|alert\(/i.test(s)))];

type Accepted = Record<string, { tried: number; stored: number }>;
type Prepared = { session: string; incidentIds: string[]; templateIds: string[]; accepted: Accepted };

let app: Awaited<ReturnType<typeof startScenarioServer<Prepared>>>;
let browser: Browser;

/** Runs a write; counts whether the service stored the payload or refused it (a 422 is fine). */
async function attempt<T>(accepted: Accepted, field: string, write: () => Promise<T>): Promise<T | undefined> {
  accepted[field] ??= { tried: 0, stored: 0 };
  accepted[field].tried++;
  try {
    const result = await write();
    accepted[field].stored++;
    return result;
  } catch (err) {
    if ((err as { status?: number }).status === 422) return undefined;
    throw err;
  }
}

beforeAll(async () => {
  [app, browser] = await Promise.all([
    startScenarioServer<Prepared>(
      {},
      {
        async prepare(db) {
          const accepted: Accepted = {};
          const actor = SYSTEM_ACTOR;
          const group = await createGroup(db, actor, { name: 'Payloads', position: 9 });
          const incidentIds: string[] = [];
          const templateIds: string[] = [];
          for (const [i, p] of PAYLOADS.entries()) {
            await attempt(accepted, 'component name and description', () =>
              createComponent(db, actor, { name: p.slice(0, 200), description: p, groupId: group.id, position: i }),
            );
            const made = await attempt(accepted, 'incident name and first update body', () =>
              createIncident(db, actor, { name: p.slice(0, 255), status: 'investigating', severity: 3, body: p }),
            );
            if (made) {
              incidentIds.push(made.incident.id);
              // Half of them resolved, so they show in the history too; the update body is Markdown around the payload.
              await attempt(accepted, 'update body (Markdown)', () =>
                postUpdate(db, actor, made.incident.id, {
                  status: i % 2 ? 'resolved' : 'identified',
                  body: `**Update** ${p}\n\n[details](${p}) ![x](${p})`,
                }),
              );
            }
            const template = await attempt(accepted, 'template name, title and text', () =>
              createTemplate(db, actor, {
                name: p.slice(0, 200),
                audience: 'external',
                title: p.slice(0, 255),
                body: p,
              }),
            );
            if (template) templateIds.push(template.id);
            await attempt(accepted, 'subscriber address', () =>
              createSubscriber(db, actor, { email: `${p}@example.com`, confirmed: true }),
            );
          }
          await attempt(accepted, 'page name', () =>
            updateSettings(db, actor, { pageName: PAYLOADS.find((p) => p.includes('<script'))!.slice(0, 100) }),
          );
          await attempt(accepted, 'home link (javascript: URL)', () =>
            updateSettings(db, actor, { homeUrl: 'javascript:alert(1)' }),
          );
          const { user } = await addUser(db, actor, {
            email: 'admin@example.com',
            role: 'admin',
            password: 'correct-horse-battery',
          });
          const session = (await createSession(db, user.id)).token;
          return { session, incidentIds, templateIds, accepted };
        },
      },
    ),
    launchChromium(),
  ]);
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

/** Live script in the DOM: what a payload that got through would leave. */
function liveScript(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const el of Array.from(document.querySelectorAll('*'))) {
      const tag = el.tagName.toLowerCase();
      for (const attr of Array.from(el.attributes)) {
        if (/^on/i.test(attr.name)) found.push(`<${tag} ${attr.name}>`);
        if (/^(href|src|action|formaction|xlink:href|data)$/i.test(attr.name)) {
          // As the browser resolves it: `javascript\x3A:…` is a relative path, `java\tscript:` is not.
          let scheme = '';
          try {
            scheme = new URL(attr.value, document.baseURI).protocol;
          } catch {
            // Not a URL the browser would follow.
          }
          if (
            scheme === 'javascript:' ||
            scheme === 'vbscript:' ||
            (scheme === 'data:' && /text\/html/i.test(attr.value))
          )
            found.push(`<${tag} ${attr.name}=${attr.value.slice(0, 40)}>`);
        }
      }
      if (tag === 'script' && !(el as HTMLScriptElement).src) found.push('<script> inline');
      if (['iframe', 'object', 'embed', 'frame', 'applet', 'base', 'meta'].includes(tag) && el.closest('body'))
        found.push(`<${tag}>`);
    }
    return found;
  });
}

it(`no payload of the corpus executes on any page, feed or email`, async () => {
  expect(PAYLOADS.length).toBeGreaterThanOrEqual(100);
  const { incidentIds, templateIds, session, accepted } = app.prepared;
  expect(incidentIds.length).toBeGreaterThan(100); // the payloads really are on the pages
  const url = app.server.url;
  const context: BrowserContext = await browser.newContext({ viewport: VIEWPORTS.desktop });
  await context.addCookies([{ name: 'vigie_session', value: session, url }]);
  const page = await context.newPage();
  const problems = watchPage(page);
  const executed: string[] = [];
  let loads = 0;

  async function visit(path: string) {
    const res = await page.goto(url + path);
    loads++;
    expect(res?.status(), path).toBeLessThan(500);
    for (const hit of await liveScript(page)) executed.push(`${path}: ${hit}`);
  }

  const historyPages = Math.ceil(incidentIds.length / 20) + 1;
  const paths = [
    '/',
    ...Array.from({ length: historyPages }, (_, i) => `/history?page=${i + 1}`),
    ...incidentIds.map((id) => `/incidents/${id}`),
    '/subscribe',
    '/internal',
    ...incidentIds.slice(0, 40).map((id) => `/internal/incidents/${id}`),
    '/admin',
    '/admin/incidents',
    '/admin/components',
    '/admin/templates',
    '/admin/subscribers',
    '/admin/settings',
    '/admin/audit',
    ...incidentIds.slice(0, 40).map((id) => `/admin/incidents/${id}`),
    ...templateIds.slice(0, 40).map((id) => `/admin/templates/${id}`),
  ];
  for (const p of paths) await visit(p);
  await page.goto(url + '/');
  await screenshot(page, 'xss-home-desktop');

  // The feed: each item's HTML as a feed reader renders it, in a page without any CSP.
  const rss = await (await fetch(url + '/feed.rss')).text();
  const feed = new XMLParser().parse(rss) as { rss: { channel: { item: { description: string }[] } } };
  const items = feed.rss.channel.item.map((item) => String(item.description));
  expect(items.length).toBeGreaterThan(10);
  const sandbox = await context.newPage();
  const sandboxProblems = watchPage(sandbox);
  // The detectors work: an unsanitized payload is seen both in the DOM and as a dialog.
  await sandbox.setContent('<p>x</p><img src="data:," onerror="alert(1)">');
  await sandbox.waitForTimeout(100);
  expect(await liveScript(sandbox)).toEqual(['<img onerror>']);
  expect(sandboxProblems).toEqual(['dialog: alert 1']);
  sandboxProblems.length = 0;
  for (const [i, html] of items.entries()) {
    await sandbox.setContent(html);
    loads++;
    for (const hit of await liveScript(sandbox)) executed.push(`feed item ${i}: ${hit}`);
  }

  // The email HTML, as the worker renders it, in a page without any CSP (as a mail client).
  for (const [i, p] of PAYLOADS.entries()) {
    const email = renderEmail({
      pageName: p,
      incidentName: p,
      severity: 1,
      status: 'investigating',
      body: `${p}\n\n[link](${p})`,
      time: 'now',
      affected: [p],
      incidentUrl: `${url}/incidents/x`,
      unsubscribeUrl: `${url}/unsubscribe?token=x`,
      manageUrl: `${url}/subscribe/manage?token=x`,
    });
    await sandbox.setContent(email.html);
    loads++;
    for (const hit of await liveScript(sandbox)) executed.push(`email ${i}: ${hit}`);
  }

  console.log(
    `xss: ${PAYLOADS.length} payloads; ${loads} pages, feed items and emails rendered in chromium; stored per field: ${Object.entries(
      accepted,
    )
      .map(([f, a]) => `${f} ${a.stored}/${a.tried}`)
      .join(', ')}; executed: ${executed.length + problems.length + sandboxProblems.length}`,
  );
  expect(executed).toEqual([]);
  expect(problems).toEqual([]);
  expect(sandboxProblems).toEqual([]);
  await context.close();
}, 600_000);
