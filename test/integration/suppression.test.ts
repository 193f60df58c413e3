/**
 * Provider-reported suppression: the service (normalisation, first reason kept, queued emails
 * skipped, fan-out leaving the address out) and Resend's webhook handler, with events signed
 * by the `standardwebhooks` package the resend SDK itself verifies with.
 */
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { auditLog, emailDeliveries, subscribers } from '../../src/db/schema/index.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import { hashSecret, newId, newSecret } from '../../src/server/ids.ts';
import { fanOut } from '../../src/server/notify/fanout.ts';
import {
  handleResendWebhook,
  isAddressRejection,
  suppressAddresses,
} from '../../src/server/subscribers/suppression.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { system } from '../helpers/principals.ts';
import { seedScenario } from '../helpers/scenario.ts';

let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
const db = () => t.handle.db;

beforeAll(async () => {
  t = await createTestDatabase();
  s = await seedScenario(db());
});
afterAll(() => t.drop());

let counter = 0;
/** A confirmed subscriber to everything, with a unique address built from `local`. */
async function addSubscriber(local: string, domain = 'example.com'): Promise<{ id: string; email: string }> {
  const email = `${local}-${++counter}@${domain}`;
  const [row] = await db()
    .insert(subscribers)
    .values({
      id: newId(),
      email,
      allComponents: true,
      confirmedAt: new Date(),
      manageTokenHash: hashSecret(newSecret()),
    })
    .returning({ id: subscribers.id, email: subscribers.email });
  return row;
}

async function subscriber(id: string) {
  const [row] = await db().select().from(subscribers).where(eq(subscribers.id, id));
  return row;
}

/** A public update with notify on, fanned out to every subscriber there is now. */
async function publishAndFanOut(): Promise<string> {
  const { update } = await createIncident(db(), system, {
    name: `Outage ${++counter}`,
    status: 'investigating',
    severity: 2,
    body: 'Looking into it.',
    components: { [s.components.cdn.id]: 'partial_outage' },
  });
  await fanOut(db(), update.id);
  return update.id;
}

async function deliveryOf(updateId: string, subscriberId: string) {
  const [row] = await db()
    .select()
    .from(emailDeliveries)
    .where(and(eq(emailDeliveries.updateId, updateId), eq(emailDeliveries.subscriberId, subscriberId)));
  return row;
}

describe('suppressAddresses', () => {
  it('suppresses by the normalised address, once, keeping the first time and reason', async () => {
    const ann = await addSubscriber('Ann');
    const other = await addSubscriber('other');
    const first = new Date('2030-01-02T03:04:05Z');
    const shouted = `  ${ann.email.replace('example.com', 'EXAMPLE.COM')}\n`;
    expect(
      await suppressAddresses(db(), [shouted, shouted, 'nobody@example.com', 'not-an-address'], 'Bounced', first),
    ).toBe(1);
    expect(await subscriber(ann.id)).toMatchObject({ suppressedAt: first, suppressionReason: 'Bounced' });
    expect((await subscriber(other.id)).suppressedAt).toBeNull();

    // Again, with another reason: nothing changes.
    expect(await suppressAddresses(db(), [ann.email], 'Marked as spam', new Date('2030-02-01T00:00:00Z'))).toBe(0);
    expect(await subscriber(ann.id)).toMatchObject({ suppressedAt: first, suppressionReason: 'Bounced' });
    expect(await suppressAddresses(db(), [], 'Bounced')).toBe(0);

    const audit = await db().select().from(auditLog).where(eq(auditLog.entityId, ann.id));
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'subscriber.suppress',
        actorType: 'system',
        entityType: 'subscriber',
        detail: { email: ann.email, reason: 'Bounced' },
      }),
    ]);
  });

  it('keeps the case of the local part, as subscription does', async () => {
    const bob = await addSubscriber('Bob');
    expect(await suppressAddresses(db(), [bob.email.toLowerCase()], 'Bounced')).toBe(0);
    expect(await suppressAddresses(db(), [bob.email], 'Bounced')).toBe(1);
  });

  it("skips the subscriber's queued emails, leaves sent and in-flight ones, and fan-out leaves them out", async () => {
    const gone = await addSubscriber('gone');
    const stays = await addSubscriber('stays');
    const now = new Date();
    const queued = await publishAndFanOut();
    const inFlight = await publishAndFanOut();
    const abandoned = await publishAndFanOut();
    const sent = await publishAndFanOut();
    const set = (updateId: string, values: Partial<typeof emailDeliveries.$inferInsert>) =>
      db()
        .update(emailDeliveries)
        .set(values)
        .where(and(eq(emailDeliveries.updateId, updateId), eq(emailDeliveries.subscriberId, gone.id)));
    await set(inFlight, { status: 'sending', lockedUntil: new Date(now.getTime() + 60_000) });
    await set(abandoned, { status: 'sending', lockedUntil: new Date(now.getTime() - 1_000) });
    await set(sent, { status: 'sent', sentAt: now });

    expect(await suppressAddresses(db(), [gone.email], 'Bounced (Permanent/General): 550 no such user', now)).toBe(1);
    for (const id of [queued, abandoned]) {
      expect(await deliveryOf(id, gone.id)).toMatchObject({
        status: 'skipped',
        lastError: 'Bounced (Permanent/General): 550 no such user',
        lockedUntil: null,
      });
    }
    expect((await deliveryOf(inFlight, gone.id)).status).toBe('sending');
    expect((await deliveryOf(sent, gone.id)).status).toBe('sent');
    // Somebody else's emails are untouched.
    expect((await deliveryOf(queued, stays.id)).status).toBe('pending');

    const next = await publishAndFanOut();
    expect(await deliveryOf(next, gone.id)).toBeUndefined();
    expect((await deliveryOf(next, stays.id)).status).toBe('pending');
  });
});

