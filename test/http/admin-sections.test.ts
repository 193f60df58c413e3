/**
 * The admin sections over HTTP (components, maintenance, subscribers, users, API tokens,
 * settings, audit log), against the built server with the scenario seeded:
 * - one route matrix over every page file under src/pages/admin (walked, so a new route
 *   cannot escape it): what each role and a signed-out visitor get, never a 500;
 * - every admin form carries the CSRF token, and a POST without a valid one is refused;
 * - the happy and unhappy paths of each section, through the forms as a browser sends them.
 * Sessions are created in the database before the server starts, so the suite signs in by
 * password only where that is what it tests (the login throttle counts per IP).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/enums.ts';
import { instantToZonedLocal } from '../../src/server/admin/maintenance.ts';
import { createSession } from '../../src/server/auth/sessions.ts';
import { updateSettings } from '../../src/server/settings/service.ts';
import { contrastRatio } from '../../src/domain/color.ts';
import { addUser } from '../../src/server/users/service.ts';
import { createBrowser, type Browser } from '../helpers/browser.ts';
import { CREATE_FORM_ROUTES, resolveRoute, routesUnder, seedAdminListings } from '../helpers/routes.ts';
import { startScenarioServer } from '../helpers/server.ts';

const PASSWORD = 'correct-horse-battery';
const TIME_ZONE = 'Europe/Paris';
const system = { type: 'system' as const, name: 'test' };

type Started = Awaited<ReturnType<typeof start>>;
let env: Started;
const as = {} as Record<Role, Browser>;

function start() {
  return startScenarioServer(
    {},
    {
      async prepare(db) {
        await updateSettings(db, system, { timeZone: TIME_ZONE });
        const people = {} as Record<string, { id: string; token: string }>;
        const extra = ['demote-me', 'disable-me', 'reset-me'] as const;
        for (const name of [...ROLES, ...extra]) {
          const role: Role = (ROLES as readonly string[]).includes(name) ? (name as Role) : 'comms';
          const { user } = await addUser(db, system, { email: `${name}@example.com`, role, password: PASSWORD });
          people[name] = { id: user.id, token: (await createSession(db, user.id)).token };
        }
        const listings = await seedAdminListings(db, system, 'Matrix');
        return {
          people,
          ...listings,
        };
      },
    },
  );
}

/** A browser holding a session created in the database. */
function browserWith(token: string): Browser {
  const b = createBrowser(env.server.url);
  b.cookies.set('vigie_session', token);
  return b;
}

beforeAll(async () => {
  env = await start();
  for (const role of ROLES) as[role] = browserWith(env.prepared.people[role].token);
});
afterAll(async () => {
  await env?.stop();
});

/** The text of an HTML fragment, tags dropped, entities of quotes decoded, whitespace collapsed. */
function words(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');
}

/** The message shown next to a field (Field.astro: `<span class="field-error" id="{id}-error">`). */
function fieldError(html: string, id: string): string | undefined {
  const m = new RegExp(`<span[^>]*class="field-error"[^>]*id="${id}-error"[^>]*>([\\s\\S]*?)</span>`).exec(html);
  return m ? words(m[1]).trim() : undefined;
}

/** The audit page's entries, without the filter form (whose choices name every action). */
function auditEntries(html: string): string {
  return words(html.slice(html.indexOf('id="audit-count"')));
}

/** The value of an input, by id. */
function inputValue(html: string, id: string): string | undefined {
  const tag = new RegExp(`<input[^>]*\\bid="${id}"[^>]*>`).exec(html)?.[0];
  return tag ? /\bvalue="([^"]*)"/.exec(tag)?.[1] : undefined;
}

/** The id in a table row's `id="{kind}-{id}"` whose text contains `name`. */
function rowId(html: string, kind: string, name: string): string {
  for (const m of html.matchAll(new RegExp(`<tr id="${kind}-([a-z0-9]+)"[^>]*>([\\s\\S]*?)</tr>`, 'g'))) {
    if (words(m[2]).includes(name)) return m[1];
  }
  throw new Error(`no ${kind} row with ${name}`);
}

async function getJson(pathname: string, headers: Record<string, string> = {}) {
  const res = await fetch(env.server.url + pathname, { headers });
  return { status: res.status, body: res.status === 200 ? await res.json() : null };
}

// ---------------------------------------------------------------------------------------
// Route matrix

