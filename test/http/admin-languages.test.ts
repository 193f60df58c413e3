/**
 * The admin in English and French, over HTTP against the built server with the scenario
 * seeded: a signed-in staff member whose browser asks for French gets every admin page in
 * French (`<html lang="fr">`, `Content-Language: fr`, the frame's words), and no page keeps
 * the English words of its headings, labels, buttons and table headers: the crawl reads each
 * page in both languages and fails on any of those left the same, text people wrote aside.
 * The route list is read from src/pages/admin, so a new page is crawled too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiTokens,
  componentGroups,
  components,
  incidents,
  templates,
  users,
  webhooks,
} from '../../src/db/schema/index.ts';
import { createSession } from '../../src/server/auth/sessions.ts';
import { addUser } from '../../src/server/users/service.ts';
import { CREATE_FORM_ROUTES, resolveRoute, routesUnder, seedAdminListings } from '../helpers/routes.ts';
import { startScenarioServer } from '../helpers/server.ts';

const system = { type: 'system' as const, name: 'test' };
const FR = 'fr-FR,fr;q=0.9,en;q=0.8';
const EN = 'en-GB,en;q=0.9';

type Started = Awaited<ReturnType<typeof start>>;
let env: Started;

function start() {
  return startScenarioServer(
    {},
    {
      async prepare(db) {
        const { user } = await addUser(db, system, {
          email: 'polyglot@example.com',
          role: 'admin',
          password: 'correct-horse-battery',
        });
        const listings = await seedAdminListings(db, system, 'Seeded');
        // Text people wrote (names of components, groups, incidents, templates, people) is never translated.
        const written = [
          ...(await db.select({ name: components.name }).from(components)),
          ...(await db.select({ name: components.description }).from(components)),
          ...(await db.select({ name: componentGroups.name }).from(componentGroups)),
          ...(await db.select({ name: incidents.name }).from(incidents)),
          ...(await db.select({ name: templates.name }).from(templates)),
          ...(await db.select({ name: users.name }).from(users)),
          ...(await db.select({ name: apiTokens.name }).from(apiTokens)),
          ...(await db.select({ name: webhooks.name }).from(webhooks)),
        ].map((r) => r.name ?? '');
        return {
          written: written.filter(Boolean),
          userId: user.id,
          session: (await createSession(db, user.id)).token,
          ...listings,
        };
      },
    },
  );
}

beforeAll(async () => {
  env = await start();
});
afterAll(async () => {
  await env?.stop();
});

/** Every route under src/pages/admin and src/pages/internal, as a URL pattern (as admin-sections.test.ts walks them). */
function staffRoutes(): string[] {
  return [...routesUnder('admin'), ...routesUnder('internal'), ...CREATE_FORM_ROUTES].sort();
}

/** A real URL for a route pattern. */
function resolve(route: string): string {
  const ids: Record<string, string> = {
    '/admin/components': env.scenario.components.rest.id,
    '/admin/components/groups': env.scenario.groups.api.id,
    '/admin/maintenance': env.scenario.incidents.maintenance.id,
    '/admin/incidents': env.scenario.incidents.active.id,
    '/admin/subscribers': env.prepared.subscriberId,
    '/admin/users': env.prepared.userId,
    '/admin/tokens': env.prepared.tokenId,
    '/admin/webhooks': env.prepared.webhookId,
    '/admin/templates': env.prepared.templateId,
    '/internal/incidents': env.scenario.incidents.active.id,
  };
  return resolveRoute(route, ids);
}

async function get(url: string, lang: string, signedIn = true) {
  const res = await fetch(env.server.url + url, {
    redirect: 'manual',
    headers: {
      'accept-language': lang,
      ...(signedIn ? { cookie: `vigie_session=${env.prepared.session}` } : {}),
    },
  });
  return { res, text: await res.text() };
}

/** The text of an HTML fragment, tags dropped, a few entities decoded, whitespace collapsed. */
function words(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** What Vigie itself writes on a page: headings, labels, legends, buttons, table headers, hints, errors, empty states. */
function chromeTexts(html: string): string[] {
  const main = html.slice(Math.max(0, html.indexOf('<main')));
  const out: string[] = [];
  const re =
    /<(h[1-4]|th|label|legend|button|summary|caption|dt|option)\b[^>]*>([\s\S]*?)<\/\1>|<(?:p|span|div)\b[^>]*class="(?:hint|empty[^"]*|form-error[^"]*|field-error|notice[^"]*)"[^>]*>([\s\S]*?)<\/(?:p|span|div)>|<a\b[^>]*class="button[^"]*"[^>]*>([\s\S]*?)<\/a>/g;
  for (const m of main.matchAll(re)) {
    const text = words(m[2] ?? m[3] ?? m[4] ?? '');
    if (/[a-zA-Z]{3,}/.test(text)) out.push(text);
  }
  return out;
}

