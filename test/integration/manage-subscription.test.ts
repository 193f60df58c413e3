/**
 * The "manage subscription" flow at the service level: what a manage token opens, changing
 * components (and who a fan-out reaches afterwards), the validation, the states where
 * nothing changes, subscribing again through the double opt-in, and the page loader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailDeliveries, subscriberComponents, subscribers } from '../../src/db/schema/index.ts';
import { renderEmail } from '../../src/server/admin/preview.ts';
import { ValidationError } from '../../src/server/errors.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import { createMailer, type Mailer } from '../../src/server/notify/mailer.ts';
import { fanOut } from '../../src/server/notify/fanout.ts';
import {
  confirmSubscription,
  loadManagedSubscription,
  resubscribe,
  subscribe,
  unsubscribe,
  updateSubscription,
} from '../../src/server/subscribers/public-flow.ts';
import { loadManagePage } from '../../src/server/subscribers/public-pages.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { linkToken, readSink } from '../helpers/mail.ts';
import { system } from '../helpers/principals.ts';
import { seedScenario } from '../helpers/scenario.ts';

let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
let dataDir: string;
let mailer: Mailer;
const db = () => t.handle.db;
const SITE = 'https://status.example.com';
let ipCount = 0;
const base = () => ({ ip: `10.1.0.${++ipCount}`, siteUrl: SITE, pageName: 'Acme' });
const last = () => readSink(dataDir).at(-1)!;

beforeAll(async () => {
  t = await createTestDatabase();
  s = await seedScenario(db());
  dataDir = mkdtempSync(path.join(tmpdir(), 'vigie-mail-'));
  mailer = createMailer({ dataDir, from: 'Vigie <status@example.com>' });
});
afterAll(async () => {
  await t.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Subscribes and confirms an address; returns its manage token and id. */
async function confirmed(email: string, componentIds: string[] = []) {
  await subscribe(db(), mailer, { ...base(), email, componentIds });
  const result = await confirmSubscription(db(), linkToken(last().text, `${SITE}/subscribe/confirm`));
  if (result.status !== 'ok') throw new Error(`confirm failed: ${result.status}`);
  const [row] = await db().select().from(subscribers).where(eq(subscribers.email, email));
  return { token: result.manageToken, id: row.id };
}

/** A public update with notify on, about these components; returns its id. */
async function notifyingUpdate(componentIds: string[]) {
  const { update } = await createIncident(db(), system, {
    name: `About ${componentIds.length} components`,
    status: 'investigating',
    severity: 3,
    visibility: 'public',
    body: 'Looking into it.',
    notify: true,
    components: Object.fromEntries(componentIds.map((id) => [id, 'degraded_performance'])),
  });
  await fanOut(db(), update.id);
  return update.id;
}

async function reached(updateId: string, subscriberId: string): Promise<boolean> {
  const rows = await db()
    .select()
    .from(emailDeliveries)
    .where(and(eq(emailDeliveries.updateId, updateId), eq(emailDeliveries.subscriberId, subscriberId)));
  return rows.length === 1;
}

const form = (fields: [string, string][]) =>
  new Request(`${SITE}/subscribe/manage`, { method: 'POST', body: new URLSearchParams(fields) });

describe('loadManagedSubscription', () => {
  it('opens the subscription of a manage token, masked, with its public components', async () => {
    const { token, id } = await confirmed('zoe@example.com', [s.components.rest.id]);
    expect(await loadManagedSubscription(db(), token)).toEqual({
      id,
      maskedEmail: 'z***@example.com',
      state: 'active',
      allComponents: false,
      componentIds: [s.components.rest.id],
    });
  });

  it('answers null to bad and unknown tokens', async () => {
    for (const bad of ['', 'x', 'a'.repeat(43), 'not a token!', 'a'.repeat(500)]) {
      expect(await loadManagedSubscription(db(), bad)).toBeNull();
      expect(await updateSubscription(db(), bad, { allComponents: true, componentIds: [] })).toEqual({
        status: 'invalid',
      });
    }
  });
});