/** The lowest role that may open each admin page (GET). Pages not listed get the generic checks only. */
const MIN_ROLE: Record<string, Role> = {
  '/admin': 'viewer',
  '/admin/account': 'viewer',
  '/admin/components': 'viewer',
  '/admin/components/new': 'admin',
  '/admin/components/[id]': 'admin',
  '/admin/components/[id]/delete': 'admin',
  '/admin/components/groups/new': 'admin',
  '/admin/components/groups/[id]': 'admin',
  '/admin/components/groups/[id]/delete': 'admin',
  '/admin/maintenance': 'viewer',
  '/admin/maintenance/new': 'comms',
  '/admin/maintenance/[id]': 'comms',
  '/admin/subscribers': 'viewer',
  '/admin/subscribers/import': 'comms',
  '/admin/subscribers/[id]/delete': 'comms',
  '/admin/users': 'admin',
  '/admin/users/[id]': 'admin',
  '/admin/tokens': 'admin',
  '/admin/tokens/[id]': 'admin',
  '/admin/webhooks': 'admin',
  '/admin/webhooks/[id]': 'admin',
  '/admin/webhooks/[id]/delete': 'admin',
  '/admin/settings': 'admin',
  '/admin/audit': 'admin',
};

/** Every route under src/pages/admin, as a URL pattern: `/admin/components/[id]/delete`. */
function adminRoutes(): string[] {
  return [...routesUnder('admin'), ...CREATE_FORM_ROUTES].sort();
}

/** A real id for each `[id]` parameter, by what comes before it. */
function resolve(route: string): string {
  const ids: Record<string, string | undefined> = {
    '/admin/components': env.scenario.components.rest.id,
    '/admin/components/groups': env.scenario.groups.api.id,
    '/admin/maintenance': env.scenario.incidents.maintenance.id,
    '/admin/incidents': env.scenario.incidents.active.id,
    '/admin/subscribers': env.prepared.subscriberId,
    '/admin/users': env.prepared.people.viewer.id,
    '/admin/tokens': env.prepared.tokenId,
    '/admin/webhooks': env.prepared.webhookId,
    '/admin/templates': env.prepared.templateId,
  };
  return resolveRoute(route, ids);
}

