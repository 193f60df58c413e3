/**
 * The admin's view of email deliveries over HTTP, with rows seeded straight into
 * email_deliveries: the counts and failure reasons on the incident page (the same numbers
 * as GET /api/v1/updates/{id}/deliveries), the per-update list of failed and pending
 * deliveries (login needed, 50 a page, addresses masked for roles that do not manage
 * subscribers), a maintenance's reminders, and suppressed subscribers with their reason.
 */
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentUpdates, subscribers } from '../../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createApiToken, createUser } from '../../src/server/users/service.ts';
import { createBrowser, type Browser } from '../helpers/browser.ts';
import { seedDeliveries } from '../helpers/deliveries.ts';
import { startScenarioServer } from '../helpers/server.ts';

const PASSWORD = 'correct-horse-battery';
const REFUSED = 'Resend refused the batch: 422 The from address is not verified';
const GAVE_UP = 'Gave up after 8 attempts: 503 Service Unavailable';

type Prepared = { active: string; resolved: string; apiToken: string };
let env: Awaited<ReturnType<typeof startScenarioServer<Prepared>>>;
let url: string;
let p: Prepared;
const as: Record<'viewer' | 'comms', Browser> = {} as never;

/** The latest public update of an incident. */
async function latestPublicUpdate(db: Parameters<typeof seedDeliveries>[0], incidentId: string) {
  const [u] = await db
    .select()
    .from(incidentUpdates)
    .where(and(eq(incidentUpdates.incidentId, incidentId), eq(incidentUpdates.audience, 'public')))
    .orderBy(desc(incidentUpdates.displayAt))
    .limit(1);
  return u.id;
}

beforeAll(async () => {
  env = await startScenarioServer<Prepared>(
    {},
    {
      async prepare(db, s) {
        for (const role of ['viewer', 'comms']) {
          await createUser(db, SYSTEM_ACTOR, { email: `${role}@example.com`, role, password: PASSWORD });
        }
        const active = await latestPublicUpdate(db, s.incidents.active.id);
        await seedDeliveries(db, { updateId: active, incidentId: s.incidents.active.id }, [
          ...Array(3).fill({ status: 'failed', lastError: REFUSED, attempts: 1 }),
          ...Array(2).fill({ status: 'failed', lastError: GAVE_UP, attempts: 8 }),
          ...Array(4).fill({ status: 'sent', attempts: 1 }),
          { status: 'pending', lastError: 'Too many requests', attempts: 2 },
          { status: 'sending', attempts: 0 },
          ...Array(2).fill({ status: 'skipped' }),
        ]);
        const resolved = await latestPublicUpdate(db, s.incidents.resolved.id);
        await seedDeliveries(
          db,
          { updateId: resolved, incidentId: s.incidents.resolved.id },
          Array(55).fill({ status: 'failed', lastError: 'Mailbox full', attempts: 1 }),
          'many',
        );
        await seedDeliveries(
          db,
          { messageKey: `reminder:${s.incidents.maintenance.id}:1800000000`, incidentId: s.incidents.maintenance.id },
          [{ status: 'sent' }, { status: 'failed', lastError: 'Mailbox unavailable: m1@example.com' }],
          'm',
        );
        await db.insert(subscribers).values({
          id: 'bouncedsub01',
          email: 'bounced@example.com',
          confirmedAt: new Date(),
          manageTokenHash: 'x'.repeat(43),
          suppressedAt: new Date(),
          suppressionReason: 'Hard bounce: 550 5.1.1 <bounced@example.com> user unknown',
        });
        const apiToken = (await createApiToken(db, SYSTEM_ACTOR, { name: 'viewer', role: 'viewer' })).token;
        return { active, resolved, apiToken };
      },
    },
  );
  url = env.server.url;
  p = env.prepared;
  for (const role of ['viewer', 'comms'] as const) {
    as[role] = createBrowser(url);
    expect((await as[role].signIn(`${role}@example.com`, PASSWORD)).status).toBe(303);
  }
});
afterAll(async () => {
  await env?.stop();
});

/** The number after a `<dt>` label in the HTML, for every occurrence. */
function counts(html: string, label: string): number[] {
  return [...html.matchAll(new RegExp(`<dt[^>]*>${label}</dt>\\s*<dd[^>]*>(\\d+)</dd>`, 'g'))].map((m) => Number(m[1]));
}
const decode = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const deliveriesPath = (incidentId: string, updateId: string) =>
  `/admin/incidents/${incidentId}/deliveries?update=${updateId}`;

