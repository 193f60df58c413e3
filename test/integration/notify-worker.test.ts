import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq, isNull, like, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { emailDeliveries, outbox, settings, subscribers } from '../../src/db/schema/index.ts';
import { createSubscriber } from '../../src/server/subscribers/service.ts';
import { comms } from '../helpers/principals.ts';
import type { Actor } from '../../src/server/audit/service.ts';
import { createIncident, postUpdate } from '../../src/server/incidents/service.ts';
import { fanOut, fanOutChunk } from '../../src/server/notify/fanout.ts';
import { startWorkerLoop } from '../../src/server/notify/loop.ts';
import { runMaintenanceSchedule } from '../../src/server/maintenances/scheduler.ts';
import { createMaintenance, updateMaintenance } from '../../src/server/maintenances/service.ts';
import { getSigningSecret } from '../../src/server/notify/tokens.ts';
import { loadStatusPage } from '../../src/server/status-page/queries.ts';
import { createMailer } from '../../src/server/notify/mailer.ts';
import { MAX_ATTEMPTS, runWorkerOnce } from '../../src/server/notify/worker.ts';
import { confirmSubscription, subscribe, unsubscribe } from '../../src/server/subscribers/public-flow.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addSubscribers as addSubscribersTo, type SubscriberSpec } from '../helpers/subscribers.ts';
import { decodeHeader, linkToken, readSink } from '../helpers/mail.ts';
import { startResendStandIn, type ResendStandIn } from '../helpers/resend-stand-in.ts';
import { seedScenario } from '../helpers/scenario.ts';
import { getSettings } from '../../src/server/settings/queries.ts';

const actor: Actor = { type: 'system', name: 'test' };
const SITE = 'https://status.example.com';
const FROM = 'Acme <status@example.com>';

let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
const db = () => t.handle.db;

/** Subscribers inserted directly, as an admin import would (placeholder manage tokens). */
const addSubscribers = (specs: SubscriberSpec[]) => addSubscribersTo(db(), specs);

async function recipientsOf(updateId: string): Promise<string[]> {
  const rows = await db()
    .select({ email: subscribers.email })
    .from(emailDeliveries)
    .innerJoin(subscribers, eq(subscribers.id, emailDeliveries.subscriberId))
    .where(eq(emailDeliveries.messageKey, `update:${updateId}`));
  return rows.map((r) => r.email).sort();
}

async function freshDatabase() {
  t = await createTestDatabase();
  s = await seedScenario(db());
  // The scenario's own outbox rows (one fan-out a pass), consumed while nobody is subscribed.
  const mailer = createMailer({ dataDir: tmpdir(), from: FROM });
  while ((await runWorkerOnce(db(), { mailer, siteUrl: SITE })).outboxRows > 0);
  await queryRows(db(), sql`delete from email_deliveries`);
}

/** Opens a public Sev 1 incident on the CDN (notify on) and returns its first update's id. */
async function publish(components: Record<string, 'major_outage' | 'partial_outage'>, extra = {}) {
  const { update } = await createIncident(db(), actor, {
    name: 'CDN outage',
    status: 'investigating',
    severity: 1,
    body: 'We are **looking** into it. <script>alert(1)</script>',
    components,
    ...extra,
  });
  return update.id;
}