describe('updateSubscription', () => {
  it('changes the components, and a fan-out then reaches the subscriber only for the new ones', async () => {
    const { token, id } = await confirmed('mover@example.com', [s.components.rest.id]);
    const before = await notifyingUpdate([s.components.rest.id]);
    expect(await reached(before, id)).toBe(true);

    const done = await updateSubscription(db(), token, {
      allComponents: false,
      componentIds: [s.components.webhooks.id, s.components.dashboard.id, s.components.webhooks.id],
    });
    expect(done.status).toBe('ok');
    const links = await db().select().from(subscriberComponents).where(eq(subscriberComponents.subscriberId, id));
    expect(links.map((l) => l.componentId).sort()).toEqual(
      [s.components.webhooks.id, s.components.dashboard.id].sort(),
    );

    expect(await reached(await notifyingUpdate([s.components.rest.id]), id)).toBe(false);
    expect(await reached(await notifyingUpdate([s.components.webhooks.id]), id)).toBe(true);
    expect(await reached(await notifyingUpdate([s.components.dashboard.id]), id)).toBe(true);

    // All components: every update reaches them, about any component, and the list is emptied.
    expect(
      (await updateSubscription(db(), token, { allComponents: true, componentIds: [s.components.cdn.id] })).status,
    ).toBe('ok');
    const [row] = await db().select().from(subscribers).where(eq(subscribers.id, id));
    expect(row.allComponents).toBe(true);
    expect(await db().select().from(subscriberComponents).where(eq(subscriberComponents.subscriberId, id))).toEqual([]);
    expect(await reached(await notifyingUpdate([s.components.cdn.id]), id)).toBe(true);
  });

  it('refuses internal and unknown components, and "only these" with none, changing nothing', async () => {
    const { token, id } = await confirmed('picky@example.com', [s.components.rest.id]);
    for (const bad of [s.components.secretComponent.id, s.components.hiddenChild.id, 'nosuchcomponent']) {
      const err = await updateSubscription(db(), token, {
        allComponents: false,
        componentIds: [s.components.webhooks.id, bad],
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).fields).toEqual({ components: 'Choose components from the list' });
    }
    const none = await updateSubscription(db(), token, { allComponents: false, componentIds: [] }).catch(
      (e: unknown) => e,
    );
    expect((none as ValidationError).fields.components).toMatch(/at least one component/);
    expect(await loadManagedSubscription(db(), token)).toMatchObject({
      allComponents: false,
      componentIds: [s.components.rest.id],
    });
    const links = await db().select().from(subscriberComponents).where(eq(subscriberComponents.subscriberId, id));
    expect(links).toHaveLength(1);
  });

  it('changes nothing for an unsubscribed or a suppressed subscriber', async () => {
    const gone = await confirmed('gone@example.com');
    await unsubscribe(db(), gone.token);
    expect(
      await updateSubscription(db(), gone.token, { allComponents: false, componentIds: [s.components.rest.id] }),
    ).toEqual({
      status: 'unsubscribed',
    });
    const bounced = await confirmed('bounced@example.com');
    await db().update(subscribers).set({ suppressedAt: new Date() }).where(eq(subscribers.id, bounced.id));
    expect(await updateSubscription(db(), bounced.token, { allComponents: true, componentIds: [] })).toEqual({
      status: 'suppressed',
    });
    expect((await loadManagedSubscription(db(), bounced.token))?.state).toBe('suppressed');
    expect((await loadManagedSubscription(db(), gone.token))?.state).toBe('unsubscribed');
    const [row] = await db().select().from(subscribers).where(eq(subscribers.id, gone.id));
    expect(row.allComponents).toBe(true);
  });
});

describe('resubscribe', () => {
  it('sends a new confirmation with the former components; nothing changes until it is opened', async () => {
    const { token, id } = await confirmed('back@example.com', [s.components.dashboard.id]);
    expect(await resubscribe(db(), mailer, token, base())).toEqual({ status: 'active' });
    await unsubscribe(db(), token);
    const count = readSink(dataDir).length;
    expect(await resubscribe(db(), mailer, token, base())).toEqual({ status: 'sent' });
    expect(readSink(dataDir)).toHaveLength(count + 1);
    const m = last();
    expect(m.headers.to).toBe('back@example.com');
    expect(m.text).toContain(s.components.dashboard.name);
    expect((await loadManagedSubscription(db(), token))?.state).toBe('unsubscribed');

    const again = await confirmSubscription(db(), linkToken(m.text, `${SITE}/subscribe/confirm`));
    // The same manage token as before: the links in older emails keep working.
    expect(again).toEqual({ status: 'ok', manageToken: token });
    expect(await loadManagedSubscription(db(), token)).toMatchObject({
      id,
      state: 'active',
      componentIds: [s.components.dashboard.id],
    });
    expect(await resubscribe(db(), mailer, 'a'.repeat(43), base())).toEqual({ status: 'invalid' });
  });
});