describe('isAddressRejection', () => {
  it.each([
    'Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
    'Invalid `to` field. Please use our testing email address instead of domains like `example.com`.',
    'The `to` field contains an invalid email address.',
  ])('the address itself: %s', (message) => expect(isAddressRejection(message)).toBe(true));

  it.each([
    'The `to` field is missing.',
    'Missing `from`, `to`, `subject` or content',
    'You can only send testing emails to your own email address (me@example.org). To send emails to other recipients, please verify a domain at resend.com/domains, and change the `from` address to an email using this domain.',
    'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
    'Too many recipients: the `to` field must contain at most 50 addresses (invalid).',
    'The `subject` field is invalid.',
    'Internal server error',
    '',
  ])('not the address: %s', (message) => expect(isAddressRejection(message)).toBe(false));
});

describe('handleResendWebhook', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const hook = new Webhook(secret);
  const now = new Date('2030-06-01T12:00:00Z');

  /** Headers Resend would send for `body`, signed at `at` (svix-* names unless told). */
  function signed(body: string, options: { at?: Date; id?: string; prefix?: 'svix' | 'webhook'; key?: Webhook } = {}) {
    const at = options.at ?? now;
    const id = options.id ?? `msg_${newId()}`;
    const prefix = options.prefix ?? 'svix';
    return new Headers({
      [`${prefix}-id`]: id,
      [`${prefix}-timestamp`]: String(Math.floor(at.getTime() / 1000)),
      [`${prefix}-signature`]: (options.key ?? hook).sign(id, at, body),
    });
  }

  const deliver = (body: string, headers = signed(body), at = now) =>
    handleResendWebhook(db(), { rawBody: body, headers, secret }, at);

  const event = (type: string, data: Record<string, unknown>) =>
    JSON.stringify({
      type,
      created_at: now.toISOString(),
      data: {
        created_at: now.toISOString(),
        email_id: newId(),
        from: 'Acme <status@example.com>',
        subject: 'CDN outage',
        ...data,
      },
    });

  const bounced = (to: string, type = 'Permanent', subType = 'General') =>
    event('email.bounced', {
      to: [to],
      bounce: { type, subType, message: "The recipient's email address is on the suppression list." },
    });

  let person: { id: string; email: string };
  beforeEach(async () => {
    person = await addSubscriber('hook');
  });

  it('suppresses a hard bounce, with the bounce in the reason and Resend as the actor', async () => {
    const reply = await deliver(bounced(person.email));
    expect(reply).toEqual({
      status: 200,
      body: {
        received: true,
        type: 'email.bounced',
        action: 'suppressed',
        reason: "Bounced (Permanent/General): The recipient's email address is on the suppression list.",
      },
    });
    expect(await subscriber(person.id)).toMatchObject({
      suppressedAt: now,
      suppressionReason: "Bounced (Permanent/General): The recipient's email address is on the suppression list.",
    });
    const [audit] = await db().select().from(auditLog).where(eq(auditLog.entityId, person.id));
    expect(audit).toMatchObject({ actorType: 'webhook', actorName: 'Resend', action: 'subscriber.suppress' });
  });

  it('answers the same event delivered twice the same way, and changes nothing the second time', async () => {
    const body = bounced(person.email);
    const headers = signed(body, { id: 'msg_same' });
    const first = await deliver(body, headers);
    const again = await deliver(body, headers, new Date(now.getTime() + 60_000));
    expect(again).toEqual(first);
    expect((await subscriber(person.id)).suppressedAt).toEqual(now);
    expect(await db().select().from(auditLog).where(eq(auditLog.entityId, person.id))).toHaveLength(1);
  });

  it('leaves transient and undetermined bounces alone', async () => {
    for (const type of ['Transient', 'Undetermined']) {
      const reply = await deliver(bounced(person.email, type, 'MailboxFull'));
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ action: 'ignored' });
    }
    expect((await subscriber(person.id)).suppressedAt).toBeNull();
  });

  it('suppresses on a complaint, on email.suppressed and on suppression.added', async () => {
    await deliver(event('email.complained', { to: [person.email] }));
    expect((await subscriber(person.id)).suppressionReason).toBe('Marked as spam');

    const listed = await addSubscriber('listed');
    await deliver(
      event('email.suppressed', {
        to: [`Listed <${listed.email}>`],
        suppressed: { type: 'OnAccountSuppressionList', message: 'Previously bounced' },
      }),
    );
    expect((await subscriber(listed.id)).suppressionReason).toBe(
      'Suppressed by Resend (OnAccountSuppressionList): Previously bounced',
    );

    const added = await addSubscriber('added');
    const reply = await deliver(
      JSON.stringify({
        type: 'suppression.added',
        created_at: now.toISOString(),
        data: { id: 'sup_1', email: added.email, origin: 'complaint', source_id: null, created_at: now.toISOString() },
      }),
    );
    expect(reply.body).toMatchObject({ action: 'suppressed' });
    expect((await subscriber(added.id)).suppressionReason).toBe("On Resend's suppression list (complaint)");
  });

  it('accepts the standard webhook-* header names too', async () => {
    const body = event('email.complained', { to: [person.email] });
    expect((await deliver(body, signed(body, { prefix: 'webhook' }))).status).toBe(200);
    expect((await subscriber(person.id)).suppressedAt).toEqual(now);
  });

  it('ignores other events, and an event naming several recipients', async () => {
    for (const type of ['email.delivered', 'email.opened', 'email.failed', 'suppression.removed', 'domain.created']) {
      const reply = await deliver(event(type, { to: [person.email], failed: { reason: 'reached_daily_quota' } }));
      expect(reply, type).toMatchObject({ status: 200, body: { received: true, type, action: 'ignored' } });
    }
    const several = await deliver(event('email.complained', { to: [person.email, 'someone@example.org'] }));
    expect(several).toMatchObject({ status: 200, body: { action: 'ignored' } });
    expect((await subscriber(person.id)).suppressedAt).toBeNull();
  });

  it('refuses a bad, missing, stale or future signature with 401 and changes nothing', async () => {
    const body = bounced(person.email);
    const other = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
    const tooOld = new Date(now.getTime() - 5 * 60_000 - 1_000);
    const tooNew = new Date(now.getTime() + 5 * 60_000 + 1_000);
    const tampered = signed(body);
    const cases: [string, Headers, RegExp][] = [
      ['another secret', signed(body, { key: other }), /does not match/],
      ['no headers', new Headers(), /Missing the svix-id/],
      ['tampered', tampered, /does not match/],
      ['too old', signed(body, { at: tooOld }), /more than 5 minutes old/],
      ['too new', signed(body, { at: tooNew }), /ahead/],
    ];
    for (const [label, headers, message] of cases) {
      const raw = label === 'tampered' ? body.replace('Permanent', 'Permanent ') : body;
      const reply = await deliver(raw, headers);
      expect(reply.status, label).toBe(401);
      expect((reply.body as { error: { message: string } }).error.message, label).toMatch(message);
    }
    const bad = new Headers(signed(body));
    bad.set('svix-timestamp', 'yesterday');
    expect((await deliver(body, bad)).status).toBe(401);
    expect((await subscriber(person.id)).suppressedAt).toBeNull();
    // Within the five minutes, either way: accepted.
    expect((await deliver(body, signed(body, { at: new Date(now.getTime() - 4 * 60_000) }))).status).toBe(200);
  });

  it('answers 400 to a signed body that is not a Resend event', async () => {
    for (const body of ['{"type": "email.bounced", ', '[]', '{"type": "email.bounced"}', '"hello"']) {
      const reply = await deliver(body);
      expect(reply.status, body).toBe(400);
      expect(reply.body, body).toEqual({ error: { message: expect.any(String) } });
    }
    const noRecipient = await deliver(event('email.bounced', { bounce: { type: 'Permanent' } }));
    expect(noRecipient.status).toBe(400);
    expect(
      await queryRows(db(), sql`select 1 from subscribers where id = ${person.id} and suppressed_at is not null`),
    ).toEqual([]);
  });
});