describe('fan-out', () => {
  beforeAll(freshDatabase);
  afterAll(() => t.drop());

  it('picks exactly the confirmed, subscribed, reachable subscribers of the affected public components', async () => {
    await addSubscribers([
      { email: 'all@example.com' },
      { email: 'cdn@example.com', components: [s.components.cdn.id] },
      { email: 'rest@example.com', components: [s.components.rest.id] },
      { email: 'both@example.com', components: [s.components.rest.id, s.components.cdn.id] },
      { email: 'unconfirmed@example.com', confirmed: false },
      { email: 'gone@example.com', unsubscribed: true },
      { email: 'bounced@example.com', suppressed: true },
      { email: 'gone-cdn@example.com', components: [s.components.cdn.id], unsubscribed: true },
    ]);
    const updateId = await publish({ [s.components.cdn.id]: 'major_outage' });
    const r = await runWorkerOnce(db(), {
      mailer: createMailer({ dataDir: tmpdir(), from: FROM }),
      siteUrl: SITE,
      batchSize: 1,
    });
    expect(r.fannedOut).toBe(3);
    expect(await recipientsOf(updateId)).toEqual(['all@example.com', 'both@example.com', 'cdn@example.com']);
    // Running it again adds nobody.
    expect(await fanOut(db(), updateId)).toBe(0);
  });

  it('walks the subscribers in chunks, each reached once, whatever the chunk size', async () => {
    await addSubscribers(Array.from({ length: 7 }, (_, i) => ({ email: `chunk${i}@example.com` })));
    const updateId = await publish({ [s.components.cdn.id]: 'major_outage' });
    const everyone = (await recipientsOf(updateId)).length; // none yet: the worker has not run
    expect(everyone).toBe(0);
    let after: string | null = null;
    let added = 0;
    let chunks = 0;
    do {
      const chunk: Awaited<ReturnType<typeof fanOutChunk>> = await fanOutChunk(db(), updateId, new Date(), after, 3);
      added += chunk.added;
      after = chunk.next;
      chunks++;
    } while (after !== null && chunks < 20);
    const reached = await recipientsOf(updateId);
    expect(reached.filter((e) => e.startsWith('chunk'))).toHaveLength(7);
    expect(added).toBe(reached.length);
    expect(chunks).toBeGreaterThan(3);
    expect(await fanOut(db(), updateId)).toBe(0);
  });

  it('lets a worker pass fan out one chunk and leave the rest, with its cursor, to the next', async () => {
    const updateId = await publish({ [s.components.cdn.id]: 'major_outage' });
    // Only this update's fan-out is pending.
    await queryRows(
      db(),
      sql`update outbox set processed_at = now()
          where not (topic = 'update.published' and payload->>'updateId' = ${updateId})`,
    );
    const mailer = createMailer({ dataDir: tmpdir(), from: FROM });
    const processed = async () =>
      (
        await queryRows<{ processed: boolean; after: string | null }>(
          db(),
          sql`select processed_at is not null as processed, payload->>'after' as after
              from outbox where topic = 'update.published' and payload->>'updateId' = ${updateId}`,
        )
      )[0];
    const first = await runWorkerOnce(db(), { mailer, siteUrl: SITE, fanOutChunk: 3 });
    expect(first.fannedOut).toBeLessThanOrEqual(3);
    expect(first.outboxRows).toBe(1);
    expect(await processed()).toMatchObject({ processed: false, after: expect.any(String) });
    for (let pass = 0; pass < 20 && !(await processed()).processed; pass++) {
      await runWorkerOnce(db(), { mailer, siteUrl: SITE, fanOutChunk: 3 });
    }
    expect((await processed()).processed).toBe(true);
    const reached = await recipientsOf(updateId);
    expect(reached.filter((e) => e.startsWith('chunk'))).toHaveLength(7);
    expect(new Set(reached).size).toBe(reached.length);
  });

  it('never fans out internal updates, internal incidents or updates without notify', async () => {
    const internalIncident = await publish({ [s.components.cdn.id]: 'partial_outage' }, { visibility: 'internal' });
    const quiet = await publish({ [s.components.cdn.id]: 'partial_outage' }, { notify: false });
    const incidentId = s.incidents.active.id;
    const internalUpdate = await postUpdate(db(), actor, incidentId, {
      status: 'identified',
      audience: 'internal',
      body: 'internal note',
    });
    for (const id of [internalIncident, quiet, internalUpdate.id]) {
      expect(await fanOut(db(), id)).toBe(0);
      expect(await recipientsOf(id)).toEqual([]);
    }
  });
});

