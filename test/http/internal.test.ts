/**
 * The internal status page over HTTP, with the scenario seeded: a signed-in viewer sees the
 * internal component, incident and update, each tagged Internal, with severities and links
 * within /internal; signed-out visitors go to the login form; nothing is cacheable or
 * indexable; and the same server's public pages still show nothing internal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_CACHE_CONTROL } from '../../src/server/http.ts';
import { createUser } from '../../src/server/users/service.ts';
import { createBrowser, type Browser } from '../helpers/browser.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { INTERNAL_MARKER, seedScenario } from '../helpers/scenario.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct-horse-battery';
const TAG = 'class="internal-tag"';

let t: TestDatabase;
let server: TestServer;
let s: Awaited<ReturnType<typeof seedScenario>>;
let viewer: Browser;

beforeAll(async () => {
  t = await createTestDatabase({ onDisk: true });
  s = await seedScenario(t.handle.db);
  await createUser(
    t.handle.db,
    { type: 'system', name: 'test' },
    { email: 'viewer@example.com', role: 'viewer', password: PASSWORD },
  );
  await t.close();
  server = await startServer(t.env);
  viewer = createBrowser(server.url);
  const signedIn = await viewer.signIn('viewer@example.com', PASSWORD);
  expect(signedIn.status).toBe(303);
});
afterAll(async () => {
  await server?.stop();
  await t?.drop();
});

/** The text of an HTML fragment, tags dropped and whitespace collapsed. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/**
 * The start of the innermost `<tag …>` element around the first occurrence of `needle`, up to
 * the next `</tag>` after it: enough to see the element's class and the marks next to its name.
 */
function around(html: string, needle: string, tag: string): string {
  const at = html.indexOf(needle);
  expect(at, `page contains ${needle}`).toBeGreaterThan(-1);
  const start = html.lastIndexOf(`<${tag}`, at);
  const end = html.indexOf(`</${tag}>`, at);
  expect(start, `<${tag}> around ${needle}`).toBeGreaterThan(-1);
  return html.slice(start, end);
}

async function staffGet(path: string) {
  const r = await viewer.get(path);
  return { ...r, html: r.text, words: text(r.text) };
}

