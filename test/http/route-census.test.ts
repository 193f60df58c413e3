/**
 * The authorization census of every route outside /admin and /api/v1 (those two have their
 * own matrices, which walk their folders too: admin-sections.test.ts and api-v1.test.ts).
 * The route list is read from src/pages, so a new page or endpoint fails this suite until it
 * says who may see it. Each is requested signed out and as each role: public routes answer
 * the same to all and never hold internal data; staff routes send the signed-out to the
 * sign-in page and show every role the internal data.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/enums.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createSession } from '../../src/server/auth/sessions.ts';
import { addUser } from '../../src/server/users/service.ts';
import { createBrowser } from '../helpers/browser.ts';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer } from '../helpers/server.ts';

const root = path.resolve(import.meta.dirname, '../..');
const pagesDir = path.join(root, 'src/pages');

let app: Awaited<ReturnType<typeof start>>;
const start = () =>
  startScenarioServer(
    {},
    {
      async prepare(db) {
        const sessions = {} as Record<Role, string>;
        for (const role of ROLES) {
          const { user } = await addUser(db, SYSTEM_ACTOR, {
            email: `${role}@example.com`,
            role,
            password: 'correct-horse-battery',
          });
          sessions[role] = (await createSession(db, user.id)).token;
        }
        return sessions;
      },
    },
  );
beforeAll(async () => {
  app = await start();
});
afterAll(() => app?.stop());

type Access =
  /** Anyone; the same answer for staff; never internal data. */
  | 'public'
  /** A private link's page (a token in the query): without a valid token, a 4xx page, no data. */
  | 'token'
  /** Signed-in staff, every role; signed out: 303 to the sign-in page. */
  | 'staff'
  /** Not a route people reach (the error pages Astro renders itself). */
  | 'error-page';

/** Every route file outside admin/ and api/v1/, with who may see it and a URL to try. */
const ROUTES: Record<string, { access: Access; url: () => string; status?: number }> = {
  '404.astro': { access: 'error-page', url: () => '/no-such-page', status: 404 },
  '500.astro': { access: 'error-page', url: () => '/no-such-page', status: 404 },
  'index.astro': { access: 'public', url: () => '/' },
  'history.astro': { access: 'public', url: () => '/history' },
  'incidents/[id].astro': { access: 'public', url: () => `/incidents/${app.scenario.incidents.active.id}` },
  'feed.rss.ts': { access: 'public', url: () => '/feed.rss' },
  'components/[id]/feed.rss.ts': {
    access: 'public',
    url: () => `/components/${app.scenario.components.rest.id}/feed.rss`,
  },
  'badge.svg.ts': { access: 'public', url: () => '/badge.svg' },
  'embed.js.ts': { access: 'public', url: () => '/embed.js' },
  'live.js.ts': { access: 'public', url: () => '/live.js' },
  // The language switcher: sets the cookie and sends the reader back (303).
  'lang.ts': { access: 'public', url: () => '/lang?set=fr&back=%2Fhistory', status: 303 },
  'favicon.svg.ts': { access: 'public', url: () => '/favicon.svg' },
  'healthz.ts': { access: 'public', url: () => '/healthz' },
  'readyz.ts': { access: 'public', url: () => '/readyz' },
  'subscribe.astro': { access: 'public', url: () => '/subscribe' },
  'subscribe/confirm.astro': { access: 'token', url: () => '/subscribe/confirm?token=not-a-real-token' },
  'subscribe/manage.astro': { access: 'token', url: () => '/subscribe/manage?token=not-a-real-token' },
  'unsubscribe.astro': { access: 'token', url: () => '/unsubscribe?token=not-a-real-token' },
  'internal/index.astro': { access: 'staff', url: () => '/internal' },
  'internal/incidents/[id].astro': {
    access: 'staff',
    url: () => `/internal/incidents/${app.scenario.incidents.internal.id}`,
  },
  'api/v2/components.json.ts': { access: 'public', url: () => '/api/v2/components.json' },
  'api/v2/incidents.json.ts': { access: 'public', url: () => '/api/v2/incidents.json' },
  'api/v2/incidents/unresolved.json.ts': { access: 'public', url: () => '/api/v2/incidents/unresolved.json' },
  'api/v2/scheduled-maintenances.json.ts': { access: 'public', url: () => '/api/v2/scheduled-maintenances.json' },
  'api/v2/scheduled-maintenances/active.json.ts': {
    access: 'public',
    url: () => '/api/v2/scheduled-maintenances/active.json',
  },
  'api/v2/scheduled-maintenances/upcoming.json.ts': {
    access: 'public',
    url: () => '/api/v2/scheduled-maintenances/upcoming.json',
  },
  'api/v2/status.json.ts': { access: 'public', url: () => '/api/v2/status.json' },
  'api/v2/summary.json.ts': { access: 'public', url: () => '/api/v2/summary.json' },
};