/** The incident of the deliveries sent with this key. */
async function incidentOf(key: string | null): Promise<string | null> {
  const [row] = await queryRows<{ incident_id: string }>(
    db(),
    sql`select incident_id from email_deliveries where ${key}::text like batch_key || '%' limit 1`,
  );
  return row?.incident_id ?? null;
}

describe('worker against the Resend stand-in', () => {
  let resend: ResendStandIn;
  const previous = process.env.RESEND_BASE_URL;
  const mailer = () => createMailer({ apiKey: 're_test_123', dataDir: tmpdir(), from: FROM });
  beforeEach(async () => {
    resend = await startResendStandIn();
    process.env.RESEND_BASE_URL = resend.url;
    await freshDatabase();
  });
  afterEach(async () => {
    if (previous === undefined) delete process.env.RESEND_BASE_URL;
    else process.env.RESEND_BASE_URL = previous;
    await resend.close();
    await t.drop();
  });

  const everyone = (n: number) => Array.from({ length: n }, (_, i) => ({ email: `user${i}@example.com` }));

  async function drain(start: Date, mail = mailer()) {
    let now = start;
    for (let pass = 0; pass < 100; pass++) {
      const r = await runWorkerOnce(db(), { mailer: mail, siteUrl: SITE, now });
      const [left] = await queryRows<{ n: number }>(
        db(),
        sql`select count(*)::int as n from email_deliveries where status in ('pending', 'sending')`,
      );
      if (Number(left.n) === 0) return;
      now = new Date(now.getTime() + (r.backoffMs ?? 0) + 1_000);
    }
    throw new Error('the worker never finished');
  }

  it('sends 250 subscribers in batches of at most 100, each with its own stable key', async () => {
    await addSubscribers(everyone(250));
    await publish({ [s.components.cdn.id]: 'major_outage' });
    await drain(new Date());
    const batches = resend.requests.filter((r) => r.path === '/emails/batch');
    expect(batches.map((b) => b.emails)).toEqual([100, 100, 50]);
    expect(new Set(batches.map((b) => b.idempotencyKey)).size).toBe(3);
    expect(resend.accepted.size).toBe(250);
    expect(resend.duplicates()).toEqual([]);
    const rows = await db().select().from(emailDeliveries);
    expect(rows.every((r) => r.status === 'sent' && r.providerId && r.batchKey)).toBe(true);
  });

  it('ends a 429 then 500 storm with every subscriber mailed exactly once, retrying with the same key', async () => {
    await addSubscribers(everyone(150));
    await publish({ [s.components.cdn.id]: 'major_outage' });
    resend.fail(3, 429, 7);
    resend.fail(3, 500);
    const start = new Date();
    const first = await runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now: start });
    expect(first.retried).toBe(100);
    expect(first.backoffMs).toBeGreaterThanOrEqual(7_000);
    // Not due before the retry-after.
    const early = await runWorkerOnce(db(), {
      mailer: mailer(),
      siteUrl: SITE,
      now: new Date(start.getTime() + 6_000),
    });
    expect(early.idempotencyKey).not.toBe(first.idempotencyKey);
    await drain(new Date(start.getTime() + 8_000));
    expect(resend.accepted.size).toBe(150);
    expect(resend.duplicates()).toEqual([]);
    const keysOfFirst = resend.requests.filter((r) => r.idempotencyKey === first.idempotencyKey);
    expect(keysOfFirst.length).toBeGreaterThan(1);
    expect(keysOfFirst.at(-1)!.status).toBe(200);
    const rows = await db().select().from(emailDeliveries);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
  });

  it('replays a batch whose answer was lost with the same key: the provider sends nothing new', async () => {
    await addSubscribers(everyone(10));
    await publish({ [s.components.cdn.id]: 'major_outage' });
    const now = new Date();
    const r = await runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now });
    expect(r.sent).toBe(10);
    // As if the worker had crashed before recording the answer.
    await queryRows(
      db(),
      sql`update email_deliveries set status = 'sending', locked_until = ${now.toISOString()}::timestamptz`,
    );
    const again = await runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now: new Date(now.getTime() + 1) });
    expect(again.idempotencyKey).toBe(r.idempotencyKey);
    expect(again.sent).toBe(10);
    expect(resend.duplicates()).toEqual([]);
  });

  it('resends an attempted batch with the same members, even if one unsubscribed meanwhile', async () => {
    await addSubscribers(everyone(5));
    await publish({ [s.components.cdn.id]: 'major_outage' });
    const now = new Date();
    resend.fail(1, 500);
    const first = await runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now });
    expect(first.retried).toBe(5);
    await db().update(subscribers).set({ unsubscribedAt: now }).where(eq(subscribers.email, 'user3@example.com'));
    const again = await runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now: new Date(now.getTime() + 60_000) });
    expect(again).toMatchObject({ sent: 5, skipped: 0, idempotencyKey: first.idempotencyKey });
    // The next update does not reach them.
    await postUpdate(db(), actor, (await incidentOf(again.idempotencyKey))!, {
      status: 'identified',
      body: 'Found it.',
    });
    const third = await runWorkerOnce(db(), {
      mailer: mailer(),
      siteUrl: SITE,
      now: new Date(now.getTime() + 120_000),
    });
    expect(third.sent).toBe(4);
    expect(resend.accepted.get('user3@example.com')).toBe(1);
    expect(resend.accepted.get('user2@example.com')).toBe(2);
  });

  it('takes a 409 for a key the provider already had as sent (an earlier attempt went out)', async () => {
    await addSubscribers(everyone(3));
    await publish({ [s.components.cdn.id]: 'major_outage' });
    const now = new Date();
    const r = await runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now });
    expect(r.sent).toBe(3);
    // The answer was lost, and the update was edited before the retry: another payload.
    await queryRows(
      db(),
      sql`update email_deliveries set status = 'sending', locked_until = ${now.toISOString()}::timestamptz`,
    );
    await queryRows(db(), sql`update incident_updates set body = 'Edited since.'`);
    const again = await runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now: new Date(now.getTime() + 1) });
    expect(again.sent).toBe(3);
    expect(resend.requests.at(-1)!.status).toBe(409);
    expect(resend.duplicates()).toEqual([]);
    const rows = await db().select().from(emailDeliveries);
    expect(rows.every((x) => x.status === 'sent' && /earlier attempt/.test(x.lastError ?? ''))).toBe(true);
  });

  it('fails on a validation error with the reason, and gives up after the last attempt', async () => {
    await addSubscribers([{ email: 'a@example.com' }]);
    await publish({ [s.components.cdn.id]: 'major_outage' });
    const bad = createMailer({ apiKey: 're_test_123', dataDir: tmpdir(), from: '' });
    const r = await runWorkerOnce(db(), { mailer: bad, siteUrl: SITE });
    expect(r.failed).toBe(1);
    const [row] = await db().select().from(emailDeliveries);
    expect(row.status).toBe('failed');
    expect(row.lastError).toMatch(/Missing/);

    await queryRows(
      db(),
      sql`update email_deliveries set status = 'pending', attempts = ${MAX_ATTEMPTS - 1}, last_error = null`,
    );
    resend.fail(1, 500);
    await runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now: new Date(Date.now() + 3_600_000) });
    const [given] = await db().select().from(emailDeliveries);
    expect(given.status).toBe('failed');
    expect(given.attempts).toBe(MAX_ATTEMPTS);
    expect(given.lastError).toMatch(/Gave up after 8 attempts/);
  });

  it('fails only the address the provider refuses, and sends the rest of the batch', async () => {
    await addSubscribers(everyone(5));
    resend.reject('user2@example.com');
    await publish({ [s.components.cdn.id]: 'major_outage' });
    const r = await runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE });
    expect(r).toMatchObject({ claimed: 5, sent: 4, failed: 1, retried: 0 });
    const rows = await db()
      .select({ email: subscribers.email, status: emailDeliveries.status, error: emailDeliveries.lastError })
      .from(emailDeliveries)
      .innerJoin(subscribers, eq(subscribers.id, emailDeliveries.subscriberId));
    const refused = rows.filter((x) => x.status === 'failed');
    expect(refused).toEqual([
      {
        email: 'user2@example.com',
        status: 'failed',
        error: expect.stringMatching(/refused this email: Invalid `to`/),
      },
    ]);
    expect(rows.filter((x) => x.status === 'sent')).toHaveLength(4);
    const [refusedPerson] = await db().select().from(subscribers).where(eq(subscribers.email, 'user2@example.com'));
    expect(refusedPerson.suppressedAt).not.toBeNull();
    expect(refusedPerson.suppressionReason).toMatch(/Refused by the provider: Invalid `to`/);
    expect([...resend.accepted.keys()].sort()).toEqual(
      ['user0@example.com', 'user1@example.com', 'user3@example.com', 'user4@example.com'].sort(),
    );
  });

  it('uses the sender set in the settings over EMAIL_FROM', async () => {
    await addSubscribers(everyone(1));
    await getSettings(db()); // the row exists once read
    await db().update(settings).set({ emailFrom: 'Status <news@acme.test>' }).where(eq(settings.id, 1));
    await publish({ [s.components.cdn.id]: 'major_outage' });
    const seen: string[] = [];
    const spy = { ...mailer() };
    const real = mailer();
    spy.sendBatch = (messages, options) => {
      seen.push(...messages.map((m) => m.from ?? FROM));
      return real.sendBatch(messages, options);
    };
    await runWorkerOnce(db(), { mailer: spy, siteUrl: SITE });
    expect(seen).toEqual(['Status <news@acme.test>']);
  });

  // On Postgres the two workers hold separate connections and race for real (SKIP LOCKED);
  // on PGlite they share one connection that runs one transaction at a time, which must
  // stay correct too (the server's loop and requests share it the same way).
  it('two workers racing never send a delivery twice', async () => {
    await addSubscribers(everyone(300));
    await publish({ [s.components.cdn.id]: 'major_outage' });
    const now = new Date();
    await runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now, batchSize: 1 }); // the fan-out
    for (let round = 0; round < 5; round++) {
      await Promise.all([
        runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now }),
        runWorkerOnce(db(), { mailer: mailer(), siteUrl: SITE, now }),
      ]);
    }
    expect(resend.accepted.size).toBe(300);
    expect(resend.duplicates()).toEqual([]);
  });
});

