/**
 * The "manage subscription" page over HTTP, on the built server with its delivery worker
 * running: a subscriber changes components from the page, and the next updates reach them
 * only for the new ones; bad tokens, internal components and cross-site forms are refused;
 * the unsubscribe page offers the manage page instead; unsubscribing and subscribing again
 * from the manage page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createApiToken } from '../../src/server/users/service.ts';
import { usingPostgres } from '../helpers/db.ts';
import { linkToken, readSink } from '../helpers/mail.ts';
import { startScenarioServer } from '../helpers/server.ts';

const SITE = 'https://status.example.com';
let app: Awaited<ReturnType<typeof start>>;
let mailDir: string | undefined;
let dataDir: string;
let url: string;
/** The manage token of ann@example.com, once confirmed. */
let manage: string;

const start = () =>
  startScenarioServer(
    { SITE_URL: SITE, VIGIE_WORKER: '1', ...(mailDir ? { VIGIE_DATA_DIR: mailDir } : {}) },
    { prepare: async (db) => (await createApiToken(db, SYSTEM_ACTOR, { name: 'comms', role: 'comms' })).token },
  );

beforeAll(async () => {
  mailDir = usingPostgres ? mkdtempSync(path.join(tmpdir(), 'vigie-mail-')) : undefined;
  app = await start();
  url = app.server.url;
  dataDir = app.env.VIGIE_DATA_DIR!;
});
afterAll(async () => {
  await app?.stop();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

async function post(pathname: string, fields: [string, string][] | null, headers: Record<string, string> = {}) {
  const res = await fetch(url + pathname, {
    method: 'POST',
    body: fields ? new URLSearchParams(fields) : null,
    headers: { origin: url, ...headers },
    redirect: 'manual',
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}
async function get(pathname: string) {
  const res = await fetch(url + pathname, { redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}
async function api(method: string, pathname: string, body?: unknown) {
  const res = await fetch(url + pathname, {
    method,
    headers: { authorization: `Bearer ${app.prepared}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}
const managePath = (token: string) => `/subscribe/manage?token=${encodeURIComponent(token)}`;

/** Opens a public incident about one component, notifying subscribers; returns its first update's id. */
async function notify(name: string, componentId: string): Promise<string> {
  const r = await api('POST', '/api/v1/incidents', {
    name,
    status: 'investigating',
    severity: 3,
    visibility: 'public',
    body: `${name}: we are looking into it.`,
    components: { [componentId]: 'degraded_performance' },
    notify: true,
  });
  expect(r.status).toBe(201);
  return r.json.incident_updates[0].id;
}

async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${app.server.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('managing a subscription over HTTP', () => {
  it('subscribes and confirms ann@example.com to the REST API', async () => {
    const { scenario: s } = app;
    expect(
      (
        await post('/subscribe', [
          ['email', 'ann@example.com'],
          ['components', s.components.rest.id],
        ])
      ).status,
    ).toBe(200);
    const mail = readSink(dataDir).at(-1)!;
    const token = linkToken(mail.text, `${SITE}/subscribe/confirm`);
    const confirmed = await post(`/subscribe/confirm?token=${token}`, null);
    expect(confirmed.status).toBe(200);
    manage = linkToken(confirmed.text, '/unsubscribe');
  });

  it('shows the masked address, the public components with the current choice, and an unsubscribe button', async () => {
    const { scenario: s } = app;
    const page = await get(managePath(manage));
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.text).toContain('<meta name="robots" content="noindex">');
    expect(page.text).toContain('a***@example.com');
    expect(page.text).not.toContain('ann@example.com');
    expect(page.text).toMatch(new RegExp(`value="${s.components.rest.id}"[^>]*checked`));
    expect(page.text).not.toMatch(new RegExp(`value="${s.components.webhooks.id}"[^>]*checked`));
    expect(page.text).toMatch(/value="some"[^>]*checked/);
    expect(page.text).toContain('value="all"');
    expect(page.text).not.toContain(s.components.secretComponent.id);
    expect(page.text).not.toContain(s.components.hiddenChild.id);
    expect(page.text).toContain(`action="/subscribe/manage?token=${manage}"`);
    expect(page.text).toContain(`action="/unsubscribe?token=${manage}"`);
  });

  it('saves a new choice, and the next updates reach ann only about it', async () => {
    const { scenario: s } = app;
    const saved = await post(managePath(manage), [
      ['action', 'save'],
      ['scope', 'some'],
      ['components', s.components.webhooks.id],
    ]);
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('Saved');
    expect(saved.text).toContain('Webhooks');
    expect(saved.text).not.toContain('REST API');
    expect((await get(managePath(manage))).text).toMatch(new RegExp(`value="${s.components.webhooks.id}"[^>]*checked`));

    const restUpdate = await notify('Slow REST calls', s.components.rest.id);
    const hooksUpdate = await notify('Late webhooks', s.components.webhooks.id);
    // The worker fans the outbox out in order: once the second email is there, the first fan-out is done.
    const mail = await waitFor(
      () => readSink(dataDir).find((m) => m.headers.to === 'ann@example.com' && m.text.includes('Late webhooks')),
      'the webhooks email',
    );
    expect(mail.text).toContain(`${SITE}/unsubscribe?token=`);
    expect(readSink(dataDir).some((m) => m.text.includes('Slow REST calls'))).toBe(false);
    expect((await api('GET', `/api/v1/updates/${restUpdate}/deliveries`)).json).toEqual({
      total: 0,
      pending: 0,
      sent: 0,
      failed: 0,
    });
    expect((await api('GET', `/api/v1/updates/${hooksUpdate}/deliveries`)).json).toEqual({
      total: 1,
      pending: 0,
      sent: 1,
      failed: 0,
    });
  });

  it('refuses an internal component with a 422, the form kept, and changes nothing', async () => {
    const { scenario: s } = app;
    const bad = await post(managePath(manage), [
      ['scope', 'some'],
      ['components', s.components.rest.id],
      ['components', s.components.secretComponent.id],
    ]);
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Choose components from the list');
    expect(bad.text).toMatch(new RegExp(`value="${s.components.rest.id}"[^>]*checked`));
    expect(bad.text).not.toContain(s.components.secretComponent.name);
    const none = await post(managePath(manage), [['scope', 'some']]);
    expect(none.status).toBe(422);
    expect(none.text).toContain('Tick at least one component');
    expect((await get(managePath(manage))).text).toMatch(new RegExp(`value="${s.components.webhooks.id}"[^>]*checked`));
  });

  it('refuses a save posted from another site', async () => {
    const r = await post(managePath(manage), [['scope', 'all']], { origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect((await get(managePath(manage))).text).toMatch(/value="some"[^>]*checked/);
  });

  it('answers bad tokens with a 400 page, never 500', async () => {
    for (const p of ['/subscribe/manage', '/subscribe/manage?token=nope', managePath('a'.repeat(43))]) {
      const g = await get(p);
      expect(g.status).toBe(400);
      expect(g.text).toContain('invalid or expired');
      const r = await post(p, [['scope', 'all']]);
      expect(r.status).toBe(400);
      expect(r.text).not.toContain('<form method="post"');
    }
  });

  it('links the unsubscribe page to the manage page', async () => {
    const page = await get(`/unsubscribe?token=${manage}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`href="/subscribe/manage?token=${manage}"`);
    expect(page.text).toContain('Change which components');
  });

  it('unsubscribes from the manage page, then offers to subscribe again through a confirmation', async () => {
    const page = await get(managePath(manage));
    const action = /<form method="post" action="(\/unsubscribe\?token=[^"]+)"/.exec(page.text)?.[1];
    expect(action).toBe(`/unsubscribe?token=${manage}`);
    const done = await post(action!, null);
    expect(done.status).toBe(200);
    expect(done.text).toContain('You are unsubscribed');

    const after = await get(managePath(manage));
    expect(after.status).toBe(200);
    expect(after.text).toContain('You are unsubscribed');
    expect(after.text).toContain('Subscribe again');
    expect(after.text).not.toContain('name="components"');
    const refused = await post(managePath(manage), [['scope', 'all']]);
    expect(refused.status).toBe(409);

    const before = readSink(dataDir).length;
    const again = await post(managePath(manage), [['action', 'resubscribe']]);
    expect(again.status).toBe(200);
    expect(again.text).toContain('Check your inbox');
    const mail = readSink(dataDir).at(before)!;
    expect(mail.headers.to).toBe('ann@example.com');
    expect(mail.text).toContain('Webhooks');
    const confirmed = await post(`/subscribe/confirm?token=${linkToken(mail.text, `${SITE}/subscribe/confirm`)}`, null);
    expect(confirmed.status).toBe(200);
    const back = await get(managePath(manage));
    expect(back.text).toContain('Manage your subscription');
    expect(back.text).toMatch(new RegExp(`value="${app.scenario.components.webhooks.id}"[^>]*checked`));
  });
});