describe('loadManagePage', () => {
  const app = () => ({ db: db(), mailer, config: { siteUrl: SITE } as never });
  const url = (token: string) => new URL(`${SITE}/subscribe/manage?token=${encodeURIComponent(token)}`);

  it('shows the form, saves, and re-renders with the input kept on a refusal', async () => {
    const { token } = await confirmed('page@example.com');
    const get = await loadManagePage(app(), new Request(url(token)), url(token), '10.9.0.1');
    expect(get).toMatchObject({ status: 200, state: 'form', maskedEmail: 'p***@example.com' });
    expect(get.values).toEqual({ scope: 'all', components: [] });
    expect(get.groups.flatMap((g) => g.components.map((c) => c.id))).not.toContain(s.components.secretComponent.id);

    const bad = await loadManagePage(
      app(),
      form([
        ['scope', 'some'],
        ['components', s.components.rest.id],
        ['components', s.components.secretComponent.id],
      ]),
      url(token),
      '10.9.0.1',
    );
    expect(bad).toMatchObject({
      status: 422,
      state: 'form',
      errors: { components: 'Choose components from the list' },
    });
    expect(bad.values).toEqual({ scope: 'some', components: [s.components.rest.id, s.components.secretComponent.id] });

    const saved = await loadManagePage(
      app(),
      form([
        ['scope', 'some'],
        ['components', s.components.rest.id],
      ]),
      url(token),
      '10.9.0.1',
    );
    expect(saved).toMatchObject({ status: 200, state: 'saved', savedNames: [s.components.rest.name] });

    // A script sending no scope: no component means all of them, as on /subscribe.
    const all = await loadManagePage(app(), form([]), url(token), '10.9.0.1');
    expect(all).toMatchObject({ status: 200, state: 'saved', savedNames: null });
  });

  it('answers 400 to a bad token and 409 to a save once unsubscribed', async () => {
    const bad = await loadManagePage(app(), form([['scope', 'all']]), url('a'.repeat(43)), '10.9.0.2');
    expect(bad).toMatchObject({ status: 400, state: 'invalid', maskedEmail: '' });
    const { token } = await confirmed('late@example.com');
    await unsubscribe(db(), token);
    const refused = await loadManagePage(app(), form([['scope', 'all']]), url(token), '10.9.0.2');
    expect(refused).toMatchObject({ status: 409, state: 'unsubscribed' });
    const back = await loadManagePage(app(), form([['action', 'resubscribe']]), url(token), '10.9.0.2');
    expect(back).toMatchObject({ status: 200, state: 'resubscribe-sent' });
  });
});

describe('renderEmail', () => {
  it('shows "Manage your subscription" next to "Unsubscribe" when given a manage link', () => {
    const input = {
      pageName: 'Acme',
      incidentName: 'Slow API',
      severity: 3 as const,
      status: 'investigating' as const,
      body: 'Looking.',
      time: 'now',
      affected: [],
      incidentUrl: `${SITE}/incidents/x`,
      unsubscribeUrl: `${SITE}/unsubscribe?token=abc`,
    };
    const without = renderEmail(input);
    expect(without.text).not.toContain('Manage your subscription');
    expect(without.html).not.toContain('Manage your subscription');
    const email = renderEmail({ ...input, manageUrl: `${SITE}/subscribe/manage?token=abc` });
    expect(email.text).toContain(
      `Manage your subscription: ${SITE}/subscribe/manage?token=abc\nUnsubscribe: ${SITE}/unsubscribe?token=abc`,
    );
    expect(email.html).toContain(`<a href="${SITE}/subscribe/manage?token=abc">Manage your subscription</a>`);
    expect(email.html).toContain(`<a href="${SITE}/unsubscribe?token=abc">Unsubscribe</a>`);
  });
});