describe('mail sink and unsubscribe links', () => {
  let dataDir: string;
  beforeAll(async () => {
    await freshDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'vigie-mail-'));
  });
  afterAll(async () => {
    await t.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes .eml files with the one-click headers, and the link unsubscribes', async () => {
    const mailer = createMailer({ dataDir, from: FROM });
    await getSettings(db()); // the row exists
    await db().update(settings).set({ pageName: 'Acme' });
    // One subscriber through the public flow, one added directly.
    await subscribe(db(), mailer, { email: 'flow@example.com', ip: '10.1.1.1', siteUrl: SITE, pageName: 'Acme' });
    const confirmed = await confirmSubscription(db(), linkToken(readSink(dataDir).at(-1)!.text, '/subscribe/confirm'));
    expect(confirmed.status).toBe('ok');
    await addSubscribers([{ email: 'direct@example.com', components: [s.components.cdn.id] }]);

    await publish({ [s.components.cdn.id]: 'major_outage' });
    const r = await runWorkerOnce(db(), { mailer, siteUrl: SITE });
    expect(r.sent).toBe(2);
    const mails = readSink(dataDir)
      .map((m) => ({ ...m, subject: decodeWords(m.headers.subject) }))
      .filter((m) => m.subject.includes('CDN outage'));
    expect(mails).toHaveLength(2);
    for (const m of mails) {
      expect(m.subject).toBe('[Acme] [Sev 1] CDN outage — Investigating');
      expect(m.headers['list-unsubscribe']).toMatch(/^<https:\/\/status\.example\.com\/unsubscribe\?token=[\w-]+>$/);
      expect(m.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
      expect(m.text).toContain('Affected components: CDN: Major outage');
      expect(m.text).toMatch(/Follow this incident: https:\/\/status\.example\.com\/incidents\/\w+/);
      expect(m.html).toContain('<strong>looking</strong>');
      expect(m.html).not.toContain('<script>');
      expect(m.text).toContain(linkToken(m.headers['list-unsubscribe'], '/unsubscribe'));
    }
    const flow = mails.find((m) => m.headers.to === 'flow@example.com')!;
    const flowToken = linkToken(flow.text, '/unsubscribe');
    expect(flowToken).toBe(confirmed.status === 'ok' ? confirmed.manageToken : null);
    for (const m of mails) {
      expect(await unsubscribe(db(), linkToken(m.text, '/unsubscribe'))).toEqual({ status: 'ok' });
    }
    const left = await db().select().from(subscribers);
    expect(left.every((x) => x.unsubscribedAt)).toBe(true);
  });
});

