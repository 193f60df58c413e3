/**
 * The admin incident pages over HTTP, with the scenario seeded and one user per role: a comms
 * lead opens a public incident from a template, checks the preview (page, feed, email,
 * recipients), publishes it once however often the button is pressed, posts an internal
 * update and resolves it; a responder cannot publish, even with a forged form; a viewer only
 * reads; bad input re-renders the form with messages (422), never a 500.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribers } from '../../src/db/schema/index.ts';
import { createComponent } from '../../src/server/components/service.ts';
import { createSubscriber } from '../../src/server/subscribers/service.ts';
import { createUser } from '../../src/server/users/service.ts';
import { createBrowser, type Browser } from '../helpers/browser.ts';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer } from '../helpers/server.ts';

const PASSWORD = 'correct-horse-battery';
const system = { type: 'system' as const, name: 'test' };

let env: Awaited<ReturnType<typeof startScenarioServer<{ search: string; login: string }>>>;
let url: string;
const as: Record<'viewer' | 'responder' | 'comms', Browser> = {} as never;

beforeAll(async () => {
  env = await startScenarioServer(
    {},
    {
      async prepare(db, scenario) {
        for (const role of ['viewer', 'responder', 'comms', 'admin']) {
          await createUser(db, system, { email: `${role}@example.com`, role, password: PASSWORD });
        }
        // Two components no other open incident holds, so resolving sets them back to operational.
        const search = await createComponent(db, system, {
          name: 'Search',
          groupId: scenario.groups.api.id,
          position: 3,
        });
        const login = await createComponent(db, system, {
          name: 'Login',
          groupId: scenario.groups.web.id,
          position: 2,
        });
        // Recipients of an update on Search and Login: everything@ and search@ only.
        const add = (email: string, componentIds?: string[], confirmed = true) =>
          createSubscriber(db, system, { email, componentIds, confirmed });
        await add('everything@example.com');
        await add('search@example.com', [search.id]);
        await add('dashboard@example.com', [scenario.components.dashboard.id]);
        await add('pending@example.com', undefined, false);
        const gone = await add('gone@example.com');
        const bounced = await add('bounced@example.com');
        await db.update(subscribers).set({ unsubscribedAt: new Date() }).where(eq(subscribers.id, gone.id));
        await db.update(subscribers).set({ suppressedAt: new Date() }).where(eq(subscribers.id, bounced.id));
        return { search: search.id, login: login.id };
      },
    },
  );
  url = env.server.url;
  for (const role of ['viewer', 'responder', 'comms'] as const) {
    as[role] = createBrowser(url);
    const r = await as[role].signIn(`${role}@example.com`, PASSWORD);
    expect(r.status).toBe(303);
  }
});
afterAll(async () => {
  await env?.stop();
});

/** Decodes the few entities Astro writes in text and attribute values. */
function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

/** The hidden fields of the preview's Publish / Edit form. */
function previewFields(html: string): Record<string, string> {
  const start = html.indexOf('class="preview-actions"');
  expect(start, 'the page is a preview').toBeGreaterThan(-1);
  const form = html.slice(start, html.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    fields[decode(m[1])] = decode(m[2]);
  return fields;
}

/** The text of the element carrying a data attribute (the preview marks its parts with them). */
function dataText(html: string, attribute: string): string | undefined {
  const m = new RegExp(`${attribute}[^>]*>([^<]*)<`).exec(html);
  return m ? decode(m[1]) : undefined;
}

function idempotencyKey(html: string): string {
  return /name="idempotency_key" value="([^"]+)"/.exec(html)![1];
}

function textarea(html: string, name: string): string {
  return decode(new RegExp(`<textarea[^>]*name="${name}"[^>]*>([^<]*)</textarea>`).exec(html)![1]);
}

/** The error shown next to a field (`id="<field>-error"`). */
function fieldError(html: string, id: string): string | undefined {
  const m = new RegExp(`id="${id}-error"[^>]*>([^<]*)<`).exec(html);
  return m ? decode(m[1]) : undefined;
}

const json = async (path: string) => (await fetch(url + path)).json();
const text = async (path: string) => (await fetch(url + path)).text();