/** Every route file below src/pages, relative, except the folders with their own matrix. */
function routeFiles(dir = pagesDir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    const rel = path.relative(pagesDir, full).split(path.sep).join('/');
    if (rel === 'admin' || rel === 'api/v1') return [];
    if (statSync(full).isDirectory()) return routeFiles(full);
    return /\.(astro|ts|js|md)$/.test(name) && !name.startsWith('_') ? [rel] : [];
  });
}

/** Strips what legitimately differs between two requests of the same page. */
const stable = (text: string) =>
  text
    .replace(/name="_csrf" value="[^"]*"/g, '')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T')
    .replace(/"[^"]*(?:updated_at|generated)[^"]*"/g, '');

describe('route census', () => {
  it('lists every route file outside /admin and /api/v1 (a new one must say who may see it)', () => {
    expect(routeFiles().sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('answers each route to the signed-out and to every role as its access says, never a 5xx', async () => {
    const problems: string[] = [];
    let checks = 0;
    for (const [file, route] of Object.entries(ROUTES)) {
      const url = route.url();
      const anonymous = await createBrowser(app.server.url).get(url);
      checks++;
      if (anonymous.status >= 500) problems.push(`${file} signed out: ${anonymous.status}`);
      if (route.access !== 'staff' && anonymous.text.includes(INTERNAL_MARKER))
        problems.push(`${file} signed out: internal data`);
      if (route.access === 'public' && anonymous.status !== (route.status ?? 200))
        problems.push(`${file} signed out: ${anonymous.status}`);
      if (route.access === 'token' && (anonymous.status < 400 || anonymous.status >= 500))
        problems.push(`${file} with a bad token: ${anonymous.status}`);
      if (route.access === 'error-page' && anonymous.status !== route.status)
        problems.push(`${file}: ${anonymous.status}`);
      if (route.access === 'staff') {
        if (anonymous.status !== 303 || !anonymous.location?.startsWith('/admin/login?next='))
          problems.push(`${file} signed out: ${anonymous.status} ${anonymous.location}`);
        if (anonymous.text.includes(INTERNAL_MARKER)) problems.push(`${file} signed out: internal data`);
      }
      for (const role of ROLES) {
        const b = createBrowser(app.server.url);
        b.cookies.set('vigie_session', app.prepared[role]);
        const res = await b.get(url);
        checks++;
        if (res.status >= 500) problems.push(`${file} as ${role}: ${res.status}`);
        if (route.access === 'staff') {
          if (res.status !== 200) problems.push(`${file} as ${role}: ${res.status}`);
          else if (!res.text.includes(INTERNAL_MARKER)) problems.push(`${file} as ${role}: no internal data`);
        } else if (res.status !== anonymous.status) {
          problems.push(`${file} as ${role}: ${res.status}, signed out ${anonymous.status}`);
        } else if (
          route.access === 'public' &&
          !url.startsWith('/readyz') &&
          stable(res.text) !== stable(anonymous.text)
        ) {
          // Public answers are the same for everyone: a session must not change them (nor leak into a cache).
          problems.push(`${file} as ${role}: differs from the signed-out answer`);
        }
      }
    }
    console.log(
      `route census: ${Object.keys(ROUTES).length} routes, ${checks} requests (signed out and ${ROLES.length} roles)`,
    );
    expect(problems).toEqual([]);
  });
});