/** RFC 2047 `=?UTF-8?B?…?=` words back to text. */
function decodeWords(header: string): string {
  return header
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/g, (_, b64: string) => Buffer.from(b64, 'base64').toString('utf8'));
}

describe('confirmation emails for subscribers staff added', () => {
  let dataDir: string;
  beforeAll(async () => {
    await freshDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'vigie-mail-'));
  });
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await t.drop();
  });

  it('sends the link the admin page promises, once, and it confirms', async () => {
    const mail = createMailer({ dataDir, from: FROM });
    const added = await createSubscriber(db(), comms, { email: 'new@example.com', confirmed: false });
    await createSubscriber(db(), comms, { email: 'imported@example.com', confirmed: true });
    const r = await runWorkerOnce(db(), { mailer: mail, siteUrl: SITE });
    expect(r.confirmations).toBe(1);
    await runWorkerOnce(db(), { mailer: mail, siteUrl: SITE, now: new Date(Date.now() + 120_000) });
    const sink = readSink(dataDir);
    expect(sink.map((m) => m.headers.to)).toEqual(['new@example.com']);
    const token = linkToken(sink[0].text, '/subscribe/confirm');
    expect((await confirmSubscription(db(), token)).status).toBe('ok');
    const [row] = await db().select().from(subscribers).where(eq(subscribers.id, added.id));
    expect(row.confirmedAt).not.toBeNull();
  });

  it('retries a failed send with backoff, and sends nothing to an address confirmed meanwhile', async () => {
    const failing = { ...createMailer({ dataDir, from: FROM }) };
    failing.send = () => Promise.reject(new Error('disk full'));
    await createSubscriber(db(), comms, { email: 'later@example.com', confirmed: false });
    const first = await runWorkerOnce(db(), { mailer: failing, siteUrl: SITE });
    expect(first.confirmations).toBe(0);
    const [queued] = await db()
      .select()
      .from(outbox)
      .where(and(eq(outbox.topic, 'subscriber.confirm'), isNull(outbox.processedAt)));
    expect(queued).toMatchObject({ attempts: 1, lastError: 'disk full' });
    await db().update(subscribers).set({ confirmedAt: new Date() }).where(eq(subscribers.email, 'later@example.com'));
    const before = readSink(dataDir).length;
    const again = await runWorkerOnce(db(), {
      mailer: createMailer({ dataDir, from: FROM }),
      siteUrl: SITE,
      now: new Date(Date.now() + 600_000),
    });
    expect(again.confirmations).toBe(0);
    expect(readSink(dataDir)).toHaveLength(before);
    const [done] = await db().select().from(outbox).where(eq(outbox.id, queued.id));
    expect(done.processedAt).not.toBeNull();
  });
});