describe('a comms lead publishes a templated incident', () => {
  const NAME = 'Investigating issues with Search and Login';
  let incidentId: string;

  it('fills the form from the external template', async () => {
    const r = await as.comms.get('/admin/incidents/new?template=defaultinvestigatingexternal');
    expect(r.status).toBe(200);
    expect(r.text).toContain('value="Investigating issues with {{components}}"');
    expect(textarea(r.text, 'body')).toBe(
      'We are looking into problems with {{components}} and will post updates here soon.',
    );
    // The public choice and the notify box (checked) are offered to comms; the severities are defined.
    expect(r.text).toMatch(/name="visibility" value="public" checked/);
    expect(r.text).toMatch(/name="notify"[^>]*checked|checked[^>]*name="notify"/);
    expect(r.text).toContain('Major: a major function is unavailable or badly degraded for many customers.');
    // Both kinds of templates are listed, labelled.
    expect(r.text).toContain('For customers');
    expect(r.text).toContain('<optgroup label="Internal"');
  });

  it('refills from the template with the chosen components, keeping the other values', async () => {
    const form = await as.comms.get('/admin/incidents/new');
    const r = await as.comms.post('/admin/incidents/new', {
      step: 'template',
      template_id: 'defaultinvestigatingexternal',
      name: '',
      severity: '2',
      visibility: 'public',
      status: 'investigating',
      body: '',
      notify: 'true',
      idempotency_key: idempotencyKey(form.text),
      [`components.${env.prepared.search}`]: 'partial_outage',
      [`components.${env.prepared.login}`]: 'degraded_performance',
    });
    expect(r.status).toBe(200);
    expect(r.text).toContain(`value="${NAME}"`);
    expect(textarea(r.text, 'body')).toBe(
      'We are looking into problems with Search and Login and will post updates here soon.',
    );
    expect(r.text).toMatch(/name="severity" value="2" checked/);
    expect(r.text).toContain(`name="idempotency_key" value="${idempotencyKey(form.text)}"`);
  });

  let publish: Record<string, string>;

  it('previews the page, the feed item, the email and the recipients before anything is written', async () => {
    const form = await as.comms.get('/admin/incidents/new?template=defaultinvestigatingexternal');
    const r = await as.comms.post('/admin/incidents/new', {
      step: 'review',
      template_id: 'defaultinvestigatingexternal',
      // Placeholders left in the text are filled for the preview.
      name: 'Investigating issues with {{components}}',
      severity: '2',
      visibility: 'public',
      status: 'investigating',
      body: textarea(form.text, 'body'),
      notify: 'true',
      idempotency_key: idempotencyKey(form.text),
      [`components.${env.prepared.search}`]: 'partial_outage',
      [`components.${env.prepared.login}`]: 'degraded_performance',
      [`components.${env.scenario.components.rest.id}`]: '',
    });
    expect(r.status).toBe(200);
    const body = 'We are looking into problems with Search and Login and will post updates here soon.';
    // (a) the public card and timeline, (b) the feed item, (c) the email, (d) who gets it.
    const page = r.text.slice(r.text.indexOf('data-preview="page"'), r.text.indexOf('data-preview="rss"'));
    expect(page).toContain(NAME);
    expect(page).toContain(body);
    expect(page).toContain('Search: Partial outage, Login: Degraded performance');
    expect(dataText(r.text, 'data-rss-title')).toBe(`${NAME} — Investigating`);
    expect(r.text).toContain('Affected: Search (Partial outage), Login (Degraded performance)');
    expect(dataText(r.text, 'data-email-subject')).toBe(`[Vigie] ${NAME} — Investigating`);
    expect(r.text).toContain('Follow this incident:');
    expect(r.text).toContain('data-recipients="2"');
    expect(r.text).toContain('2 subscribers</span> will be emailed');
    // What each language gets: the scenario's subscribers have no language, so the page's default.
    expect(r.text).toMatch(/English \(2 subscribers\): <q lang="en"[^>]*>\[Vigie\] [^<]+ — Investigating<\/q>/);
    expect(r.text).toMatch(/Français \(0 subscribers\): <q lang="fr"[^>]*>\[Vigie\] [^<]+ — Analyse en cours<\/q>/);
    publish = previewFields(r.text);
    expect(publish).toMatchObject({ name: NAME, body, visibility: 'public', notify: 'true', severity: '2' });
    expect(publish.idempotency_key).toBe(idempotencyKey(form.text));
    // Nothing is published by the preview.
    expect(await text('/')).not.toContain(NAME);
  });

  it('goes back to the form with every value kept (Edit)', async () => {
    const r = await as.comms.post('/admin/incidents/new', { ...publish, step: 'edit' });
    expect(r.status).toBe(200);
    expect(r.text).toContain(`value="${NAME}"`);
    expect(r.text).toContain(`name="idempotency_key" value="${publish.idempotency_key}"`);
    expect(r.text).toMatch(new RegExp(`name="components.${env.prepared.search}"[^]*?value="partial_outage" selected`));
  });

  it('publishes once, however many times the form is submitted', async () => {
    const first = await as.comms.post('/admin/incidents/new', { ...publish, step: 'publish' });
    expect(first.status).toBe(303);
    const match = /^\/admin\/incidents\/([a-z0-9]+)\?done=published$/.exec(first.location ?? '');
    expect(match, first.location ?? first.text.slice(0, 500)).not.toBeNull();
    incidentId = match![1];
    const again = await Promise.all(
      [1, 2, 3].map(() => as.comms.post('/admin/incidents/new', { ...publish, step: 'publish' })),
    );
    for (const r of again) expect(r.location).toBe(first.location);

    const { incidents } = await json('/api/v2/incidents.json');
    const mine = incidents.filter((i: { name: string }) => i.name === NAME);
    expect(mine).toHaveLength(1);
    expect(mine[0].incident_updates).toHaveLength(1);
    expect(mine[0].impact).toBe('major');
  });

  it('is on the status page, in summary.json and in the feed', async () => {
    const home = await text('/');
    expect(home).toContain(NAME);
    expect(home).toContain('We are looking into problems with Search and Login');
    const summary = await json('/api/v2/summary.json');
    expect(summary.incidents.map((i: { name: string }) => i.name)).toContain(NAME);
    const status = (id: string) => summary.components.find((c: { id: string }) => c.id === id)?.status;
    expect(status(env.prepared.search)).toBe('partial_outage');
    expect(status(env.prepared.login)).toBe('degraded_performance');
    expect(await text('/feed.rss')).toContain(`${NAME} — Investigating`);
    const page = await as.comms.get(`/admin/incidents/${incidentId}?done=published`);
    expect(page.text).toContain('The incident is published on the status page.');
  });

  it('lists it among the open incidents', async () => {
    const r = await as.comms.get('/admin/incidents');
    expect(r.status).toBe(200);
    const open = r.text.slice(r.text.indexOf('id="open-incidents"'), r.text.indexOf('id="closed-incidents"'));
    expect(open).toContain(NAME);
    expect(open).toContain('Sev 2');
    expect(r.text).toContain('href="/admin/incidents/new"');
  });

  it('posts an internal update that only staff see', async () => {
    const page = await as.comms.get(`/admin/incidents/${incidentId}`);
    expect(page.status).toBe(200);
    const note = `Cache node swap in progress ${INTERNAL_MARKER}`;
    const r = await as.comms.post(`/admin/incidents/${incidentId}`, {
      action: 'update',
      step: 'review',
      status: 'investigating',
      audience: 'internal',
      body: note,
      notify: 'true', // ignored: internal updates are never emailed
      template_id: '',
      idempotency_key: idempotencyKey(page.text),
    });
    expect(r.status).toBe(303);
    expect(r.location).toBe(`/admin/incidents/${incidentId}?done=posted`);
    expect((await as.viewer.get(`/internal/incidents/${incidentId}`)).text).toContain(note);
    const timeline = (await as.comms.get(`/admin/incidents/${incidentId}`)).text;
    expect(timeline).toContain(note);
    expect(timeline).toContain('class="update tone-partial update-internal"');
    for (const path of [
      '/',
      `/incidents/${incidentId}`,
      '/api/v2/incidents.json',
      '/feed.rss',
      '/api/v2/summary.json',
    ]) {
      expect(await text(path), path).not.toContain(INTERNAL_MARKER);
    }
  });

  it('publishes a public update from a template once, after its preview', async () => {
    const page = await as.comms.get(`/admin/incidents/${incidentId}?template=defaultidentifiedexternal`);
    expect(page.status).toBe(200);
    const body = textarea(page.text, 'body');
    expect(body).toContain('We have identified the cause of the problems with Search and Login');
    expect(page.text).toMatch(/<option value="identified" selected/);
    const preview = await as.comms.post(`/admin/incidents/${incidentId}`, {
      action: 'update',
      step: 'review',
      status: 'identified',
      audience: 'public',
      body,
      notify: 'true',
      template_id: 'defaultidentifiedexternal',
      idempotency_key: idempotencyKey(page.text),
    });
    expect(preview.status).toBe(200);
    expect(dataText(preview.text, 'data-rss-title')).toBe(`${NAME} — Identified`);
    expect(preview.text).toContain('data-recipients="2"');
    const fields = previewFields(preview.text);
    expect(fields.action).toBe('update');
    const results = await Promise.all(
      [1, 2].map(() => as.comms.post(`/admin/incidents/${incidentId}`, { ...fields, step: 'publish' })),
    );
    for (const r of results) expect(r.location).toBe(`/admin/incidents/${incidentId}?done=update-published`);
    const { incidents } = await json('/api/v2/incidents.json');
    const mine = incidents.find((i: { id: string }) => i.id === incidentId);
    expect(mine.status).toBe('identified');
    expect(mine.incident_updates).toHaveLength(2);
  });

  it('resolves it, with the default text previewed and the components back to operational', async () => {
    const page = await as.comms.get(`/admin/incidents/${incidentId}`);
    const resolveForm = page.text.slice(page.text.indexOf('name="action" value="resolve"'));
    expect(resolveForm).toContain('Back to Operational');
    const preview = await as.comms.post(`/admin/incidents/${incidentId}`, {
      action: 'resolve',
      step: 'review',
      body: '',
      notify: 'true',
      template_id: '',
      idempotency_key: /name="action" value="resolve"[^]*?name="idempotency_key" value="([^"]+)"/.exec(page.text)![1],
    });
    expect(preview.status).toBe(200);
    expect(preview.text).toContain(
      'The problems with Search and Login have been resolved and everything is working normally again.',
    );
    expect(dataText(preview.text, 'data-email-subject')).toBe(`[Vigie] ${NAME} — Resolved`);
    expect(preview.text).toContain('Search: Operational');
    expect(preview.text).toContain('Login: Operational');
    const r = await as.comms.post(`/admin/incidents/${incidentId}`, {
      ...previewFields(preview.text),
      step: 'publish',
    });
    expect(r.location).toBe(`/admin/incidents/${incidentId}?done=resolved`);
    const { components } = await json('/api/v2/components.json');
    const status = (id: string) => components.find((c: { id: string }) => c.id === id)?.status;
    expect(status(env.prepared.search)).toBe('operational');
    expect(status(env.prepared.login)).toBe('operational');
    const list = (await as.comms.get('/admin/incidents')).text;
    const closed = list.slice(list.indexOf('id="closed-incidents"'));
    expect(closed).toContain(NAME);
  });
});