/** Words the same in both languages, or names: never a sign of a page left in English. */
const SAME_IN_BOTH = new Set([
  'Incident',
  'Incidents',
  'Public',
  'Webhooks',
  'Webhook',
  'Format',
  'Action',
  'Actions',
  'Structure',
  'Description',
  'Position',
  'Logo',
  'Maintenance',
  'Ticket',
  'Total',
]);

/** The frame's English words, which no French admin page may show. */
const ENGLISH_FRAME = ['Skip to main content', 'Sign out', 'Vigie admin', 'Internal status page', 'Role: admin'];

/** Whether a text the same in both languages is no sign of English: a name people wrote, a code, a word both share. */
function neutral(text: string): boolean {
  if (SAME_IN_BOTH.has(text)) return true;
  // Codes and field names (`incident.create`, `chatUrl`, `api_token.*`): identifiers, not words.
  if (/^[a-z][a-zA-Z0-9_.*]*$/.test(text)) return true;
  // Template placeholders, email addresses, and each language's name in itself (the switcher, the locale choice).
  if (/^\{\{\w+\}\}$/.test(text) || /^\S+@\S+$/.test(text)) return true;
  if (/^(English|Français)( \(.+\))?$/.test(text)) return true;
  return env.prepared.written.some((name) => text.includes(name));
}