describe('maintenance reminders through the worker', () => {
  let dataDir: string;
  beforeAll(async () => {
    await freshDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'vigie-mail-'));
  });
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await t.drop();
  });

  it('mails the 60-minute reminder, and skips one that is no longer true', async () => {
    const mail = createMailer({ dataDir, from: FROM });
    const HOUR = 3_600_000;
    const t0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    await addSubscribers([{ email: 'ops@example.com', components: [s.components.cdn.id] }]);
    const window = (h: number) => ({
      scheduledFor: new Date(t0.getTime() + h * HOUR),
      scheduledUntil: new Date(t0.getTime() + (h + 1) * HOUR),
    });
    const { incident: soon } = await createMaintenance(db(), actor, {
      name: 'Database upgrade',
      body: 'We will upgrade the database.',
      components: [s.components.cdn.id],
      notify: true,
      ...window(3),
    });
    const { incident: moved } = await createMaintenance(db(), actor, {
      name: 'Network work',
      body: 'We will move cables.',
      components: [s.components.cdn.id],
      notify: true,
      ...window(3),
    });
    // The two announcements (one fan-out a pass).
    for (let pass = 0; pass < 10; pass++) {
      const r = await runWorkerOnce(db(), { mailer: mail, siteUrl: SITE });
      if (r.outboxRows === 0 && r.claimed === 0) break;
    }
    const announced = readSink(dataDir).length;
    expect(announced).toBe(2);

    const due = new Date(t0.getTime() + 2 * HOUR + 1);
    expect((await runMaintenanceSchedule(db(), due)).reminders).toBe(2);
    // Moved after its reminder was queued: the queued one would lie.
    await updateMaintenance(db(), actor, moved.id, window(30));
    const r = await runWorkerOnce(db(), { mailer: mail, siteUrl: SITE, now: due });
    expect(r).toMatchObject({ sent: 1, skipped: 1 });
    const reminder = readSink(dataDir).slice(announced);
    expect(reminder).toHaveLength(1);
    expect(decodeHeader(reminder[0].headers.subject)).toBe('[Vigie] Database upgrade — Starts in 60 minutes');
    expect(reminder[0].text).toMatch(/starts in about 60 minutes/);
    expect(reminder[0].headers['list-unsubscribe']).toMatch(/^<https:\/\/status\.example\.com\/unsubscribe\?token=/);
    expect(reminder[0].text).toMatch(
      /Manage your subscription: https:\/\/status\.example\.com\/subscribe\/manage\?token=/,
    );
    const [skipped] = await db()
      .select()
      .from(emailDeliveries)
      .where(and(eq(emailDeliveries.incidentId, moved.id), like(emailDeliveries.messageKey, 'reminder:%')));
    expect(skipped).toMatchObject({ status: 'skipped', lastError: expect.stringMatching(/moved/) });
    expect(soon.id).not.toBe(moved.id);
  });
});

