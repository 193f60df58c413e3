import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { emailDeliveries, settings, subscriberComponents, subscribers } from '../../src/db/schema/index.ts';
import type { Actor } from '../../src/server/audit/service.ts';
import { createIncident, postUpdate } from '../../src/server/incidents/service.ts';
import { hashSecret, newId, newSecret } from '../../src/server/ids.ts';
import { fanOut } from '../../src/server/notify/fanout.ts';
import { startWorkerLoop } from '../../src/server/notify/loop.ts';
import { getSigningSecret } from '../../src/server/notify/tokens.ts';
import { loadStatusPage } from '../../src/server/status-page/queries.ts';
import { createMailer } from '../../src/server/notify/mailer.ts';
import { MAX_ATTEMPTS, runWorkerOnce } from '../../src/server/notify/worker.ts';
import { confirmSubscription, subscribe, unsubscribe } from '../../src/server/subscribers/public-flow.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { linkToken, readSink } from '../helpers/mail.ts';
import { startResendStandIn, type ResendStandIn } from '../helpers/resend-stand-in.ts';
import { seedScenario } from '../helpers/scenario.ts';
import { getSettings } from '../../src/server/settings/queries.ts';

const actor: Actor = { type: 'system', name: 'test' };
const SITE = 'https://status.example.com';
const FROM = 'Acme <status@example.com>';

let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
const db = () => t.handle.db;

type SubscriberSpec = {
  email: string;
  components?: string[];
  confirmed?: boolean;
  unsubscribed?: boolean;
  suppressed?: boolean;
};

/** Subscribers inserted directly, as an admin import would (placeholder manage tokens). */
async function addSubscribers(specs: SubscriberSpec[]): Promise<void> {
  const now = new Date();
  const rows = specs.map((x) => ({
    id: newId(),
    email: x.email,
    allComponents: !x.components?.length,
    confirmedAt: x.confirmed === false ? null : now,
    unsubscribedAt: x.unsubscribed ? now : null,
    suppressedAt: x.suppressed ? now : null,
    manageTokenHash: hashSecret(newSecret()),
  }));
  for (let i = 0; i < rows.length; i += 500)
    await db()
      .insert(subscribers)
      .values(rows.slice(i, i + 500));
  const links = specs.flatMap((x, i) =>
    (x.components ?? []).map((componentId) => ({ subscriberId: rows[i].id, componentId })),
  );
  if (links.length) await db().insert(subscriberComponents).values(links);
}

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
  // The scenario's own outbox rows, consumed while nobody is subscribed.
  await runWorkerOnce(db(), { mailer: createMailer({ dataDir: tmpdir(), from: FROM }), siteUrl: SITE });
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
