/**
 * The response side of incidents over HTTP: on the staff pages, each active incident's
 * severity definition, roles, links, impact assessment, recap and draft post-mortem; on the
 * public surfaces (page, history, API v2, feeds), none of it, while a published post-mortem
 * shows everywhere a public update does.
 *
 * The process fields and the post-mortem columns are written with drizzle, as the admin and
 * the publishing service would; the post-mortem update goes through the real postUpdate.
 */
import { eq } from 'drizzle-orm';
import Parser from 'rss-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents, settings } from '../../src/db/schema/index.ts';
import { postUpdate } from '../../src/server/incidents/service.ts';
import { getSettings } from '../../src/server/settings/queries.ts';
import { V2_ENDPOINTS } from '../../src/server/statuspage/serialize.ts';
import { createUser } from '../../src/server/users/service.ts';
import { createBrowser, type Browser } from '../helpers/browser.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { INTERNAL_MARKER, seedScenario } from '../helpers/scenario.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct-horse-battery';
const M = INTERNAL_MARKER;

/** Every staff-only string seeded below; none may reach a public surface. */
const SECRETS = {
  chat: `https://chat.example.com/${M}-chat`,
  video: `https://meet.example.com/${M}-video`,
  ticket: `https://tickets.example.com/${M}-ticket`,
  manager: `Ana ${M} Manager`,
  techEmail: 'tech-lead-7731@example.com',
  customer: `Checkout fails ${M} customer impact`,
  visible: `A spinner ${M} then an error`,
  notes: `Notes ${M} from the assessment`,
  recap: `Recap ${M} written by the manager`,
  draft: `Draft ${M} post-mortem`,
  definition: `Sev 2 definition ${M}`,
  example: `Example ${M} of a Sev 2`,
  response: `Page ${M} the on-call now`,
};
const PUBLISHED = 'Published post-mortem: a full disk on the primary';

let t: TestDatabase;
let server: TestServer;
let s: Awaited<ReturnType<typeof seedScenario>>;
let viewer: Browser;
let impactStartedAt: Date;

beforeAll(async () => {
  t = await createTestDatabase({ onDisk: true });
  const db = t.handle.db;
  s = await seedScenario(db);
  const system = { type: 'system' as const, name: 'test' };
  await createUser(db, system, { email: 'viewer@example.com', role: 'viewer', password: PASSWORD });
  const manager = await createUser(db, system, {
    email: 'ana@example.com',
    name: SECRETS.manager,
    role: 'responder',
    password: PASSWORD,
  });
  // No name: the page shows the email.
  const tech = await createUser(db, system, { email: SECRETS.techEmail, role: 'responder', password: PASSWORD });

  await getSettings(db);
  await db
    .update(settings)
    .set({
      severityDefinitions: {
        '1': { label: 'Sev 1', description: 'Sev 1 definition' },
        '2': {
          label: 'Sev 2',
          description: SECRETS.definition,
          examples: [SECRETS.example],
          response: SECRETS.response,
        },
        '3': { label: 'Sev 3', description: 'Sev 3 definition' },
      },
    })
    .where(eq(settings.id, 1));

  impactStartedAt = new Date(Date.now() - 2 * 3_600_000);
  await db
    .update(incidents)
    .set({
      chatUrl: SECRETS.chat,
      videoUrl: SECRETS.video,
      ticketUrl: SECRETS.ticket,
      incidentManagerId: manager.id,
      techLeadId: tech.id,
      impactCustomer: SECRETS.customer,
      impactVisible: SECRETS.visible,
      impactScope: 'some',
      impactStartedAt,
      supportCases: 4217,
      impactFactors: { coreFeature: true, socialMedia: true, notes: SECRETS.notes },
      recap: `**${SECRETS.recap}**\n\n<script>alert(1)</script>`,
      postmortem: SECRETS.draft,
      postmortemPublishedAt: null,
    })
    .where(eq(incidents.id, s.incidents.active.id));

  // Stored links are validated on input; a bad one written around it must still never be a link.
  await db
    .update(incidents)
    .set({ chatUrl: 'javascript:alert(1)', videoUrl: `https://meet.example.com/${M}-internal-video` })
    .where(eq(incidents.id, s.incidents.internal.id));

  // The resolved incident's post-mortem is published: a public 'postmortem' update and the columns.
  await postUpdate(db, system, s.incidents.resolved.id, { status: 'postmortem', body: PUBLISHED, notify: false });
  await db
    .update(incidents)
    .set({
      postmortem: `## What happened\n\n${PUBLISHED}, **in detail**.`,
      postmortemPublishedAt: new Date(),
      recap: `Recap of the resolved one ${M}`,
    })
    .where(eq(incidents.id, s.incidents.resolved.id));

  await t.close();
  server = await startServer(t.env);
  viewer = createBrowser(server.url);
  expect((await viewer.signIn('viewer@example.com', PASSWORD)).status).toBe(303);
});
afterAll(async () => {
  await server?.stop();
  await t?.drop();
});