describe('delivery loop against a rate-limited provider', () => {
  let resend: ResendStandIn;
  const previous = process.env.RESEND_BASE_URL;
  afterEach(async () => {
    if (previous === undefined) delete process.env.RESEND_BASE_URL;
    else process.env.RESEND_BASE_URL = previous;
    await resend.close();
    await t.drop();
  });

  async function runLoop(opts: {
    subscribers: number;
    sendRate: number;
    providerLimit: number;
    headers: boolean;
    batchSize?: number;
  }) {
    resend = await startResendStandIn({ rateLimit: opts.providerLimit, rateLimitHeaders: opts.headers });
    process.env.RESEND_BASE_URL = resend.url;
    await freshDatabase();
    await addSubscribers(Array.from({ length: opts.subscribers }, (_, i) => ({ email: `paced${i}@example.com` })));
    const loop = startWorkerLoop(db(), {
      mailer: createMailer({ apiKey: 're_test_123', dataDir: tmpdir(), from: FROM }),
      siteUrl: SITE,
      sendRate: opts.sendRate,
      batchSize: opts.batchSize,
      idleMs: 20,
    });
    try {
      await publish({ [s.components.cdn.id]: 'major_outage' });
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && resend.accepted.size < opts.subscribers) {
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await loop.stop();
    }
    expect(resend.accepted.size).toBe(opts.subscribers);
    expect(resend.duplicates()).toEqual([]);
    const [left] = await queryRows<{ n: number }>(
      db(),
      sql`select count(*)::int as n from email_deliveries where status <> 'sent'`,
    );
    expect(Number(left.n)).toBe(0);
  }

  // The provider sends no ratelimit headers here, so only the pacing keeps it under its
  // limit. Small batches make passes quick: two lanes unpaced send far more than 4 + 4/s
  // (checked by removing the pacer).
  it('paces requests to VIGIE_SEND_RATE: a provider allowing exactly that rate never says 429', async () => {
    await runLoop({ subscribers: 60, sendRate: 4, providerLimit: 4, headers: false, batchSize: 4 });
    expect(resend.limited()).toBe(0);
    expect(resend.requests.filter((r) => r.status === 200)).toHaveLength(15);
  });

  // At 20/s against 2/s with no ratelimit headers: everything is still sent once, and the
  // refused batches wait their retry-after (the loop's pause of every lane is covered in
  // test/unit/pacer.test.ts), so refusals stay around one per accepted request (3 to 14
  // measured), where batches retried at once would be refused ~100 times in 5 s.
  it('ends a run against a stricter provider with everyone mailed once, waiting its retry-after', async () => {
    await runLoop({ subscribers: 1000, sendRate: 20, providerLimit: 2, headers: false });
    expect(resend.limited()).toBeLessThanOrEqual(25);
  });

  it('hands the provider’s ratelimit headers to the pacer', async () => {
    resend = await startResendStandIn({ rateLimit: 2 });
    process.env.RESEND_BASE_URL = resend.url;
    await freshDatabase();
    await addSubscribers(Array.from({ length: 3 }, (_, i) => ({ email: `h${i}@example.com` })));
    await publish({ [s.components.cdn.id]: 'major_outage' });
    const r = await runWorkerOnce(db(), {
      mailer: createMailer({ apiKey: 're_test_123', dataDir: tmpdir(), from: FROM }),
      siteUrl: SITE,
    });
    expect(r.sent).toBe(3);
    expect(r.rateLimit).toEqual({ remaining: 1, resetMs: expect.any(Number) });
  });
});