describe('admin route matrix', () => {
  it('answers every admin page for every role and signed-out visitors as the roles table says, never a 500', async () => {
    const routes = adminRoutes();
    // The walk found the sections this suite owns (so it really walks the folder).
    for (const known of Object.keys(MIN_ROLE)) expect(routes, known).toContain(known);
    const problems: string[] = [];
    for (const route of routes) {
      const url = resolve(route);
      const anonymous = await createBrowser(env.server.url).get(url);
      if (route === '/admin/login' || route === '/admin/logout') {
        if (anonymous.status !== 200) problems.push(`${url} signed out: ${anonymous.status}`);
      } else if (anonymous.status !== 303 || !anonymous.location?.startsWith('/admin/login?next=')) {
        problems.push(`${url} signed out: ${anonymous.status} ${anonymous.location}`);
      }
      for (const role of ROLES) {
        const { status, location } = await as[role].get(url);
        if (status >= 500) problems.push(`${url} as ${role}: ${status}`);
        if (route === '/admin/login') {
          if (status !== 303 || location !== '/admin') problems.push(`${url} as ${role}: ${status} ${location}`);
          continue;
        }
        const min = MIN_ROLE[route];
        if (!min) {
          if (![200, 403].includes(status)) problems.push(`${url} as ${role}: ${status} (expected 200 or 403)`);
          continue;
        }
        const expected = ROLES.indexOf(role) >= ROLES.indexOf(min) ? 200 : 403;
        if (status !== expected) problems.push(`${url} as ${role}: ${status}, expected ${expected}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers unknown ids with 404 in the admin frame', async () => {
    for (const url of [
      '/admin/components/zzzzzzzzzzzz',
      '/admin/components/zzzzzzzzzzzz/delete',
      '/admin/components/groups/zzzzzzzzzzzz',
      '/admin/components/groups/NOT-AN-ID/delete',
      '/admin/maintenance/zzzzzzzzzzzz',
      `/admin/maintenance/${env.scenario.incidents.active.id}`,
      '/admin/subscribers/zzzzzzzzzzzz/delete',
      '/admin/users/zzzzzzzzzzzz',
      '/admin/tokens/zzzzzzzzzzzz',
      '/admin/webhooks/zzzzzzzzzzzz',
    ]) {
      const r = await as.admin.get(url);
      expect(r.status, url).toBe(404);
      expect(r.text, url).toContain('Vigie admin');
    }
    expect((await as.admin.get('/admin/maintenance?page=abc')).status).toBe(404);
    expect((await as.admin.get('/admin/subscribers?page=0')).status).toBe(404);
  });

  it('puts the CSRF token in every admin form, and refuses a POST without a valid one', async () => {
    const problems: string[] = [];
    const actions = new Set<string>();
    for (const route of adminRoutes()) {
      if (route === '/admin/login') continue;
      const url = resolve(route);
      const page = await as.admin.get(url);
      for (const form of page.text.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
        if (!/method="post"/i.test(form[1])) continue;
        if (!/name="_csrf" value="[^"]+"/.test(form[2])) problems.push(`${url}: a form without _csrf`);
        actions.add(/action="([^"]*)"/.exec(form[1])?.[1] || url);
      }
    }
    expect(actions.size).toBeGreaterThan(10);
    for (const action of actions) {
      const b = as.admin;
      await b.get('/admin');
      for (const token of [null, 'x'.repeat(43)]) {
        const r = await b.post(action, { intent: 'status', name: 'forged', _csrf: token });
        if (r.status !== 403) problems.push(`${action} with _csrf=${token}: ${r.status}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// Components

describe('/admin/components', () => {
  it('shows viewers the list read-only', async () => {
    const r = await as.viewer.get('/admin/components');
    expect(r.status).toBe(200);
    expect(r.text).toContain('REST API');
    expect(r.text).not.toContain('name="status"');
    expect(r.text).not.toContain('New component');
    expect(words(r.text)).toContain('responders and above set the statuses');
  });

  it('lets a responder set a status (recorded by the service), and refuses a viewer', async () => {
    const rest = env.scenario.components.rest;
    await as.responder.get('/admin/components');
    const set = await as.responder.post('/admin/components', {
      intent: 'status',
      component_id: rest.id,
      status: 'major_outage',
    });
    expect(set.status).toBe(200);
    expect(words(set.text)).toContain('REST API is now major outage.');
    const { body } = await getJson('/api/v2/components.json');
    expect(body.components.find((c: { id: string }) => c.id === rest.id).status).toBe('major_outage');

    const bad = await as.responder.post('/admin/components', {
      intent: 'status',
      component_id: rest.id,
      status: 'fine',
    });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, `status-${rest.id}`)).toMatch(/^Choose one of/);

    await as.viewer.get('/admin/components');
    const refused = await as.viewer.post('/admin/components', {
      intent: 'status',
      component_id: rest.id,
      status: 'operational',
    });
    expect(refused.status).toBe(403);
    expect(words(refused.text)).toContain('Your role (viewer) cannot do this');
    // Responders may not restructure.
    const move = await as.responder.post('/admin/components', {
      intent: 'move',
      type: 'component',
      id: rest.id,
      direction: 'down',
    });
    expect(move.status).toBe(403);
  });

  it('lets an admin create a group and a component, keeping input and naming errors on 422', async () => {
    const a = as.admin;
    await a.get('/admin/components/groups/new');
    const group = await a.post('/admin/components/groups/new', {
      name: 'Storage',
      position: '9',
      visibility: 'public',
    });
    expect(group.status).toBe(303);
    expect(group.location).toBe('/admin/components?done=group-created');
    const list = await a.get(group.location!);
    expect(words(list.text)).toContain('The group is created.');
    const groupId = rowId(list.text, 'group', 'Storage');

    await a.get('/admin/components/new');
    const bad = await a.post('/admin/components/new', {
      name: ' ',
      description: 'Object storage',
      group_id: groupId,
      position: 'first',
      visibility: 'public',
      status: 'operational',
    });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, 'name')).toBe('Give the component a name');
    expect(fieldError(bad.text, 'position')).toBe('Must be a number');
    expect(bad.text).toMatch(/<textarea[^>]*id="description"[^>]*>\s*Object storage\s*<\/textarea>/);
    expect(bad.text).toMatch(new RegExp(`<option value="${groupId}" selected`));

    const made = await a.post('/admin/components/new', {
      name: 'Buckets',
      description: 'Object storage',
      group_id: groupId,
      visibility: 'internal',
      status: 'degraded_performance',
      showcase: 'true',
    });
    expect(made.status).toBe(303);
    const after = await a.get('/admin/components');
    const id = rowId(after.text, 'component', 'Buckets');
    const edit = await a.get(`/admin/components/${id}`);
    expect(inputValue(edit.text, 'name')).toBe('Buckets');
    const saved = await a.post(`/admin/components/${id}`, {
      name: 'Buckets (S3)',
      group_id: groupId,
      position: '2',
      visibility: 'internal',
    });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe('/admin/components?done=component-saved');
    expect(words((await a.get('/admin/components')).text)).toContain('Buckets (S3)');
  });

  it('reorders with the up and down buttons', async () => {
    const a = as.admin;
    const before = await a.get('/admin/components');
    const webhooks = env.scenario.components.webhooks.id;
    const order = (html: string) => [...html.matchAll(/<tr id="component-([a-z0-9]+)"/g)].map((m) => m[1]);
    expect(order(before.text).indexOf(webhooks)).toBeGreaterThan(
      order(before.text).indexOf(env.scenario.components.rest.id),
    );
    const moved = await a.post('/admin/components', {
      intent: 'move',
      type: 'component',
      id: webhooks,
      direction: 'up',
    });
    expect(moved.status).toBe(200);
    expect(words(moved.text)).toContain('Webhooks moved up.');
    expect(order(moved.text).indexOf(webhooks)).toBeLessThan(
      order(moved.text).indexOf(env.scenario.components.rest.id),
    );
  });

  it('deletes after a confirmation, and only an admin', async () => {
    const a = as.admin;
    const list = await a.get('/admin/components');
    const id = rowId(list.text, 'component', 'Buckets (S3)');
    const groupId = rowId(list.text, 'group', 'Storage');
    const ask = await a.get(`/admin/components/${id}/delete`);
    expect(ask.status).toBe(200);
    expect(words(ask.text)).toContain('Delete the component “Buckets (S3)”?');
    await as.comms.get('/admin/components');
    expect((await as.comms.post(`/admin/components/${id}/delete`, {})).status).toBe(403);
    const done = await a.post(`/admin/components/${id}/delete`, {});
    expect(done.status).toBe(303);
    expect(done.location).toBe('/admin/components?done=component-deleted');
    expect((await a.get(`/admin/components/${id}`)).status).toBe(404);

    await a.get(`/admin/components/groups/${groupId}/delete`);
    const gone = await a.post(`/admin/components/groups/${groupId}/delete`, {});
    expect(gone.status).toBe(303);
    expect(words((await a.get('/admin/components?done=group-deleted')).text)).toContain('The group is deleted.');
  });
});

// ---------------------------------------------------------------------------------------
// Maintenance

describe('/admin/maintenance', () => {
  it('schedules a window typed in the page’s time zone, once even when submitted twice', async () => {
    const c = as.comms;
    const form = await c.get('/admin/maintenance/new');
    expect(words(form.text)).toContain(`In the page's time zone, ${TIME_ZONE}.`);
    const key =
      inputValue(form.text, 'idempotency_key') ?? /name="idempotency_key" value="([^"]+)"/.exec(form.text)?.[1];
    expect(key).toBeTruthy();
    const fields = {
      name: 'Storage migration',
      body: 'We move the storage to new hardware.',
      scheduled_for: '2031-07-01T10:00',
      scheduled_until: '2031-07-01T12:30',
      components: env.scenario.components.rest.id,
      visibility: 'public',
      auto_start: 'true',
      auto_complete: 'true',
      idempotency_key: key!,
    };
    const first = await c.post('/admin/maintenance/new', fields);
    expect(first.status).toBe(303);
    expect(first.location).toBe('/admin/maintenance?done=scheduled');
    const again = await c.post('/admin/maintenance/new', fields);
    expect(again.status).toBe(303);

    const { body } = await getJson('/api/v2/scheduled-maintenances/upcoming.json');
    const found = body.scheduled_maintenances.filter((m: { name: string }) => m.name === 'Storage migration');
    expect(found).toHaveLength(1);
    // 10:00 in Paris in July is 08:00 UTC.
    expect(found[0].scheduled_for).toBe('2031-07-01T08:00:00.000Z');
    expect(found[0].scheduled_until).toBe('2031-07-01T10:30:00.000Z');

    const list = await c.get('/admin/maintenance?done=scheduled');
    expect(words(list.text)).toContain('The maintenance is scheduled.');
    const upcoming = list.text.slice(list.text.indexOf('id="upcoming-title"'), list.text.indexOf('id="past-title"'));
    expect(upcoming).toContain('Storage migration');
  });

  it('keeps the input and names the field when the window is wrong', async () => {
    const c = as.comms;
    await c.get('/admin/maintenance/new');
    const backwards = await c.post('/admin/maintenance/new', {
      name: 'Backwards',
      body: 'x',
      scheduled_for: '2031-07-01T10:00',
      scheduled_until: '2031-07-01T09:00',
      components: env.scenario.components.rest.id,
      visibility: 'public',
    });
    expect(backwards.status).toBe(422);
    expect(fieldError(backwards.text, 'scheduled_until')).toMatch(/must end after it starts/);
    expect(inputValue(backwards.text, 'name')).toBe('Backwards');
    expect(inputValue(backwards.text, 'scheduled_for')).toBe('2031-07-01T10:00');
    const garbled = await c.post('/admin/maintenance/new', {
      name: 'Garbled',
      body: 'x',
      scheduled_for: 'tomorrow',
      scheduled_until: '',
      visibility: 'public',
    });
    expect(garbled.status).toBe(422);
    expect(fieldError(garbled.text, 'scheduled_for')).toBe('Choose the date and time the maintenance starts');
    expect(fieldError(garbled.text, 'scheduled_until')).toBe('Choose the date and time the maintenance ends');
  });

  it('edits a maintenance, showing its window in the page’s zone', async () => {
    const m = env.scenario.incidents.maintenance;
    const c = as.comms;
    const form = await c.get(`/admin/maintenance/${m.id}`);
    expect(form.status).toBe(200);
    expect(inputValue(form.text, 'scheduled_for')).toBe(instantToZonedLocal(m.scheduledFor!, TIME_ZONE));
    const saved = await c.post(`/admin/maintenance/${m.id}`, {
      name: 'Database upgrade (v16)',
      scheduled_for: instantToZonedLocal(m.scheduledFor!, TIME_ZONE),
      scheduled_until: instantToZonedLocal(m.scheduledUntil!, TIME_ZONE),
      components: env.scenario.components.rest.id,
      visibility: 'public',
      notify_started: 'true',
    });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe('/admin/maintenance?done=saved');
    expect(words((await c.get('/admin/maintenance')).text)).toContain('Database upgrade (v16)');
    const empty = await c.post(`/admin/maintenance/${m.id}`, {
      name: 'Database upgrade (v16)',
      scheduled_for: instantToZonedLocal(m.scheduledFor!, TIME_ZONE),
      scheduled_until: instantToZonedLocal(m.scheduledUntil!, TIME_ZONE),
      visibility: 'public',
    });
    expect(empty.status).toBe(422);
    expect(fieldError(empty.text, 'components')).toBe('Choose the components this maintenance affects');
  });

  it('lets every role read the list but only comms and admin schedule', async () => {
    const viewer = await as.viewer.get('/admin/maintenance');
    expect(viewer.status).toBe(200);
    expect(viewer.text).not.toContain('/admin/maintenance/new');
    expect((await as.comms.get('/admin/maintenance')).text).toContain('/admin/maintenance/new');
    const refused = await as.responder.get('/admin/maintenance/new');
    expect(refused.status).toBe(403);
    expect(words(refused.text)).toContain('Not allowed');
    expect(words(refused.text)).toContain('Your role (responder) cannot do this');
  });
});

// ---------------------------------------------------------------------------------------
// Subscribers

describe('/admin/subscribers', () => {
  it('masks addresses and hides the search for viewers and responders', async () => {
    for (const role of ['viewer', 'responder'] as const) {
      const r = await as[role].get('/admin/subscribers?q=ann');
      expect(r.status).toBe(200);
      expect(r.text).toContain('a***@customer.example');
      expect(r.text).not.toContain('ann.lee@customer.example');
      expect(r.text).not.toContain('name="q"');
      expect(r.text).not.toContain('/delete');
    }
    const full = await as.comms.get('/admin/subscribers');
    expect(full.text).toContain('ann.lee@customer.example');
    expect(full.text).toContain('name="q"');
  });

  it('adds one: errors next to the field, duplicates refused, the counts follow', async () => {
    const c = as.comms;
    await c.get('/admin/subscribers');
    const bad = await c.post('/admin/subscribers', { email: 'not-an-address' });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, 'email')).toBe('Enter a valid email address');
    expect(inputValue(bad.text, 'email')).toBe('not-an-address');
    const ok = await c.post('/admin/subscribers', { email: 'Bo@Customer.example' });
    expect(ok.status).toBe(200);
    expect(words(ok.text)).toContain('Bo@customer.example is added; a confirmation email is on its way');
    expect(words(ok.text)).toMatch(/Pending 1\b/);
    const dup = await c.post('/admin/subscribers', { email: 'ann.lee@customer.example' });
    expect(dup.status).toBe(409);
    expect(words(dup.text)).toContain('ann.lee@customer.example is already subscribed');
    await as.responder.get('/admin/subscribers');
    expect((await as.responder.post('/admin/subscribers', { email: 'x@customer.example' })).status).toBe(403);
  });

  it('searches by part of the address', async () => {
    const hit = await as.admin.get('/admin/subscribers?q=LEE@');
    expect(words(hit.text)).toContain('1 matching “LEE@”');
    expect(hit.text).toContain('ann.lee@customer.example');
    const miss = await as.admin.get('/admin/subscribers?q=nobody');
    expect(words(miss.text)).toContain('No subscriber matches.');
  });

  it('imports pasted text or an uploaded CSV, reporting what was added, skipped and refused', async () => {
    const c = as.comms;
    await c.get('/admin/subscribers/import');
    const pasted = await c.post('/admin/subscribers/import', {
      csv: 'new.one@customer.example\nann.lee@customer.example\nnot an email\n',
    });
    expect(pasted.status).toBe(200);
    const text = words(pasted.text);
    expect(text).toContain('1 added, 1 skipped as already subscribed, 1 not valid.');
    expect(text).toContain('Already subscribed, skipped: line 2.');
    expect(text).toContain('Line 3: “not an email”: Enter a valid email address');

    const upload = new FormData();
    upload.set('_csrf', c.csrf!);
    upload.set(
      'file',
      new File([`email,components\nfrom.file@customer.example,${env.scenario.components.rest.id}\n`], 'list.csv', {
        type: 'text/csv',
      }),
    );
    const res = await fetch(`${env.server.url}/admin/subscribers/import`, {
      method: 'POST',
      body: upload,
      headers: {
        origin: env.server.url,
        cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    expect(res.status).toBe(200);
    expect(words(await res.text())).toContain('1 added, 0 skipped as already subscribed, 0 not valid.');
    const list = await c.get('/admin/subscribers?q=from.file');
    expect(words(list.text)).toContain('Confirmed');
    expect(words(list.text)).toContain('REST API');

    const empty = await c.post('/admin/subscribers/import', { csv: '  ' });
    expect(empty.status).toBe(422);
    expect(fieldError(empty.text, 'csv')).toBe('Choose a file or paste the addresses, one a line.');
    expect((await as.responder.get('/admin/subscribers/import')).status).toBe(403);
  });

  it('removes after a confirmation', async () => {
    const c = as.comms;
    const list = await c.get('/admin/subscribers?q=new.one');
    const id = /\/admin\/subscribers\/([a-z0-9]+)\/delete/.exec(list.text)![1];
    const ask = await c.get(`/admin/subscribers/${id}/delete`);
    expect(words(ask.text)).toContain('Remove new.one@customer.example?');
    const done = await c.post(`/admin/subscribers/${id}/delete`, {});
    expect(done.status).toBe(303);
    expect(done.location).toBe('/admin/subscribers?done=removed');
    expect(words((await c.get('/admin/subscribers?q=new.one')).text)).toContain('No subscriber matches.');
    expect((await c.get(`/admin/subscribers/${id}/delete`)).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------------------
// Users

describe('/admin/users', () => {
  it('refuses other roles, with a clear message, and changes nothing', async () => {
    await as.comms.get('/admin');
    const r = await as.comms.post('/admin/users', { email: 'sneaky@example.com', role: 'admin', password: '' });
    expect(r.status).toBe(403);
    expect(words(r.text)).toContain('Your role (comms) cannot do this: it needs admin or above (users:manage).');
    expect((await as.admin.get('/admin/users')).text).not.toContain('sneaky@example.com');
  });

  it('will not let the last admin demote or disable themselves', async () => {
    const me = env.prepared.people.admin.id;
    await as.admin.get(`/admin/users/${me}`);
    const demote = await as.admin.post(`/admin/users/${me}`, { intent: 'role', role: 'viewer' });
    expect(demote.status).toBe(409);
    expect(words(demote.text)).toContain('admin@example.com is the last active admin');
    const disable = await as.admin.post(`/admin/users/${me}`, { intent: 'disable' });
    expect(disable.status).toBe(409);
    expect((await as.admin.get('/admin/users')).status).toBe(200);
  });

  it('creates an account with a generated password shown once, which signs in', async () => {
    const a = as.admin;
    await a.get('/admin/users');
    const bad = await a.post('/admin/users', { email: 'nope', name: 'Dee', role: 'boss', password: 'short' });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, 'email')).toBe('Enter a valid email address');
    expect(fieldError(bad.text, 'role')).toMatch(/^Role must be one of/);
    expect(fieldError(bad.text, 'password')).toBe('Passwords need at least 12 characters');
    expect(inputValue(bad.text, 'name')).toBe('Dee');
    expect(bad.text).not.toContain('value="short"');

    const made = await a.post('/admin/users', {
      email: 'dee@example.com',
      name: 'Dee',
      role: 'responder',
      password: '',
    });
    expect(made.status).toBe(200);
    const password = /<code class="secret"[^>]*>([^<]+)<\/code>/.exec(made.text)![1];
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect((await a.get('/admin/users')).text).not.toContain(password);
    const dee = createBrowser(env.server.url);
    const signedIn = await dee.signIn('dee@example.com', password);
    expect(signedIn.status).toBe(303);
    expect((await dee.get('/admin/maintenance')).status).toBe(200);
    const taken = await a.post('/admin/users', { email: 'dee@example.com', role: 'viewer', password: '' });
    expect(taken.status).toBe(409);
  });

  it('changes a role and disables an account, ending that person’s sessions', async () => {
    const a = as.admin;
    const { people } = env.prepared;
    const demoted = browserWith(people['demote-me'].token);
    expect((await demoted.get('/admin/maintenance/new')).status).toBe(200);
    await a.get(`/admin/users/${people['demote-me'].id}`);
    const r = await a.post(`/admin/users/${people['demote-me'].id}`, { intent: 'role', role: 'viewer' });
    expect(r.status).toBe(200);
    expect(words(r.text)).toContain('demote-me@example.com is now viewer');
    expect((await demoted.get('/admin')).status).toBe(303);
    const bad = await a.post(`/admin/users/${people['demote-me'].id}`, { intent: 'role', role: 'owner' });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, 'role')).toMatch(/^Choose a role/);

    const disabled = browserWith(people['disable-me'].token);
    expect((await disabled.get('/admin')).status).toBe(200);
    await a.get(`/admin/users/${people['disable-me'].id}`);
    const off = await a.post(`/admin/users/${people['disable-me'].id}`, { intent: 'disable' });
    expect(off.status).toBe(200);
    expect(words(off.text)).toContain('disable-me@example.com is disabled');
    expect((await disabled.get('/admin')).status).toBe(303);
    const blocked = await createBrowser(env.server.url).signIn('disable-me@example.com', PASSWORD);
    expect(blocked.status).toBe(400);
    const on = await a.post(`/admin/users/${people['disable-me'].id}`, { intent: 'enable' });
    expect(words(on.text)).toContain('disable-me@example.com can sign in again.');
  });

  it('gives an account a new password, shown once', async () => {
    const { people } = env.prepared;
    const old = browserWith(people['reset-me'].token);
    await as.admin.get(`/admin/users/${people['reset-me'].id}`);
    const r = await as.admin.post(`/admin/users/${people['reset-me'].id}`, { intent: 'reset' });
    expect(r.status).toBe(200);
    const password = /<code class="secret"[^>]*>([^<]+)<\/code>/.exec(r.text)![1];
    expect((await old.get('/admin')).status).toBe(303);
    expect((await createBrowser(env.server.url).signIn('reset-me@example.com', password)).status).toBe(303);
    const unknown = await as.admin.post(`/admin/users/${people['reset-me'].id}`, { intent: 'promote' });
    expect(unknown.status).toBe(422);
  });
});

// ---------------------------------------------------------------------------------------
// API tokens

describe('/admin/tokens', () => {
  it('creates a token shown once, which works until it is revoked', async () => {
    const a = as.admin;
    await a.get('/admin/tokens');
    const bad = await a.post('/admin/tokens', { name: '', role: 'responder' });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, 'name')).toBe('Give the token a name');

    const made = await a.post('/admin/tokens', { name: 'Deploy script', role: 'responder' });
    expect(made.status).toBe(200);
    const token = /<code class="secret"[^>]*>([^<]+)<\/code>/.exec(made.text)![1];
    expect(token).toMatch(/^vigie_/);
    const auth = { authorization: `Bearer ${token}` };
    expect((await getJson('/api/v1/components', auth)).status).toBe(200);
    const list = await a.get('/admin/tokens');
    expect(list.text).not.toContain(token);
    const row = /<th scope="row"[^>]*>Deploy script<\/th>[\s\S]*?href="\/admin\/tokens\/([a-z0-9]+)"/.exec(list.text);
    const id = row![1];

    const ask = await a.get(`/admin/tokens/${id}`);
    expect(words(ask.text)).toContain('Revoking it stops it at once');
    const done = await a.post(`/admin/tokens/${id}`, {});
    expect(done.status).toBe(303);
    expect(done.location).toBe('/admin/tokens?done=revoked');
    expect((await getJson('/api/v1/components', auth)).status).toBe(401);
    expect(words((await a.get('/admin/tokens?done=revoked')).text)).toContain('The token is revoked');
  });

  it('refuses other roles', async () => {
    expect((await as.comms.get('/admin/tokens')).status).toBe(403);
    await as.comms.get('/admin');
    expect((await as.comms.post('/admin/tokens', { name: 'x', role: 'admin' })).status).toBe(403);
  });
});

// ---------------------------------------------------------------------------------------
// Settings

describe('/admin/settings', () => {
  it('names each bad field and keeps the input', async () => {
    const a = as.admin;
    const form = await a.get('/admin/settings');
    expect(inputValue(form.text, 'time_zone')).toBe(TIME_ZONE);
    expect(inputValue(form.text, 'severity_definitions-1-label')).toBe('Sev 1');
    const bad = await a.post('/admin/settings', {
      page_name: '',
      home_url: 'javascript:alert(1)',
      logo_url: 'javascript:alert(1)',
      accent_color: 'red',
      time_zone: '+02:00',
      locale: 'en',
      email_from: '',
      'severity_definitions.1.label': 'Sev 1',
      'severity_definitions.1.description': '',
      'severity_definitions.2.label': 'Sev 2',
      'severity_definitions.2.description': 'Major',
      'severity_definitions.3.label': 'Sev 3',
      'severity_definitions.3.description': 'Minor',
    });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, 'page_name')).toBe('Give the page a name');
    expect(fieldError(bad.text, 'home_url')).toBe('Enter an http:// or https:// address');
    expect(fieldError(bad.text, 'logo_url')).toMatch(/or a path starting with \//);
    expect(fieldError(bad.text, 'accent_color')).toMatch(/#rrggbb/);
    expect(inputValue(bad.text, 'accent_color')).toBe('red');
    expect(fieldError(bad.text, 'time_zone')).toMatch(/time zone name/);
    expect(fieldError(bad.text, 'severity_definitions-1-description')).toBe('Describe this severity');
    expect(inputValue(bad.text, 'home_url')).toBe('javascript:alert(1)');
    expect(inputValue(bad.text, 'time_zone')).toBe('+02:00');
  });

  it('saves, and the public page follows', async () => {
    const saved = await as.admin.post('/admin/settings', {
      page_name: 'Acme Status',
      home_url: 'https://acme.example',
      logo_url: '/brand/logo.svg',
      accent_color: '#FFE066',
      time_zone: TIME_ZONE,
      locale: 'en-GB',
      email_from: 'Acme Status <status@acme.example>',
      'severity_definitions.1.label': 'P1',
      'severity_definitions.1.description': 'Everything is down.',
      'severity_definitions.2.label': 'P2',
      'severity_definitions.2.description': 'Something big is broken.',
      'severity_definitions.3.label': 'P3',
      'severity_definitions.3.description': 'Something small is broken.',
    });
    expect(saved.status).toBe(200);
    expect(words(saved.text)).toContain('The settings are saved.');
    expect(inputValue(saved.text, 'severity_definitions-1-label')).toBe('P1');
    const home = await fetch(`${env.server.url}/`).then((r) => r.text());
    expect(home).toContain('Acme Status');
    expect(home).toContain('href="https://acme.example/"');
    // The logo replaces the name (kept as its text alternative); the pale accent is darkened for the light theme.
    expect(home).toContain('<img class="brand-logo" src="/brand/logo.svg" alt="Acme Status">');
    const light = /html:root\{--link:(#[0-9a-f]{6});/.exec(home)?.[1];
    expect(light).toBeDefined();
    expect(light).not.toBe('#ffe066');
    expect(contrastRatio(light!, '#f6f8fa')).toBeGreaterThanOrEqual(4.5);
    expect(inputValue(saved.text, 'accent_color')).toBe('#ffe066');
  });

  it('sets the default language with a select, and the public page speaks it without a preference', async () => {
    const fields = (locale: string) => ({
      page_name: 'Acme Status',
      home_url: 'https://acme.example',
      time_zone: TIME_ZONE,
      locale,
      email_from: '',
      'severity_definitions.1.label': 'P1',
      'severity_definitions.1.description': 'Everything is down.',
      'severity_definitions.2.label': 'P2',
      'severity_definitions.2.description': 'Something big is broken.',
      'severity_definitions.3.label': 'P3',
      'severity_definitions.3.description': 'Something small is broken.',
    });
    const saved = await as.admin.post('/admin/settings', fields('fr-FR'));
    expect(saved.status).toBe(200);
    expect(saved.text).toMatch(/<select[^>]*name="locale"/);
    expect(saved.text).toMatch(/<option value="fr-FR" selected>/);
    const fr = await fetch(`${env.server.url}/`);
    const text = await fr.text();
    expect(text).toContain('<html lang="fr-FR">');
    expect(text).toContain('Incidents en cours');
    // A reader who prefers English still gets English.
    const en = await fetch(`${env.server.url}/`, { headers: { 'accept-language': 'en' } }).then((r) => r.text());
    expect(en).toContain('<html lang="en">');
    expect((await as.admin.post('/admin/settings', fields('en-GB'))).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------
// Audit log

describe('/admin/audit', () => {
  it('lists what happened, newest first, with before and after, and filters', async () => {
    const a = as.admin;
    const all = await a.get('/admin/audit');
    expect(all.status).toBe(200);
    expect(all.text).toContain('settings.update');
    const roles = await a.get(`/admin/audit?action=user.role_change`);
    const text = auditEntries(roles.text);
    expect(text).toContain('1 entry');
    expect(text).toContain(`user ${env.prepared.people['demote-me'].id}`);
    expect(text).toMatch(/role comms viewer/);
    expect(roles.text).toContain(`href="/admin/users/${env.prepared.people['demote-me'].id}"`);
    const family = auditEntries((await a.get('/admin/audit?action=user&entity_type=user')).text);
    expect(family).toContain('user.password_reset');
    expect(family).not.toContain('settings.update');
    const byActor = auditEntries((await a.get('/admin/audit?actor=admin%40example.com&action=api_token')).text);
    expect(byActor).toContain('api_token.revoke');
    const today = new Date().toISOString().slice(0, 10);
    expect(words((await a.get(`/admin/audit?from=2000-01-01&to=2000-01-02`)).text)).toContain('Nothing matches.');
    expect(words((await a.get(`/admin/audit?from=${today}&action=settings.update`)).text)).toContain('settings.update');
  });

  it('answers bad filters with 400 and a message next to the field', async () => {
    const bad = await as.admin.get('/admin/audit?from=yesterday&actor=x');
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'from')).toBe('Use a date like 2026-01-31');
    expect(inputValue(bad.text, 'actor')).toBe('x');
    expect((await as.admin.get('/admin/audit?page=-1')).status).toBe(400);
    expect((await as.comms.get('/admin/audit')).status).toBe(403);
  });
});