describe('the preview', () => {
  it('shows markup in names as text, sanitizes the body, and never shows internal components', async () => {
    const form = await as.comms.get('/admin/incidents/new');
    const name = 'R&D <b>tools</b> ]]> "down"';
    const r = await as.comms.post('/admin/incidents/new', {
      step: 'review',
      name,
      severity: '1',
      visibility: 'public',
      status: 'investigating',
      body: '**Slow** <script>alert(1)</script> [docs](javascript:alert(2))',
      notify: '',
      idempotency_key: idempotencyKey(form.text),
      [`components.${env.scenario.components.cdn.id}`]: 'major_outage',
      [`components.${env.scenario.components.secretComponent.id}`]: 'major_outage',
    });
    expect(r.status).toBe(200);
    expect(dataText(r.text, 'data-rss-title')).toBe(`${name} — Investigating`);
    expect(dataText(r.text, 'data-email-subject')).toBe(`[Vigie] [Sev 1] ${name} — Investigating`);
    const shown = r.text.slice(r.text.indexOf('<main'), r.text.indexOf('class="preview-actions"'));
    expect(shown).not.toContain('<script>');
    expect(shown).not.toContain('javascript:');
    expect(shown).not.toContain('<b>tools</b>');
    expect(shown).toContain('<strong>Slow</strong>');
    expect(shown).not.toContain(INTERNAL_MARKER);
    expect(shown).toContain('CDN: Major outage');
    // Notify is off: nobody is emailed.
    expect(r.text).toContain('data-recipients="0"');
    expect(r.text).toContain('Subscribers will not be emailed');
  });
});