/** The text of an HTML fragment: inline tags dropped, others read as a space, whitespace collapsed. */
function text(html: string): string {
  return html
    .replace(/<\/?(?:strong|em|a|time|code|span)\b[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');
}

/** The `<tag …>…</tag>` around the first occurrence of `needle`. */
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
  expect(r.status, path).toBe(200);
  return { html: r.text, words: text(r.text) };
}

describe('/internal', () => {
  it("shows each active incident's severity definition, roles, links, customer impact and recap", async () => {
    const { html } = await staffGet('/internal');
    const card = around(html, 'Elevated API error rates', 'article');
    const words = text(card);
    expect(words).toContain(`Severity Sev 2: ${SECRETS.definition}`);
    expect(words).toContain(
      `Incident manager: ${SECRETS.manager} · Tech lead: ${SECRETS.techEmail} · Communications lead: Unassigned`,
    );
    expect(card).toContain(`<a href="${SECRETS.chat}" rel="noopener noreferrer">Chat channel</a>`);
    expect(card).toContain(`<a href="${SECRETS.video}" rel="noopener noreferrer">Video bridge</a>`);
    expect(card).toContain(`<a href="${SECRETS.ticket}" rel="noopener noreferrer">Ticket</a>`);
    expect(words).toContain(`Customer impact ${SECRETS.customer}`);
    expect(card).toContain(`<strong>${SECRETS.recap}</strong>`);
    expect(card).not.toContain('<script>');
    // Compact: the full assessment is on the incident page.
    expect(words).not.toContain(SECRETS.notes);

    // The internal incident: its javascript: link is dropped, the other one stays.
    const internal = around(html, `Internal ${M} incident`, 'article');
    expect(internal).not.toContain('javascript:');
    expect(internal).toContain(`href="https://meet.example.com/${M}-internal-video"`);
    expect(text(internal)).toContain('Incident manager: Unassigned');
    expect(text(internal)).toContain('Sev 3: Sev 3 definition');
  });
});

describe('/internal/incidents/{id}', () => {
  it('shows the key, severity definition with examples and response, roles, links and channel topic', async () => {
    const active = s.incidents.active;
    const { html, words } = await staffGet(`/internal/incidents/${active.id}`);
    const key = `INC-${active.number}`;
    expect(words).toContain(`Incident · ${key}`);
    expect(words).toContain(`Sev 2: ${SECRETS.definition}`);
    expect(words).toContain(`For example: ${SECRETS.example}`);
    expect(words).toContain(`Expected response: ${SECRETS.response}`);

    const roles = around(html, 'id="roles"', 'section');
    expect(text(roles)).toContain(`Incident manager ${SECRETS.manager} Runs the response`);
    expect(text(roles)).toContain(`Tech lead ${SECRETS.techEmail} Leads the investigation`);
    expect(text(roles)).toContain('Communications lead Unassigned Writes the customer updates');

    for (const [label, href] of [
      ['Chat channel', SECRETS.chat],
      ['Video bridge', SECRETS.video],
      ['Ticket', SECRETS.ticket],
    ]) {
      expect(html).toContain(`<a href="${href}" rel="noopener noreferrer">${label}</a>`);
    }
    const topic = `${key} · Sev 2 · Identified · Elevated API error rates · IM: ${SECRETS.manager} · Chat: ${SECRETS.chat} · Video: ${SECRETS.video} · Ticket: ${SECRETS.ticket}`;
    const input = /<input[^>]*id="channel-topic"[^>]*>/.exec(html)?.[0] ?? '';
    expect(input).toContain('readonly');
    expect(text(/value="([^"]*)"/.exec(input)?.[1] ?? '')).toBe(topic);
    expect(html).toContain('<label for="channel-topic">Channel topic</label>');
  });

  it('shows the full impact assessment, the recap and the draft post-mortem marked as such', async () => {
    const { html } = await staffGet(`/internal/incidents/${s.incidents.active.id}`);
    const assessment = text(around(html, 'id="assessment"', 'section'));
    expect(assessment).toContain(`Customer impact ${SECRETS.customer}`);
    expect(assessment).toContain(`What customers see ${SECRETS.visible}`);
    expect(assessment).toContain('How many customers Some customers');
    expect(assessment).toContain('Impact started');
    expect(assessment).toContain('Support cases 4217');
    expect(assessment).toContain('Other factors Social media attention, A core feature is unavailable or degraded');
    expect(assessment).toContain(`Notes ${SECRETS.notes}`);
    expect(around(html, 'id="assessment"', 'section')).toContain(`datetime="${impactStartedAt.toISOString()}"`);

    const recap = around(html, 'id="recap"', 'section');
    expect(recap).toContain(`<strong>${SECRETS.recap}</strong>`);
    expect(recap).not.toContain('<script>');

    const pm = around(html, 'id="postmortem"', 'section');
    expect(text(pm)).toContain('Draft, internal: not published');
    expect(pm).toContain('class="internal-tag"');
    expect(pm).toContain(SECRETS.draft);
  });

  it('shows a published post-mortem as published, and an unassessed incident as such', async () => {
    const { html } = await staffGet(`/internal/incidents/${s.incidents.resolved.id}`);
    const pm = around(html, 'id="postmortem"', 'section');
    expect(text(pm)).toContain('Published');
    expect(text(pm)).not.toContain('Draft');
    expect(pm).toContain(PUBLISHED);
    expect(text(around(html, 'id="assessment"', 'section'))).toContain('Not assessed yet.');
    expect(text(around(html, 'id="response"', 'section'))).toContain('No links yet');
  });

  it('shows no response for a maintenance', async () => {
    const { html, words } = await staffGet(`/internal/incidents/${s.incidents.maintenance.id}`);
    expect(html).not.toContain('id="response"');
    expect(words).not.toContain('Incident manager');
  });
});

describe('public surfaces', () => {
  function publicPaths(): string[] {
    const { active, resolved, maintenance } = s.incidents;
    const { rest, webhooks, dashboard, cdn } = s.components;
    return [
      '/',
      '/history',
      ...[active, resolved, maintenance].map((i) => `/incidents/${i.id}`),
      '/feed.rss',
      ...[rest, webhooks, dashboard, cdn].map((c) => `/components/${c.id}/feed.rss`),
      ...V2_ENDPOINTS.map((e) => `/api/v2/${e}.json`),
    ];
  }

  it('never show roles, links, assessment, recap, severity definitions or a draft post-mortem', async () => {
    for (const path of publicPaths()) {
      const res = await fetch(server.url + path);
      const body = await res.text();
      expect(res.status, path).toBe(200);
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(body, `${path} leaks ${name}`).not.toContain(secret);
      }
      expect(body, path).not.toContain(M);
      for (const word of ['Incident manager', 'Tech lead', 'Unassigned', 'Channel topic', 'INC-', 'Draft']) {
        expect(body, `${path} contains ${word}`).not.toContain(word);
      }
    }
  });

  it('show a published post-mortem on the incident page, above the timeline', async () => {
    const res = await fetch(`${server.url}/incidents/${s.incidents.resolved.id}`);
    const html = await res.text();
    expect(res.status).toBe(200);
    const pm = around(html, 'id="postmortem"', 'section');
    expect(text(pm)).toMatch(/Post-mortem Published \w/);
    expect(pm).toContain(`<h3>What happened</h3>`);
    expect(pm).toContain('<strong>in detail</strong>');
    expect(html.indexOf('id="postmortem"')).toBeLessThan(html.indexOf('id="updates"'));
    // The update itself, labelled, newest in the timeline.
    const first = around(html, '<li class="update', 'li');
    expect(text(first)).toContain(`Postmortem`);
    expect(first).toContain(PUBLISHED);
  });

  it('show no post-mortem section for an incident with only a draft', async () => {
    const html = await (await fetch(`${server.url}/incidents/${s.incidents.active.id}`)).text();
    expect(html).not.toContain('id="postmortem"');
    expect(html).not.toContain('Post-mortem');
  });

  it('give the post-mortem status and update in API v2, as Statuspage does', async () => {
    const res = await fetch(`${server.url}/api/v2/incidents.json`);
    const json = (await res.json()) as {
      incidents: { id: string; status: string; incident_updates: { status: string; body: string }[] }[];
    };
    const resolved = json.incidents.find((i) => i.id === s.incidents.resolved.id)!;
    expect(resolved.status).toBe('postmortem');
    expect(resolved.incident_updates[0]).toMatchObject({ status: 'postmortem', body: PUBLISHED });
    const active = json.incidents.find((i) => i.id === s.incidents.active.id)!;
    expect(active.status).toBe('identified');
    expect(Object.keys(active)).not.toContain('postmortem_body');
  });

  it('put the post-mortem update in the feeds', async () => {
    for (const path of ['/feed.rss', `/components/${s.components.dashboard.id}/feed.rss`]) {
      const feed = await new Parser().parseString(await (await fetch(server.url + path)).text());
      const item = feed.items.find((i) => i.title === 'Dashboard unavailable — Postmortem');
      expect(item, path).toBeDefined();
      expect(item!.content ?? item!.contentSnippet ?? '', path).toContain(PUBLISHED);
    }
  });

  it('list it in the history as usual', async () => {
    const html = await (await fetch(`${server.url}/history`)).text();
    const row = around(html, 'Dashboard unavailable', 'article');
    expect(text(row)).toContain('Postmortem');
  });
});