describe('the internal status page', () => {
  it('shows the internal component, group, incident and update, each tagged Internal', async () => {
    const { status, res, html, words } = await staffGet('/internal');
    expect(status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain(INTERNAL_MARKER);

    const component = around(html, `component-name">Billing ${INTERNAL_MARKER} worker`, 'li');
    expect(component).toMatch(/^<li class="component component-internal"/);
    expect(component).toContain(TAG);
    const group = around(html, `Ops ${INTERNAL_MARKER} group`, 'li');
    expect(group).toMatch(/^<li class="group group-internal"/);
    expect(group).toContain(TAG);

    const incident = around(html, `Internal ${INTERNAL_MARKER} incident`, 'article');
    expect(incident).toContain('incident-internal');
    expect(incident).toContain(TAG);
    expect(incident).toContain(`href="/internal/incidents/${s.incidents.internal.id}"`);
    expect(text(incident)).toContain('Sev 3 — minor');

    // The public incident's timeline interleaves the internal update, tagged; the public ones are not.
    const note = around(html, `Root cause: ${INTERNAL_MARKER} database failover`, 'li');
    expect(note).toMatch(/^<li class="update tone-\w+ update-internal"/);
    expect(note).toContain(TAG);
    const publicUpdate = around(html, 'a fix is being implemented', 'li');
    expect(publicUpdate).not.toContain('internal');

    const active = around(html, 'Elevated API error rates', 'article');
    expect(active).not.toContain('incident-internal');
    expect(text(active)).toMatch(/Major impact\s+Sev 2 — major/);

    // Public components stay unmarked.
    expect(around(html, '>REST API', 'li')).not.toContain('internal');
    expect(words).toContain('Internal view: staff only. Items marked Internal are never shown to customers.');
  });

  it('links incidents within /internal, back to the public page and to the admin', async () => {
    const { html } = await staffGet('/internal');
    // Active, internal, upcoming maintenance, and last week's resolved one under "Past incidents".
    for (const i of Object.values(s.incidents)) expect(html).toContain(`href="/internal/incidents/${i.id}"`);
    expect(html).not.toMatch(/href="\/incidents\//);
    const notice = around(html, 'Internal view: staff only.', 'aside');
    expect(notice).toContain('href="/"');
    expect(notice).toContain('href="/admin"');
  });

  it('speaks the reader’s language, as the public page does', async () => {
    viewer.cookies.set('vigie_lang', 'fr');
    try {
      const { text } = await viewer.get('/internal');
      expect(text).toContain('<html lang="fr">');
      expect(text).toContain('Vue interne\u202f: réservée au personnel.');
      expect(text).toContain('Incidents en cours');
      expect(text).toContain('Interne');
    } finally {
      viewer.cookies.delete('vigie_lang');
    }
  });

  it('is private, never stored by a cache, and not indexed', async () => {
    const { res, html } = await staffGet('/internal');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(html).toContain('<meta name="robots" content="noindex">');
  });

  it('sends signed-out visitors to the login form', async () => {
    for (const path of ['/internal', `/internal/incidents/${s.incidents.internal.id}`]) {
      const r = await createBrowser(server.url).get(path);
      expect(r.status, path).toBe(303);
      expect(r.location).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
      expect(r.text).not.toContain(INTERNAL_MARKER);
    }
  });
});

describe('the internal incident page', () => {
  it('shows an internal incident, tagged, with its severity and timeline', async () => {
    const { status, res, html, words } = await staffGet(`/internal/incidents/${s.incidents.internal.id}`);
    expect(status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(html).toContain('<meta name="robots" content="noindex">');
    const header = around(html, `id="incident-title">Internal ${INTERNAL_MARKER} incident`, 'header');
    expect(header).toContain(TAG);
    expect(text(header)).toContain('Minor impact');
    expect(text(header)).toContain('Sev 3 — minor');
    expect(html).toMatch(/<article class="incident-page tone-\w+ incident-internal"/);
    expect(words).toContain(`Only staff: ${INTERNAL_MARKER}`);
    expect(html).toContain('href="/internal"');
  });

  it('interleaves internal updates, tagged, with the public ones of a public incident', async () => {
    const { status, html, words } = await staffGet(`/internal/incidents/${s.incidents.active.id}`);
    expect(status).toBe(200);
    const updates = [...html.matchAll(/<li class="update[^"]*"/g)].map((m) => m[0].includes('update-internal'));
    // Newest first: public, internal, public.
    expect(updates).toEqual([false, true, false]);
    const note = around(html, `Root cause: ${INTERNAL_MARKER} database failover`, 'li');
    expect(note).toContain(TAG);
    expect(words).toContain('The issue has been identified and a fix is being implemented.');
    expect(words).toContain('Sev 2 — major');
    // The internal component it affects is listed, tagged.
    expect(around(html, `Billing ${INTERNAL_MARKER} worker`, 'li')).toContain(TAG);
    expect(html).not.toMatch(/<article class="incident-page[^"]*incident-internal/);
  });

  it('shows a maintenance without a severity', async () => {
    const { status, words } = await staffGet(`/internal/incidents/${s.incidents.maintenance.id}`);
    expect(status).toBe(200);
    expect(words).toContain('Scheduled window');
    expect(words).not.toContain('Sev ');
  });

  it.each([
    ['an unknown id', '/internal/incidents/nope00000000'],
    ['a malformed id', '/internal/incidents/%3Cscript%3E'],
    ['an overlong id', `/internal/incidents/${'a'.repeat(300)}`],
  ])('answers 404 for %s', async (_, path) => {
    const r = await viewer.get(path);
    expect(r.status).toBe(404);
    expect(r.res.headers.get('cache-control')).toBe('private, no-store');
    expect(r.text).not.toContain('<script>');
  });
});

describe('the public pages of the same server', () => {
  it('never show internal data, internal marks or severities', async () => {
    for (const path of ['/', `/incidents/${s.incidents.active.id}`, '/history']) {
      const res = await fetch(server.url + path);
      const html = await res.text();
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control'), path).toBe(PUBLIC_CACHE_CONTROL);
      expect(html, path).not.toContain(INTERNAL_MARKER);
      expect(html, path).not.toContain('internal-tag');
      expect(html, path).not.toContain('Internal view');
      expect(html, path).not.toContain('noindex');
      expect(html, path).not.toMatch(/Sev \d/);
      expect(html, path).not.toContain('/internal/');
    }
  });
});