describe('the admin in French', () => {
  it('serves every admin and internal page in French to a French-speaking staff member, nothing of Vigie’s own left in English', async () => {
    const routes = staffRoutes();
    expect(routes).toContain('/admin/incidents/[id]');
    expect(routes).toContain('/internal/incidents/[id]');
    const problems: string[] = [];
    for (const route of routes) {
      const url = resolve(route);
      const signedIn = route !== '/admin/login';
      const fr = await get(url, FR, signedIn);
      const en = await get(url, EN, signedIn);
      if (fr.res.status !== 200) {
        problems.push(`${url}: ${fr.res.status}`);
        continue;
      }
      if (!fr.text.includes('<html lang="fr"')) problems.push(`${url}: no <html lang="fr">`);
      if (fr.res.headers.get('content-language') !== 'fr')
        problems.push(`${url}: Content-Language ${fr.res.headers.get('content-language')}`);
      if (en.res.headers.get('content-language') !== 'en')
        problems.push(`${url}: English Content-Language ${en.res.headers.get('content-language')}`);
      if (route.startsWith('/admin') && signedIn) {
        for (const english of ENGLISH_FRAME)
          if (fr.text.includes(english)) problems.push(`${url}: frame says ${english}`);
        for (const french of ['Tableau de bord', 'Se déconnecter', 'Journal d’audit', 'Rôle\u202f: administrateur']) {
          if (!fr.text.includes(french)) problems.push(`${url}: frame lacks ${french}`);
        }
      }
      const english = new Set(chromeTexts(en.text));
      const leftovers = chromeTexts(fr.text).filter((text) => english.has(text) && !neutral(text));
      for (const text of leftovers) problems.push(`${url}: still English: ${text}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('the admin’s language', () => {
  /** A form's CSRF token, read from the page as a browser would. */
  async function csrfOf(url: string): Promise<string> {
    const { text } = await get(url, FR);
    const token = /name="_csrf" value="([^"]*)"/.exec(text)?.[1];
    if (!token) throw new Error(`no CSRF token on ${url}`);
    return token;
  }

  it('re-renders a refused form (422) in French: the summary and the messages next to the fields', async () => {
    const form = new URLSearchParams({
      _csrf: await csrfOf('/admin/templates/new'),
      name: '',
      audience: 'external',
      kind: 'incident',
      title: '',
      status: 'identified',
      body: '  ',
    });
    const res = await fetch(`${env.server.url}/admin/templates/new`, {
      method: 'POST',
      redirect: 'manual',
      body: form,
      headers: { origin: env.server.url, 'accept-language': FR, cookie: `vigie_session=${env.prepared.session}` },
    });
    const text = await res.text();
    expect(res.status).toBe(422);
    expect(res.headers.get('content-language')).toBe('fr');
    expect(text).toContain('<html lang="fr"');
    expect(text).toContain('Vérifiez les champs signalés ci-dessous\u202f: rien n’a été enregistré.');
    expect(text).toContain('Donnez un nom (modèle)');
    expect(text).toContain('Écrivez le texte du modèle');
    expect(text).not.toContain('Give the template a name');
    expect(text).not.toContain('Check the fields marked below');
    // The same form in English keeps its English words.
    const english = await fetch(`${env.server.url}/admin/templates/new`, {
      method: 'POST',
      redirect: 'manual',
      body: form,
      headers: { origin: env.server.url, 'accept-language': EN, cookie: `vigie_session=${env.prepared.session}` },
    });
    const englishText = await english.text();
    expect(english.status).toBe(422);
    expect(englishText).toContain('<html lang="en"');
    expect(englishText).toContain('Give the template a name');
  });

  it('says the incident response in French on the admin and internal incident pages', async () => {
    const id = env.scenario.incidents.active.id;
    const admin = await get(`/admin/incidents/${id}`, FR);
    expect(admin.res.status).toBe(200);
    for (const french of ['Publier une mise à jour', 'Chronologie', 'Évaluation d’impact', 'Rôles']) {
      expect(admin.text, french).toContain(french);
    }
    // The resolve form's recap is pre-filled in the reader's language.
    expect(admin.text).toContain('- Tickets au support');
    expect(admin.text).not.toContain('- Support cases:');
    const internal = await get(`/internal/incidents/${id}`, FR);
    expect(internal.res.status).toBe(200);
    expect(internal.res.headers.get('content-language')).toBe('fr');
    for (const french of ['Clé de l’incident', 'Responsable d’incident', 'Sujet du canal']) {
      expect(internal.text, french).toContain(french);
    }
    for (const english of ['Incident key', 'Incident manager', 'Channel topic', 'Expected response']) {
      expect(internal.text, english).not.toContain(english);
    }
  });

  it('gives the default severity definitions in the reader’s language', async () => {
    const fr = await get('/admin/incidents/new', FR);
    expect(fr.res.status).toBe(200);
    expect(fr.text).toContain('Panne complète d’un service essentiel');
    expect(fr.text).toContain('Traiter aux heures ouvrées');
    expect(fr.text).not.toContain('Complete outage of a core service');
    const en = await get('/admin/incidents/new', EN);
    expect(en.text).toContain('Complete outage of a core service');
    expect(en.text).not.toContain('Panne complète d’un service essentiel');
  });

  it('writes the dates of the audit log and the maintenance list in the reader’s language', async () => {
    const FRENCH_DATE = /\b\d{1,2} (janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.? \d{4}/;
    const ENGLISH_DATE = /\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}/;
    for (const path of ['/admin/audit', '/admin/maintenance']) {
      const fr = await get(path, FR);
      expect(fr.res.status, path).toBe(200);
      expect(words(fr.text), path).toMatch(FRENCH_DATE);
      expect(words(fr.text), path).not.toMatch(ENGLISH_DATE);
      expect(words((await get(path, EN)).text), path).toMatch(ENGLISH_DATE);
    }
  });

  it('refuses a form without its CSRF token in French', async () => {
    const res = await fetch(`${env.server.url}/admin/templates/new`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ name: 'x' }),
      headers: { origin: env.server.url, 'accept-language': FR, cookie: `vigie_session=${env.prepared.session}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-language')).toBe('fr');
    const text = await res.text();
    expect(text).toContain('<html lang="fr">');
    expect(text).toContain('Ce formulaire a expiré');
  });

  it('offers the switcher in the admin frame, and the switcher’s cookie wins over Accept-Language', async () => {
    const { text } = await get('/admin/incidents', EN);
    expect(text).toContain('href="/lang?set=fr&amp;back=%2Fadmin%2Fincidents"');
    const set = await fetch(`${env.server.url}/lang?set=fr&back=${encodeURIComponent('/admin/incidents')}`, {
      redirect: 'manual',
    });
    expect(set.status).toBe(303);
    expect(set.headers.get('location')).toBe('/admin/incidents');
    const res = await fetch(`${env.server.url}/admin/incidents`, {
      redirect: 'manual',
      headers: { 'accept-language': EN, cookie: `vigie_session=${env.prepared.session}; vigie_lang=fr` },
    });
    const french = await res.text();
    expect(res.headers.get('content-language')).toBe('fr');
    expect(french).toContain('<html lang="fr"');
    expect(french).toContain('Ouvrir un incident');
    // The sign-in page too, before anyone is signed in.
    const login = await get('/admin/login', FR, false);
    expect(login.text).toContain('<html lang="fr"');
    expect(login.text).toContain('Connexion à Vigie');
    expect(login.text).toContain('href="/lang?set=en&amp;back=%2Fadmin%2Flogin"');
  });
});