describe('a responder', () => {
  const active = () => env.scenario.incidents.active.id;

  it('is offered internal incidents and internal updates only', async () => {
    const form = await as.responder.get('/admin/incidents/new');
    expect(form.status).toBe(200);
    expect(form.text).not.toContain('name="visibility" value="public"');
    expect(form.text).toContain('Open the internal incident');
    const page = await as.responder.get(`/admin/incidents/${active()}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('name="audience" value="public"');
    expect(page.text).not.toContain('name="action" value="resolve"');
    expect(page.text).toContain('Only comms or admins resolve a public incident');
  });

  it('opens an internal incident at once, without a preview', async () => {
    const form = await as.responder.get('/admin/incidents/new');
    const r = await as.responder.post('/admin/incidents/new', {
      step: 'review',
      name: 'Queue backlog on workers',
      severity: '3',
      visibility: 'internal',
      status: 'investigating',
      body: 'Workers are slow to drain the queue.',
      idempotency_key: idempotencyKey(form.text),
    });
    expect(r.status).toBe(303);
    expect(r.location).toMatch(/^\/admin\/incidents\/[a-z0-9]+\?done=opened$/);
    expect(await text('/')).not.toContain('Queue backlog on workers');
  });

  it('gets a clear 403 for a forged public incident, and nothing is written', async () => {
    const form = await as.responder.get('/admin/incidents/new');
    for (const step of ['review', 'publish']) {
      const r = await as.responder.post('/admin/incidents/new', {
        step,
        name: `Forged public incident ${step}`,
        severity: '1',
        visibility: 'public',
        status: 'investigating',
        body: 'Everything is down.',
        idempotency_key: idempotencyKey(form.text),
      });
      expect(r.status, step).toBe(403);
      expect(r.text).toContain('<h1>Not allowed</h1>');
      expect(r.text).toMatch(/Your role \(responder\) cannot/);
    }
    const internal = await as.viewer.get('/internal');
    expect(internal.text).not.toContain('Forged public incident');
  });

  it('gets a clear 403 for a forged public update or status change, and nothing is written', async () => {
    const page = await as.responder.get(`/admin/incidents/${active()}`);
    const base = { action: 'update', template_id: '', idempotency_key: idempotencyKey(page.text) };
    const forged = [
      { ...base, step: 'review', status: 'identified', audience: 'public', body: 'Forged public update A' },
      { ...base, step: 'publish', status: 'identified', audience: 'public', body: 'Forged public update B' },
      { ...base, step: 'publish', status: 'monitoring', audience: 'internal', body: 'Forged status change C' },
      { action: 'resolve', step: 'publish', body: 'Forged resolve D', idempotency_key: 'forged-d' },
    ];
    for (const fields of forged) {
      const r = await as.responder.post(`/admin/incidents/${active()}`, fields);
      expect(r.status, fields.body).toBe(403);
      expect(r.text).toContain('<h1>Not allowed</h1>');
    }
    const timeline = (await as.viewer.get(`/internal/incidents/${active()}`)).text;
    expect(timeline).not.toContain('Forged');
    expect((await json('/api/v2/incidents/unresolved.json')).incidents.map((i: { id: string }) => i.id)).toContain(
      active(),
    );
  });

  it('posts an internal update on a public incident, keeping its status', async () => {
    const page = await as.responder.get(`/admin/incidents/${active()}`);
    const r = await as.responder.post(`/admin/incidents/${active()}`, {
      action: 'update',
      step: 'review',
      status: 'identified',
      audience: 'internal',
      body: `Responder note ${INTERNAL_MARKER}`,
      template_id: '',
      idempotency_key: idempotencyKey(page.text),
    });
    expect(r.status).toBe(303);
    expect((await as.viewer.get(`/internal/incidents/${active()}`)).text).toContain('Responder note');
    expect(await text(`/incidents/${active()}`)).not.toContain('Responder note');
  });
});

describe('a viewer', () => {
  it('reads the incident pages without any form', async () => {
    const list = await as.viewer.get('/admin/incidents');
    expect(list.status).toBe(200);
    expect(list.text).toContain('Elevated API error rates');
    expect(list.text).not.toContain('href="/admin/incidents/new"');
    const page = await as.viewer.get(`/admin/incidents/${env.scenario.incidents.active.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Root cause: ${INTERNAL_MARKER} database failover`);
    expect(page.text).not.toContain('name="action"');
    expect(page.text).toContain('Your role (viewer) can read incidents but not change them.');
    expect((await as.viewer.get('/admin/incidents/new')).status).toBe(403);
  });

  it('is refused every POST', async () => {
    const id = env.scenario.incidents.active.id;
    const attempts: [string, Record<string, string>][] = [
      [
        '/admin/incidents/new',
        {
          step: 'review',
          name: 'Viewer incident',
          severity: '3',
          visibility: 'internal',
          status: 'investigating',
          body: 'x',
        },
      ],
      ['/admin/incidents/new', { step: 'template', template_id: 'defaultinvestigatinginternal' }],
      ['/admin/incidents/new', { step: 'edit', name: 'x' }],
      [
        `/admin/incidents/${id}`,
        { action: 'update', step: 'review', status: 'identified', audience: 'internal', body: 'Viewer note' },
      ],
      [`/admin/incidents/${id}`, { action: 'resolve', step: 'review', body: '' }],
      [`/admin/incidents/${id}`, { action: 'edit', name: 'Renamed by a viewer', severity: '3', visibility: 'public' }],
    ];
    for (const [path, fields] of attempts) {
      const r = await as.viewer.post(path, fields);
      expect(r.status, `${path} ${JSON.stringify(fields)}`).toBe(403);
      expect(r.text).toContain('Your role (viewer) cannot');
    }
    const page = (await as.viewer.get(`/internal/incidents/${id}`)).text;
    expect(page).not.toContain('Viewer note');
    expect(page).not.toContain('Renamed by a viewer');
    expect((await as.viewer.get('/internal')).text).not.toContain('Viewer incident');
  });
});

describe('bad input', () => {
  const search = () => `components.${env.prepared.search}`;

  async function review(fields: Record<string, string>) {
    const form = await as.comms.get('/admin/incidents/new');
    return as.comms.post('/admin/incidents/new', {
      step: 'review',
      name: 'A valid name',
      severity: '3',
      visibility: 'internal',
      status: 'investigating',
      body: 'A valid body.',
      idempotency_key: idempotencyKey(form.text),
      ...fields,
    });
  }

  it('re-renders an empty form with a message next to each missing field', async () => {
    const r = await review({ name: '', severity: '', visibility: '', status: '', body: '' });
    expect(r.status).toBe(422);
    expect(fieldError(r.text, 'name')).toBe('Give the incident a name');
    expect(fieldError(r.text, 'severity')).toMatch(/Choose a severity/);
    expect(fieldError(r.text, 'visibility')).toMatch(/public or internal/);
    expect(fieldError(r.text, 'status')).toBe('Choose a status');
    expect(fieldError(r.text, 'body')).toBe('Write the first update');
    expect(r.text).toContain('role="alert"');
  });

  it('keeps the input and names the problem for unknown components, bad statuses, long text and leftovers', async () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ 'components.zzzzzzzzzzzz': 'partial_outage' }, 'components', /No such component: zzzzzzzzzzzz/],
      [{ [search()]: 'on_fire' }, `components-${env.prepared.search}`, /./],
      [{ status: 'exploded' }, 'status', /Choose one of/],
      [{ status: 'scheduled' }, 'status', /An incident’s status is one of/],
      [{ severity: '7' }, 'severity', /Choose a severity/],
      [{ severity: 'high' }, 'severity', /Choose a severity/],
      [{ visibility: 'everyone' }, 'visibility', /public or internal/],
      [{ body: 'x'.repeat(20_001) }, 'body', /Keep it under 20000 characters/],
      [{ name: 'n'.repeat(256) }, 'name', /Keep it under 255 characters/],
      [{ body: 'See ticket {{ticket_url}}' }, 'body', /Replace \{\{ticket_url\}\}/],
    ];
    for (const [fields, field, message] of cases) {
      const r = await review(fields);
      expect(r.status, JSON.stringify(fields).slice(0, 80)).toBe(422);
      expect(fieldError(r.text, field) ?? '', field).toMatch(message);
    }
    const long = await review({ body: 'y'.repeat(20_001) });
    expect(textarea(long.text, 'body')).toHaveLength(20_001);
  });

  it('re-renders a forged publish with bad input instead of writing it', async () => {
    const form = await as.comms.get('/admin/incidents/new');
    const r = await as.comms.post('/admin/incidents/new', {
      step: 'publish',
      name: 'Forged bad publish',
      severity: '2',
      visibility: 'public',
      status: 'resolved-ish',
      body: 'x',
      idempotency_key: idempotencyKey(form.text),
    });
    expect(r.status).toBe(422);
    expect(fieldError(r.text, 'status')).toMatch(/Choose one of/);
    expect(await text('/')).not.toContain('Forged bad publish');
  });

  it('answers a body that is not a form with messages, not a 500', async () => {
    const b = as.comms;
    await b.get('/admin/incidents/new');
    const res = await fetch(`${url}/admin/incidents/new`, {
      method: 'POST',
      headers: {
        cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        origin: url,
        'content-type': 'application/json',
        'x-csrf-token': b.csrf!,
      },
      body: JSON.stringify({ step: 'review', name: 'JSON' }),
    });
    expect(res.status).toBe(422);
  });

  it('validates updates and refuses unknown incidents with a 404', async () => {
    const id = env.scenario.incidents.active.id;
    const page = await as.comms.get(`/admin/incidents/${id}`);
    const r = await as.comms.post(`/admin/incidents/${id}`, {
      action: 'update',
      step: 'review',
      status: 'scheduled',
      audience: 'internal',
      body: '',
      idempotency_key: idempotencyKey(page.text),
    });
    expect(r.status).toBe(422);
    expect(fieldError(r.text, 'status')).toMatch(/An incident’s status is one of/);
    expect(fieldError(r.text, 'body')).toBe('Write the update');
    const internal = env.scenario.incidents.internal.id;
    const pub = await as.comms.post(`/admin/incidents/${internal}`, {
      action: 'update',
      step: 'review',
      status: 'investigating',
      audience: 'public',
      body: 'To customers',
    });
    expect(pub.status).toBe(422);
    expect(fieldError(pub.text, 'audience')).toMatch(/internal updates only/);

    expect((await as.comms.get('/admin/incidents/nosuchincident')).status).toBe(404);
    expect((await as.comms.get('/admin/incidents/Not-An-Id!')).status).toBe(404);
    expect((await as.comms.post('/admin/incidents/nosuchincident', { action: 'update', step: 'review' })).status).toBe(
      404,
    );
    // A maintenance is not an incident: its page lives elsewhere.
    expect((await as.comms.get(`/admin/incidents/${env.scenario.incidents.maintenance.id}`)).status).toBe(404);
    const template = await as.comms.get('/admin/incidents/new?template=nosuchtemplate');
    expect(template.status).toBe(200);
    expect(fieldError(template.text, 'template_id')).toMatch(/does not exist/);
  });

  it('validates the edit form', async () => {
    const id = env.scenario.incidents.active.id;
    const r = await as.comms.post(`/admin/incidents/${id}`, {
      action: 'edit',
      name: '',
      severity: '9',
      visibility: 'public',
    });
    expect(r.status).toBe(422);
    expect(fieldError(r.text, 'edit-name')).toBe('Give the incident a name');
    expect(fieldError(r.text, 'severity')).toMatch(/Choose a severity/);
    const ok = await as.comms.post(`/admin/incidents/${id}`, {
      action: 'edit',
      name: 'Elevated API error rates',
      severity: '1',
      visibility: 'public',
    });
    expect(ok.location).toBe(`/admin/incidents/${id}?done=edited`);
    expect((await as.comms.get(`/admin/incidents/${id}`)).text).toContain('Sev 1');
  });
});