describe('deliveries on the incident page', () => {
  it('shows each notifying update’s counts and failure reasons, the same as the API', async () => {
    const page = await as.viewer.get(`/admin/incidents/${env.scenario.incidents.active.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Emails to subscribers');
    // Newest first: the seeded update, then the incident's first update (public, notified, nobody subscribed).
    expect(counts(page.text, 'Total')).toEqual([13, 0]);
    expect(counts(page.text, 'Pending')).toEqual([2, 0]);
    expect(counts(page.text, 'Sent')).toEqual([4, 0]);
    expect(counts(page.text, 'Failed')).toEqual([5, 0]);
    expect(counts(page.text, 'Skipped')).toEqual([2, 0]);
    expect(page.text).toContain('No email went out');
    const text = decode(page.text).replace(/\s+/g, ' ');
    expect(text).toContain(`3 ×</strong> ${REFUSED}`);
    expect(text).toContain(`2 ×</strong> ${GAVE_UP}`);
    expect(page.text).toContain(`href="${deliveriesPath(env.scenario.incidents.active.id, p.active)}"`);
    expect(page.text).toContain(`href="/admin/incidents/${env.scenario.incidents.active.id}#update-${p.active}"`);

    const res = await fetch(`${url}/api/v1/updates/${p.active}/deliveries`, {
      headers: { authorization: `Bearer ${p.apiToken}` },
    });
    expect(await res.json()).toEqual({ total: 13, pending: 2, sent: 4, failed: 5 });
  });

  it('shows no section for an incident whose updates emailed nobody', async () => {
    const page = await as.viewer.get(`/admin/incidents/${env.scenario.incidents.internal.id}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('Emails to subscribers');
  });
});

describe('the per-update deliveries page', () => {
  it('needs a login', async () => {
    const path = deliveriesPath(env.scenario.incidents.active.id, p.active);
    const res = await fetch(url + path, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
  });

  it('lists failed, then pending deliveries, masked for a viewer and in full for comms', async () => {
    const path = deliveriesPath(env.scenario.incidents.active.id, p.active);
    const viewer = await as.viewer.get(path);
    expect(viewer.status).toBe(200);
    expect(viewer.res.headers.get('cache-control')).toBe('private, no-store');
    expect(counts(viewer.text, 'Failed')).toEqual([5]);
    expect(viewer.text).toContain('7 failed or pending deliveries');
    const rows = [...viewer.text.matchAll(/<tr class="delivery-(\w+)[^"]*"[^>]*>\s*<th scope="row"[^>]*>([^<]+)</g)];
    expect(rows.map((r) => r[1])).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'pending', 'sending']);
    expect(rows.every((r) => /^r\*\*\*@example\.com$/.test(r[2]))).toBe(true);
    expect(viewer.text).toContain('Addresses are masked for your role');
    expect(decode(viewer.text)).toContain(GAVE_UP);
    expect(viewer.text).toContain('Waiting to retry');
    expect(viewer.text).toContain('Too many requests');

    const comms = await as.comms.get(path);
    expect(comms.status).toBe(200);
    for (const i of [0, 1, 2, 3, 4, 9, 10]) expect(comms.text).toContain(`r${i}@example.com`);
    expect(comms.text).not.toContain('r5@example.com'); // sent
    expect(comms.text).not.toContain('r11@example.com'); // skipped
  });

  it('pages 50 at a time', async () => {
    const path = deliveriesPath(env.scenario.incidents.resolved.id, p.resolved);
    const one = await as.comms.get(path);
    expect(one.text).toContain('55 failed or pending deliveries');
    expect(one.text.match(/<tr class="delivery-failed/g)).toHaveLength(50);
    expect(decode(one.text)).toContain(`href="${path}&page=2"`);
    const two = await as.comms.get(`${path}&page=2`);
    expect(two.text.match(/<tr class="delivery-failed/g)).toHaveLength(5);
    expect((await as.comms.get(`${path}&page=abc`)).status).toBe(404);
  });

  it('answers 404 to an update of another incident and to unknown ids', async () => {
    const s = env.scenario;
    expect((await as.viewer.get(deliveriesPath(s.incidents.resolved.id, p.active))).status).toBe(404);
    expect((await as.viewer.get(deliveriesPath('nosuchincident', p.active))).status).toBe(404);
    expect((await as.viewer.get(deliveriesPath(s.incidents.active.id, 'nosuchupdate'))).status).toBe(404);
    expect((await as.viewer.get(`/admin/incidents/${s.incidents.active.id}/deliveries?reminders`)).status).toBe(404);
  });

  it('sums up a maintenance’s updates and reminders, and lists the reminders', async () => {
    const id = env.scenario.incidents.maintenance.id;
    const overview = await as.viewer.get(`/admin/incidents/${id}/deliveries`);
    expect(overview.status).toBe(200);
    expect(overview.text).toContain('Reminders');
    expect(decode(overview.text)).toContain(`href="/admin/incidents/${id}/deliveries?reminders"`);
    expect(overview.text).toContain(`href="/admin/maintenance/${id}"`);
    const page = await as.viewer.get(`/admin/incidents/${id}/deliveries?reminders`);
    expect(page.status).toBe(200);
    expect(counts(page.text, 'Total')).toEqual([2]);
    expect(counts(page.text, 'Failed')).toEqual([1]);
    expect(page.text).toContain('1 failed or pending delivery');
    expect(page.text).toContain('Mailbox unavailable: m***@example.com');
  });
});

describe('suppressed subscribers', () => {
  it('shows the reason on the list, masked like the addresses for a viewer', async () => {
    const comms = decode((await as.comms.get('/admin/subscribers')).text);
    expect(comms).toContain('Suppressed (bounced or complained)');
    expect(comms).toMatch(/Since [^:]+:\d\d[^:]*: Hard bounce: 550 5\.1\.1 <bounced@example\.com> user unknown/);
    const viewer = decode((await as.viewer.get('/admin/subscribers')).text);
    expect(viewer).toContain('Hard bounce: 550 5.1.1 <b***@example.com> user unknown');
    expect(viewer).not.toContain('bounced@example.com');
  });
});
