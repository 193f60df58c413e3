/**
 * One incident through the seven phases of the process, on the built server with its
 * in-process worker, the way staff would run it:
 *   1. a monitoring alert opens an internal draft;
 *   2. the responder adds the channel links;
 *   3. answers the assessment and accepts the suggested severity;
 *   4. the comms lead publishes from the external template (preview, then publish);
 *   5. outgoing webhooks fire to a local receiver (a public Slack one, an internal signed one);
 *   6. the roles are assigned;
 *   7. the incident is resolved with the recap and the all-clear, and a post-mortem published.
 * After every step the internal page shows the internal facts, and the public page, the v2
 * API, the feed, the emails in the mail sink and the public webhook's payloads show only
 * public ones: every internal fact carries INTERNAL_MARKER, and no public surface may hold it.
 */
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertMappings } from '../../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createUser, createApiToken } from '../../src/server/users/service.ts';
import { createWebhook } from '../../src/server/webhooks/service.ts';
import { createBrowser, type Browser } from '../helpers/browser.ts';
import { usingPostgres } from '../helpers/db.ts';
import { decodeHeader, readSink } from '../helpers/mail.ts';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer } from '../helpers/server.ts';
import { addSubscribers } from '../helpers/subscribers.ts';

const PASSWORD = 'correct-horse-battery';
const SITE = 'https://status.example.com';
const M = INTERNAL_MARKER;
const CHAT = `https://chat.example.com/c/${M}-inc`;
const VIDEO = `https://meet.example.com/${M}`;
const TICKET = `https://tickets.example.com/${M}-T42`;
const IMPACT = `Checkout fails for EU customers (${M} impact)`;
const RECAP_NOTE = `Root cause: expired certificate on the EU gateway (${M} recap).`;
const PUBLIC_NAME = 'Checkout errors';

type Delivery = { path: string; headers: http.IncomingHttpHeaders; body: string };
const received: Delivery[] = [];
let receiver: http.Server;
let receiverUrl: string;
let mailDir: string | undefined;