describe('delivery loop', () => {
  beforeAll(freshDatabase);
  afterAll(() => t.drop());

  it('delivers on its own until stopped', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vigie-mail-'));
    const loop = startWorkerLoop(db(), {
      mailer: createMailer({ dataDir, from: FROM }),
      siteUrl: SITE,
      sendRate: 50,
      idleMs: 20,
    });
    try {
      await addSubscribers(Array.from({ length: 120 }, (_, i) => ({ email: `loop${i}@example.com` })));
      await publish({ [s.components.cdn.id]: 'major_outage' });
      const deadline = Date.now() + 20_000;
      let sent = 0;
      while (Date.now() < deadline && sent < 120) {
        await new Promise((r) => setTimeout(r, 50));
        const [row] = await queryRows<{ n: number }>(
          db(),
          sql`select count(*)::int as n from email_deliveries where status = 'sent'`,
        );
        sent = Number(row.n);
      }
      expect(sent).toBe(120);
    } finally {
      await loop.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the signing secret', () => {
  it('never leaves the server through the settings every surface reads', async () => {
    const t = await createTestDatabase();
    try {
      const secret = await getSigningSecret(t.handle.db);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const data = await loadStatusPage(t.handle.db, { audience: 'internal', now: new Date() });
      expect(JSON.stringify(data)).not.toContain(secret);
      expect(JSON.stringify(await getSettings(t.handle.db))).not.toContain(secret);
      expect(await getSigningSecret(t.handle.db)).toBe(secret);
    } finally {
      await t.drop();
    }
  });
});