type Prepared = { hookToken: string; signedSecret: string };
let app: Awaited<ReturnType<typeof startScenarioServer<Prepared>>>;
let url: string;
let responder: Browser;
let comms: Browser;
let incidentId: string;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url!, headers: req.headers, body });
      res.writeHead(200, { connection: 'close' });
      res.end('ok');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  mailDir = usingPostgres ? mkdtempSync(path.join(tmpdir(), 'vigie-lifecycle-mail-')) : undefined;

  app = await startScenarioServer<Prepared>(
    { SITE_URL: SITE, VIGIE_WORKER: '1', VIGIE_SEND_RATE: '20', ...(mailDir ? { VIGIE_DATA_DIR: mailDir } : {}) },
    {
      async prepare(db, scenario) {
        await createUser(db, SYSTEM_ACTOR, {
          email: 'rui@example.com',
          role: 'responder',
          password: PASSWORD,
          name: 'Rui Costa',
        });
        await createUser(db, SYSTEM_ACTOR, {
          email: 'ana@example.com',
          role: 'comms',
          password: PASSWORD,
          name: 'Ana Lima',
        });
        await db.insert(alertMappings).values({
          labelName: 'instance',
          labelValue: 'https://server.example.org',
          componentId: scenario.components.rest.id,
          status: 'partial_outage',
        });
        await addSubscribers(db, [{ email: 'customer@example.net' }]);
        const events = [
          'incident.created',
          'incident.severity_changed',
          'incident.update_posted',
          'incident.resolved',
        ] as const;
        await createWebhook(db, SYSTEM_ACTOR, {
          name: 'Customer Slack',
          url: `${receiverUrl}/public`,
          format: 'slack',
          events: [...events],
        });
        const signed = await createWebhook(db, SYSTEM_ACTOR, {
          name: 'On-call bridge',
          url: `${receiverUrl}/internal`,
          format: 'signed',
          events: [...events],
          internal: true,
        });
        const hookToken = (await createApiToken(db, SYSTEM_ACTOR, { name: 'alertmanager', role: 'responder' })).token;
        return { hookToken, signedSecret: signed.secret };
      },
    },
  );
  url = app.server.url;
  responder = createBrowser(url);
  comms = createBrowser(url);
  expect((await responder.signIn('rui@example.com', PASSWORD)).status).toBe(303);
  expect((await comms.signIn('ana@example.com', PASSWORD)).status).toBe(303);
});
afterAll(async () => {
  await app?.stop();
  receiver?.close();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------

function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}
const textareaById = (html: string, id: string) =>
  decode(new RegExp(`<textarea[^>]*id="${id}"[^>]*>([^<]*)</textarea>`).exec(html)![1]);
const inputValue = (html: string, id: string) =>
  decode(
    new RegExp(`<input[^>]*id="${id}"[^>]*value="([^"]*)"|<input[^>]*value="([^"]*)"[^>]*id="${id}"`)
      .exec(html)!
      .slice(1)
      .find((v) => v !== undefined)!,
  );
function previewFields(html: string): Record<string, string> {
  const start = html.indexOf('class="preview-actions"');
  expect(start, 'the page is a preview').toBeGreaterThan(-1);
  const form = html.slice(start, html.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    fields[decode(m[1])] = decode(m[2]);
  return fields;
}
const key = (html: string, action: string) =>
  new RegExp(`name="action" value="${action}"[^]*?name="idempotency_key" value="([^"]+)"`).exec(html)![1];

const get = async (p: string) => (await fetch(url + p)).text();
/** The emails about this incident (the scenario's own incidents email the subscriber too). */
const mail = () =>
  readSink(app.env.VIGIE_DATA_DIR!).filter((m) => decodeHeader(m.headers.subject ?? '').includes(PUBLIC_NAME));
/** Every email in the sink, for the leak check. */
const allMail = () => readSink(app.env.VIGIE_DATA_DIR!);
/** What a receiver got about this incident (the scenario's incidents were queued for the webhooks too). */
const hooks = (which: 'public' | 'internal') =>
  received.filter((d) => d.path === `/${which}` && d.body.includes(incidentId));
const events = (which: 'public' | 'internal'): string[] =>
  hooks(which).map((d) => (which === 'internal' ? JSON.parse(d.body).event : (JSON.parse(d.body).text as string)));

/** What customers can reach, now: none of it may hold an internal fact. */
async function assertPublicSurfacesClean(step: string) {
  const surfaces: Record<string, string> = {
    '/': await get('/'),
    '/history': await get('/history'),
    [`/incidents/${incidentId}`]: await get(`/incidents/${incidentId}`),
    '/api/v2/summary.json': await get('/api/v2/summary.json'),
    '/api/v2/incidents.json': await get('/api/v2/incidents.json'),
    '/feed.rss': await get('/feed.rss'),
  };
  for (const m of allMail())
    surfaces[`email ${m.file}`] = `${decodeHeader(m.headers.subject ?? '')}\n${m.text}\n${m.html}`;
  for (const d of received.filter((r) => r.path === '/public'))
    surfaces[`public webhook ${d.body.slice(0, 60)}`] = d.body;
  for (const [where, text] of Object.entries(surfaces)) {
    expect(text, `${step}: ${where}`).not.toContain(M);
    expect(text, `${step}: ${where}`).not.toContain('ProbeFailure');
  }
}

async function internalPage(): Promise<string> {
  const page = await responder.get(`/internal/incidents/${incidentId}`);
  expect(page.status).toBe(200);
  return decode(page.text);
}

// ---------------------------------------------------------------------------------------

describe('an incident through the seven phases', () => {
  it('1. detect: a firing alert opens an internal draft, and only internal receivers hear of it', async () => {
    const fixture = readFileSync(
      path.resolve(import.meta.dirname, '../fixtures/alerts/alertmanager-v4-famedly-sample-v4-payload.json'),
      'utf8',
    );
    const payload = JSON.parse(fixture);
    payload.commonAnnotations.summary += ` ${M}`;
    payload.alerts[0].annotations.summary += ` ${M}`;
    const res = await fetch(`${url}/api/v1/hooks/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.prepared.hookToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(res.status).toBe(201);
    incidentId = (await res.json()).incident_id;

    const internal = await internalPage();
    expect(internal).toContain('ProbeFailure');
    expect(internal).toContain(M);
    expect((await fetch(`${url}/incidents/${incidentId}`)).status).toBe(404);
    // The mapped component's status is a public fact; the incident is not.
    const summary = JSON.parse(await get('/api/v2/summary.json'));
    expect(summary.components.find((c: { id: string }) => c.id === app.scenario.components.rest.id).status).toBe(
      'partial_outage',
    );
    expect(summary.incidents.map((i: { id: string }) => i.id)).not.toContain(incidentId);

    await expect.poll(() => events('internal'), { timeout: 15_000 }).toContain('incident.created');
    expect(hooks('public')).toHaveLength(0);
    await assertPublicSurfacesClean('after the alert');
  });

  it('2. channels: the responder adds the links, and the channel topic carries them', async () => {
    const page = await responder.get(`/admin/incidents/${incidentId}`);
    expect(page.status).toBe(200);
    const r = await responder.post(`/admin/incidents/${incidentId}`, {
      action: 'process',
      step: 'save',
      chat_url: CHAT,
      video_url: VIDEO,
      ticket_url: TICKET,
    });
    expect(r.status, r.text.slice(0, 500)).toBe(303);
    const after = await responder.get(r.location!);
    const topic = inputValue(after.text, 'channel-topic');
    expect(topic).toMatch(/^INC-\d+ · Sev 3 · Investigating · /);
    expect(topic).toContain(`Chat: ${CHAT}`);
    expect(topic).toContain(`Video: ${VIDEO}`);
    const internal = await internalPage();
    for (const link of [CHAT, VIDEO, TICKET]) expect(internal).toContain(`href="${link}"`);
    await assertPublicSurfacesClean('after the links');
  });

  it('3. assess: the answers suggest Sev 2, the responder accepts it', async () => {
    const answers = {
      impact_customer: IMPACT,
      impact_visible: 'An error page after “Pay”',
      impact_scope: 'some',
      support_cases: '7',
      core_feature: 'true',
      chat_url: CHAT,
      video_url: VIDEO,
      ticket_url: TICKET,
    };
    const suggested = await responder.post(`/admin/incidents/${incidentId}`, {
      action: 'process',
      step: 'suggest',
      ...answers,
    });
    expect(suggested.status).toBe(200);
    expect(suggested.text).toContain('A core feature is degraded: Sev 2.');
    const form = suggested.text.slice(suggested.text.indexOf('name="action" value="process"'));
    expect(form).toMatch(/name="severity" value="2" checked/);
    const saved = await responder.post(`/admin/incidents/${incidentId}`, {
      action: 'process',
      step: 'save',
      severity: '2',
      ...answers,
    });
    expect(saved.status, saved.text.slice(0, 500)).toBe(303);

    const internal = await internalPage();
    expect(internal).toContain(IMPACT);
    expect(internal).toMatch(/Sev 2/);
    expect(internal).toContain('Page the on-call responders now; work it until mitigated.');
    await expect.poll(() => events('internal'), { timeout: 15_000 }).toContain('incident.severity_changed');
    await assertPublicSurfacesClean('after the assessment');
  });

  it('4. communicate: the comms lead makes it public and publishes from the external template', async () => {
    let page = await comms.get(`/admin/incidents/${incidentId}`);
    const edited = await comms.post(`/admin/incidents/${incidentId}`, {
      action: 'edit',
      name: PUBLIC_NAME,
      severity: '2',
      visibility: 'public',
    });
    expect(edited.status, edited.text.slice(0, 500)).toBe(303);

    page = await comms.get(`/admin/incidents/${incidentId}?template=defaultinvestigatingexternal`);
    const body = textareaById(page.text, 'body');
    expect(body.length).toBeGreaterThan(20);
    expect(body).not.toContain('{{');
    const preview = await comms.post(`/admin/incidents/${incidentId}`, {
      action: 'update',
      step: 'review',
      status: 'investigating',
      audience: 'public',
      body,
      notify: 'true',
      template_id: 'defaultinvestigatingexternal',
      idempotency_key: key(page.text, 'update'),
    });
    expect(preview.status, preview.text.slice(0, 500)).toBe(200);
    expect(preview.text).toContain('data-recipients="1"');
    const published = await comms.post(`/admin/incidents/${incidentId}`, {
      ...previewFields(preview.text),
      step: 'publish',
    });
    expect(published.location).toBe(`/admin/incidents/${incidentId}?done=update-published`);

    const pub = decode(await get(`/incidents/${incidentId}`));
    expect(pub).toContain(PUBLIC_NAME);
    expect(pub).toContain(body.split('\n')[0].replace(/\*\*/g, ''));
    const summary = JSON.parse(await get('/api/v2/summary.json'));
    expect(summary.incidents.find((i: { id: string }) => i.id === incidentId)).toMatchObject({
      impact: 'major',
      status: 'investigating',
    });
    expect(await get('/feed.rss')).toContain(PUBLIC_NAME);
    await expect.poll(() => mail().length, { timeout: 20_000 }).toBe(1);
    expect(mail()[0].headers.to).toContain('customer@example.net');
    await assertPublicSurfacesClean('after publishing');
  });

  it('5. escalate: the webhooks fired, each with what it may see, signed where asked', async () => {
    await expect.poll(() => hooks('public').length, { timeout: 15_000 }).toBeGreaterThan(0);
    const slack = JSON.parse(hooks('public').at(-1)!.body);
    expect(slack).toMatchObject({ text: expect.stringContaining(PUBLIC_NAME), blocks: expect.any(Array) });
    expect(slack.text).not.toMatch(/Sev \d/);

    const internal = hooks('internal');
    expect(internal.map((d) => JSON.parse(d.body).event)).toEqual(
      expect.arrayContaining(['incident.created', 'incident.severity_changed', 'incident.update_posted']),
    );
    for (const d of internal) {
      const ts = d.headers['x-vigie-timestamp'] as string;
      const expected = `v1=${createHmac('sha256', app.prepared.signedSecret).update(`${ts}.${d.body}`).digest('hex')}`;
      expect(d.headers['x-vigie-signature']).toBe(expected);
    }
    const last = JSON.parse(internal.at(-1)!.body);
    expect(last.incident.url).toBe(`${SITE}/internal/incidents/${incidentId}`);
  });

  it('6. roles: the incident manager and tech lead are assigned, noted on the staff timeline only', async () => {
    const page = await responder.get(`/admin/incidents/${incidentId}`);
    const ana = /<option value="([^"]+)"[^>]*>Ana Lima/.exec(page.text)![1];
    const rui = /<option value="([^"]+)"[^>]*>Rui Costa/.exec(page.text)![1];
    const r = await responder.post(`/admin/incidents/${incidentId}`, {
      action: 'roles',
      incident_manager_id: ana,
      tech_lead_id: rui,
      comms_lead_id: ana,
    });
    expect(r.location).toBe(`/admin/incidents/${incidentId}?done=roles`);
    const internal = await internalPage();
    expect(internal).toContain('Ana Lima is now incident manager (was: unassigned).');
    expect(internal).toContain('Rui Costa');
    expect(internal).toContain('Leads the investigation and the fix');
    const pub = await get(`/incidents/${incidentId}`);
    expect(pub).not.toContain('incident manager');
    expect(pub).not.toContain('Rui Costa');
    await assertPublicSurfacesClean('after the roles');
  });

  it('7. resolve: recap for staff, all-clear for customers, then a published post-mortem', async () => {
    const page = await comms.get(`/admin/incidents/${incidentId}`);
    const recap = textareaById(page.text, 'resolve-recap');
    expect(recap).toContain(`- Impact: ${IMPACT}`);
    expect(recap).toMatch(/- Duration: /);
    expect(recap).toContain('- Support cases: 7');
    const allClear = textareaById(page.text, 'resolve-body');
    expect(allClear).not.toContain('{{');
    const preview = await comms.post(`/admin/incidents/${incidentId}`, {
      action: 'resolve',
      step: 'review',
      recap: `${recap}\n${RECAP_NOTE}`,
      body: allClear,
      notify: 'true',
      template_id: 'defaultresolvedexternal',
      idempotency_key: key(page.text, 'resolve'),
    });
    expect(preview.status).toBe(200);
    expect(preview.text).toContain('The recap stays internal');
    const resolved = await comms.post(`/admin/incidents/${incidentId}`, {
      ...previewFields(preview.text),
      step: 'publish',
    });
    expect(resolved.location).toBe(`/admin/incidents/${incidentId}?done=resolved`);

    expect(await internalPage()).toContain(RECAP_NOTE);
    const incidents = JSON.parse(await get('/api/v2/incidents.json')).incidents;
    expect(incidents.find((i: { id: string }) => i.id === incidentId).status).toBe('resolved');
    await expect.poll(() => mail().length, { timeout: 20_000 }).toBe(2);
    await expect
      .poll(() => hooks('internal').map((d) => JSON.parse(d.body).event), { timeout: 15_000 })
      .toContain('incident.resolved');
    await expect.poll(() => events('public').length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);

    const postmortem =
      '# What happened\n\nAn expired certificate broke checkout for 40 minutes. We now renew automatically.';
    const draft = await responder.post(`/admin/incidents/${incidentId}`, {
      action: 'postmortem',
      step: 'save',
      body: postmortem,
    });
    expect(draft.location).toBe(`/admin/incidents/${incidentId}?done=postmortem-saved`);
    expect(await get(`/incidents/${incidentId}`)).not.toContain('expired certificate');
    await comms.get(`/admin/incidents/${incidentId}`);
    const pmPreview = await comms.post(`/admin/incidents/${incidentId}`, {
      action: 'postmortem',
      step: 'review',
      body: postmortem,
      notify: '',
    });
    expect(pmPreview.status).toBe(200);
    const pm = await comms.post(`/admin/incidents/${incidentId}`, {
      ...previewFields(pmPreview.text),
      step: 'publish',
    });
    expect(pm.location).toBe(`/admin/incidents/${incidentId}?done=postmortem-published`);

    expect(await get(`/incidents/${incidentId}`)).toContain('An expired certificate broke checkout for 40 minutes.');
    const after = JSON.parse(await get('/api/v2/incidents.json')).incidents.find(
      (i: { id: string }) => i.id === incidentId,
    );
    expect(after.status).toBe('postmortem');
    expect(await get('/feed.rss')).toContain('An expired certificate broke checkout');
    await assertPublicSurfacesClean('after the post-mortem');
  });
});
