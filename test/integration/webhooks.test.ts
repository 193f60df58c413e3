/**
 * Outgoing webhooks against a real database and a real HTTP receiver (node:http on port 0):
 * what each format and audience receives, the signature, the retries, failures, and that
 * nothing is sent twice.
 */
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { auditLog, outbox, WEBHOOK_EVENTS, webhookDeliveries, webhooks } from '../../src/db/schema/index.ts';
import { createIncident, postUpdate, resolveIncident, updateIncident } from '../../src/server/incidents/service.ts';
import { createMailer } from '../../src/server/notify/mailer.ts';
import { startWorkerLoop } from '../../src/server/notify/loop.ts';
import { runWorkerOnce } from '../../src/server/notify/worker.ts';
import { INCIDENT_EVENTS } from '../../src/server/outbox/service.ts';
import { recentDeliveries } from '../../src/server/webhooks/queries.ts';
import {
  createWebhook,
  deleteWebhook,
  rotateWebhookSecret,
  sendTestWebhook,
  updateWebhook,
  type WebhookWithSecret,
} from '../../src/server/webhooks/service.ts';
import { fanOutWebhookEvents, MAX_WEBHOOK_ATTEMPTS, sendWebhooks } from '../../src/server/webhooks/worker.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { admin, comms, system, viewer } from '../helpers/principals.ts';
import { INTERNAL_MARKER, seedScenario } from '../helpers/scenario.ts';

const SITE = 'https://status.example.com';

type Received = { path: string; headers: IncomingMessage['headers']; body: string; at: number };
type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

/** A receiver that records every request and answers from a per-path script (200 once it runs out). */
async function startReceiver() {
  const received: Received[] = [];
  const scripts = new Map<string, Answer[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const answer = scripts.get(path)?.shift() ?? { status: 200 };
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body ?? 'ok');
    });
  });
  // Keep idle connections longer than the slowest pause between tests (PGlite's set-up), so
  // the client never reuses a socket the server is closing (that would be a retry, not a bug).
  server.keepAliveTimeout = 120_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    base,
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    script: (path: string, answers: Answer[]) => scripts.set(path, [...answers]),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let t: TestDatabase;
let rx: Awaited<ReturnType<typeof startReceiver>>;
const db = () => t.handle.db;

beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(async () => {
  await rx.close();
});

async function freshDatabase() {
  t = await createTestDatabase();
  rx.received.length = 0;
}

const hook = (path: string, extra: Partial<Parameters<typeof createWebhook>[2]> = {}) =>
  createWebhook(db(), admin, {
    name: path,
    url: rx.base + path,
    format: 'signed',
    events: [...WEBHOOK_EVENTS],
    ...extra,
  });

/** Runs the worker's passes until nothing is left to fan out or send now. */
async function drain(now?: Date) {
  const mailer = createMailer({ dataDir: tmpdir(), from: 'Vigie <status@example.com>' });
  for (let i = 0; i < 20; i++) {
    const r = await runWorkerOnce(db(), { mailer, siteUrl: SITE, now });
    if (r.outboxRows === 0 && r.webhooks.events === 0 && r.webhooks.claimed === 0 && r.claimed === 0) return;
  }
  throw new Error('the worker never settled');
}

const deliveriesOf = (webhookId: string) =>
  db().select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId));

const json = (r: Received) => JSON.parse(r.body);

describe('what each webhook receives', () => {
  const hooks = {} as Record<string, WebhookWithSecret>;
  let s: Awaited<ReturnType<typeof seedScenario>>;
  let escaped: string;

  beforeAll(async () => {
    await freshDatabase();
    hooks.slackPublic = await hook('/slack-public', { format: 'slack' });
    hooks.signedPublic = await hook('/signed-public');
    hooks.signedInternal = await hook('/signed-internal', { internal: true });
    hooks.slackInternal = await hook('/slack-internal', { format: 'slack', internal: true });
    hooks.resolvedOnly = await hook('/resolved-only', { events: ['incident.resolved'] });
    hooks.disabled = await hook('/disabled', { enabled: false });
    s = await seedScenario(db());
    escaped = (
      await createIncident(db(), system, {
        name: 'Login <b>broken</b> & slow',
        status: 'investigating',
        severity: 3,
        body: 'Sign-in fails for *some* users: see <https://example.com>.',
      })
    ).incident.id;
    await updateIncident(db(), system, s.incidents.active.id, { severity: 1 });
    await drain();
  });
  afterAll(() => t.drop());

  it('the outbox events match the events a webhook may choose', () => {
    expect([...WEBHOOK_EVENTS]).toEqual([...INCIDENT_EVENTS]);
  });

  it('public webhooks get public incidents and public updates only, without severities', async () => {
    for (const path of ['/slack-public', '/signed-public']) {
      const got = rx.at(path);
      // active: created, public update, severity change; resolved: created, resolved; the escaped one: created.
      expect(got.length, path).toBe(6);
      for (const r of got) {
        expect(r.body, path).not.toContain(INTERNAL_MARKER);
        expect(r.body, path).not.toContain('Root cause');
        expect(r.body, path).not.toMatch(/Sev \d|severity"|\/internal\//);
      }
    }
    const signed = rx.at('/signed-public').map(json);
    expect(signed.map((b) => b.event).sort()).toEqual([
      'incident.created',
      'incident.created',
      'incident.created',
      'incident.resolved',
      'incident.severity_changed',
      'incident.update_posted',
    ]);
    const ids = new Set(signed.map((b) => b.incident.id));
    expect(ids).not.toContain(s.incidents.internal.id);
    expect(ids).not.toContain(s.incidents.maintenance.id);
    const change = signed.find((b) => b.event === 'incident.severity_changed');
    expect(change.incident).toMatchObject({ impact: 'critical', previous_impact: 'major' });
  });

  it('internal webhooks get internal incidents and updates too, with severity and the internal URL', async () => {
    const got = rx.at('/signed-internal');
    expect(got.length).toBe(8);
    expect(got.some((r) => r.body.includes(INTERNAL_MARKER))).toBe(true);
    const bodies = got.map(json);
    const internalUpdate = bodies.find((b) => b.update?.audience === 'internal');
    expect(internalUpdate.update.body).toContain(INTERNAL_MARKER);
    const internalIncident = bodies.find((b) => b.incident.id === s.incidents.internal.id);
    expect(internalIncident.incident).toMatchObject({
      visibility: 'internal',
      severity: 3,
      severity_label: 'Sev 3',
      url: `${SITE}/internal/incidents/${s.incidents.internal.id}`,
    });
    const change = bodies.find((b) => b.event === 'incident.severity_changed');
    expect(change.incident).toMatchObject({ severity: 1, previous_severity: 2 });
    expect(rx.at('/slack-internal').length).toBe(8);
    expect(rx.at('/slack-internal').some((r) => r.body.includes(INTERNAL_MARKER))).toBe(true);
  });

  it('sends only the chosen events, and nothing to a disabled webhook', () => {
    const got = rx.at('/resolved-only').map(json);
    expect(got.map((b) => [b.event, b.incident.id])).toEqual([['incident.resolved', s.incidents.resolved.id]]);
    expect(rx.at('/disabled')).toEqual([]);
  });

  it('signs the generic body: v1 = HMAC-SHA256 of "<timestamp>.<body>" with the secret', () => {
    for (const r of rx.at('/signed-public')) {
      const ts = String(r.headers['x-vigie-timestamp']);
      expect(ts).toMatch(/^\d{10}$/);
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(120);
      const expected = createHmac('sha256', hooks.signedPublic.secret).update(`${ts}.${r.body}`).digest('hex');
      expect(r.headers['x-vigie-signature']).toBe(`v1=${expected}`);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-vigie-event']).toBe(json(r).event);
      expect(r.headers['x-vigie-delivery']).toMatch(/^\d+$/);
    }
    const created = rx
      .at('/signed-public')
      .map(json)
      .find((b) => b.event === 'incident.created' && b.incident.id === s.incidents.active.id);
    expect(created).toMatchObject({
      id: expect.stringMatching(/^evt_\d+$/),
      created_at: expect.any(String),
      incident: {
        id: s.incidents.active.id,
        name: 'Elevated API error rates',
        status: expect.any(String),
        impact: expect.any(String),
        url: `${SITE}/incidents/${s.incidents.active.id}`,
      },
      update: { id: expect.any(String), status: 'investigating', body: expect.stringContaining('**elevated') },
    });
    // The same event has the same id for every webhook, so receivers can tell copies apart.
    const internalCopy = rx
      .at('/signed-internal')
      .map(json)
      .find((b) => b.event === 'incident.created' && b.incident.id === s.incidents.active.id);
    expect(internalCopy.id).toBe(created.id);
  });

  it('sends Slack a {text, blocks} body, Markdown as plain text, with <, > and & escaped', () => {
    const bodies = rx.at('/slack-public').map(json);
    for (const b of bodies) {
      expect(Object.keys(b).sort()).toEqual(['blocks', 'text']);
      expect(typeof b.text).toBe('string');
      expect(Array.isArray(b.blocks)).toBe(true);
      for (const block of b.blocks) expect(['section', 'context']).toContain(block.type);
    }
    const active = bodies.find((b) => b.text.includes('Elevated API error rates') && b.text.includes('New incident'));
    expect(active.text).toContain('elevated error rates');
    expect(active.text).not.toContain('**');
    expect(active.blocks[0].text.text).toContain(`<${SITE}/incidents/${s.incidents.active.id}|`);
    const login = bodies.find((b) => b.blocks[0].text.text.includes(`/incidents/${escaped}`));
    expect(login.text).toContain('Login &lt;b&gt;broken&lt;/b&gt; &amp; slow');
    expect(login.text).not.toMatch(/<b>|& slow/);
    expect(rx.at('/slack-public')[0].headers['x-vigie-signature']).toBeUndefined();
  });

  it('records each delivery as sent, once', async () => {
    const rows = await deliveriesOf(hooks.signedPublic.id);
    expect(rows.length).toBe(6);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1 && r.responseStatus === 200)).toBe(true);
    const listed = await recentDeliveries(db(), admin, hooks.signedPublic.id);
    expect(listed.length).toBe(6);
  });

  it('a second fan-out over the same outbox rows queues nothing new', async () => {
    const before = (await db().select().from(webhookDeliveries)).length;
    await db().update(outbox).set({ processedAt: null }).where(eq(outbox.topic, 'incident.event'));
    const again = await fanOutWebhookEvents(db(), { siteUrl: SITE });
    expect(again.events).toBeGreaterThan(0);
    expect(again.queued).toBe(0);
    expect((await db().select().from(webhookDeliveries)).length).toBe(before);
    const count = rx.received.length;
    await drain();
    expect(rx.received.length).toBe(count);
  });
});

describe('retries and failures', () => {
  beforeAll(freshDatabase);
  afterAll(() => t.drop());

  /** Opens an incident and fans its event out; returns the delivery and the time it was queued. */
  async function queueOne(path: string) {
    const w = await hook(path, { events: ['incident.created'] });
    await createIncident(db(), system, {
      name: `Outage for ${path}`,
      status: 'investigating',
      severity: 2,
      body: 'Looking.',
    });
    const now = new Date();
    await fanOutWebhookEvents(db(), { siteUrl: SITE, now });
    const [row] = await deliveriesOf(w.id);
    expect(row.status).toBe('pending');
    // This webhook only: the others want nothing more.
    await updateWebhook(db(), admin, w.id, { events: ['incident.resolved'] });
    return { w, row, now };
  }

  it('retries a 500 after the backoff (honouring Retry-After) with the same body and delivery id, then sends once', async () => {
    rx.script('/flaky', [{ status: 500, headers: { 'retry-after': '5' }, body: 'try later' }, { status: 200 }]);
    const { w, row, now: t0 } = await queueOne('/flaky');
    let r = await sendWebhooks(db(), { now: t0 });
    expect(r).toMatchObject({ claimed: 1, retried: 1, sent: 0 });
    let [d] = await deliveriesOf(w.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, responseStatus: 500 });
    expect(d.lastError).toContain('500: try later');
    expect(d.availableAt.getTime()).toBe(t0.getTime() + 5_000);
    expect((await sendWebhooks(db(), { now: new Date(t0.getTime() + 4_000) })).claimed).toBe(0);
    r = await sendWebhooks(db(), { now: new Date(t0.getTime() + 6_000) });
    expect(r).toMatchObject({ claimed: 1, sent: 1 });
    [d] = await deliveriesOf(w.id);
    expect(d).toMatchObject({ status: 'sent', attempts: 2, responseStatus: 200, lastError: null });
    const got = rx.at('/flaky');
    expect(got.length).toBe(2);
    expect(got[1].body).toBe(got[0].body);
    expect(got[1].body).toBe(row.payload);
    expect(got[1].headers['x-vigie-delivery']).toBe(got[0].headers['x-vigie-delivery']);
    // Fresh timestamp per attempt: six seconds later.
    expect(Number(got[1].headers['x-vigie-timestamp']) - Number(got[0].headers['x-vigie-timestamp'])).toBe(6);
    expect((await sendWebhooks(db(), { now: new Date(t0.getTime() + 3_600_000) })).claimed).toBe(0);
    expect(rx.at('/flaky').length).toBe(2);
  });

  it('fails a 410 or a 400 at once, with the status and what the receiver said', async () => {
    for (const [path, status] of [
      ['/gone', 410],
      ['/bad', 400],
    ] as const) {
      rx.script(path, [{ status, body: `No such hook here (${status})` }]);
      const { w, now } = await queueOne(path);
      expect(await sendWebhooks(db(), { now })).toMatchObject({ claimed: 1, failed: 1 });
      const [d] = await recentDeliveries(db(), admin, w.id);
      expect(d).toMatchObject({ status: 'failed', attempts: 1, responseStatus: status });
      expect(d.lastError).toBe(`The receiver refused it with ${status}: No such hook here (${status})`);
      expect((await sendWebhooks(db(), { now: new Date(now.getTime() + 3_600_000) })).claimed).toBe(0);
      expect(rx.at(path).length).toBe(1);
    }
  });

  it('never follows a redirect', async () => {
    rx.script('/moved', [{ status: 301, headers: { location: 'https://elsewhere.example/hook' } }]);
    const { w, now } = await queueOne('/moved');
    await sendWebhooks(db(), { now });
    const [d] = await deliveriesOf(w.id);
    expect(d.status).toBe('failed');
    expect(d.lastError).toContain('301, a redirect to https://elsewhere.example/hook');
    expect(rx.received.filter((r) => r.path === '/hook')).toEqual([]);
  });

  it('gives up after the last attempt on a receiver that keeps failing, and says why', async () => {
    rx.script(
      '/down',
      Array.from({ length: 20 }, () => ({ status: 503 })),
    );
    const queued = await queueOne('/down');
    const { w } = queued;
    let now = queued.now;
    for (let i = 0; i < MAX_WEBHOOK_ATTEMPTS + 2; i++) {
      await sendWebhooks(db(), { now });
      now = new Date(now.getTime() + 3_600_000);
    }
    const [d] = await deliveriesOf(w.id);
    expect(d).toMatchObject({ status: 'failed', attempts: MAX_WEBHOOK_ATTEMPTS, responseStatus: 503 });
    expect(d.lastError).toMatch(/^Gave up after 8 attempts: The receiver answered 503/);
    expect(rx.at('/down').length).toBe(MAX_WEBHOOK_ATTEMPTS);
  });

  it('retries when nothing answers (a closed port, a timeout)', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const w = await createWebhook(db(), admin, {
      name: 'Nobody',
      url: `http://127.0.0.1:${port}/x`,
      format: 'slack',
      events: ['incident.created'],
    });
    rx.script('/slow', [{ status: 200, delayMs: 1_000 }]);
    const slow = await hook('/slow', { events: ['incident.created'] });
    await createIncident(db(), system, { name: 'Unreachable', status: 'investigating', severity: 2, body: 'Looking.' });
    const now = new Date();
    await fanOutWebhookEvents(db(), { siteUrl: SITE, now });
    await sendWebhooks(db(), { now, timeoutMs: 200 });
    const [d] = await deliveriesOf(w.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, responseStatus: null });
    expect(d.lastError).toMatch(/^Could not reach the receiver \(ECONNREFUSED/);
    const [s] = await deliveriesOf(slow.id);
    expect(s).toMatchObject({ status: 'pending', attempts: 1 });
    expect(s.lastError).toBe('No answer within 0.2 s');
  });

  it('sends a queued test delivery', async () => {
    const w = await hook('/test-me', { format: 'slack' });
    await sendTestWebhook(db(), admin, w.id, { siteUrl: SITE });
    await sendWebhooks(db(), {});
    const [r] = rx.at('/test-me');
    expect(r.headers['x-vigie-event']).toBe('webhook.test');
    expect(json(r).text).toContain('test');
  });
});

describe('no duplicates under concurrency', () => {
  beforeAll(freshDatabase);
  afterAll(() => t.drop());

  it('two workers at once send each delivery once', async () => {
    const w = await hook('/busy', { events: ['incident.created'] });
    rx.script(
      '/busy',
      Array.from({ length: 12 }, () => ({ status: 200, delayMs: 30 })),
    );
    for (let i = 0; i < 12; i++) {
      await createIncident(db(), system, {
        name: `Outage ${i}`,
        status: 'investigating',
        severity: 2,
        body: 'Looking.',
      });
    }
    expect((await fanOutWebhookEvents(db(), { siteUrl: SITE })).queued).toBe(12);
    const passes = await Promise.all(Array.from({ length: 4 }, () => sendWebhooks(db(), { batchSize: 3 })));
    while ((await sendWebhooks(db(), { batchSize: 3 })).claimed > 0);
    expect(passes.reduce((n, p) => n + p.claimed, 0)).toBeGreaterThan(0);
    const ids = rx.at('/busy').map((r) => r.headers['x-vigie-delivery']);
    expect(ids.length).toBe(12);
    expect(new Set(ids).size).toBe(12);
    const rows = await deliveriesOf(w.id);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
  });

  it('a worker takes over a delivery whose claim ran out (a crashed worker), and only then', async () => {
    await db().update(webhooks).set({ enabled: false });
    const w = await hook('/stuck', { events: ['incident.created'] });
    await createIncident(db(), system, { name: 'Stuck', status: 'investigating', severity: 2, body: 'Looking.' });
    const t0 = new Date();
    await fanOutWebhookEvents(db(), { siteUrl: SITE, now: t0 });
    // A worker claimed it and died: the row stays `sending` until its lock runs out.
    await db()
      .update(webhookDeliveries)
      .set({ status: 'sending', lockedUntil: new Date(t0.getTime() + 30_000) })
      .where(eq(webhookDeliveries.webhookId, w.id));
    expect((await sendWebhooks(db(), { now: new Date(t0.getTime() + 10_000) })).claimed).toBe(0);
    expect((await sendWebhooks(db(), { now: new Date(t0.getTime() + 31_000) })).sent).toBe(1);
    const rows = await db()
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.webhookId, w.id), eq(webhookDeliveries.status, 'sent')));
    expect(rows.length).toBe(1);
  });
});

describe('managing webhooks', () => {
  beforeAll(freshDatabase);
  afterAll(() => t.drop());

  it('is for admins only', async () => {
    for (const caller of [viewer, comms]) {
      await expect(
        createWebhook(db(), caller, {
          name: 'x',
          url: 'https://x.example',
          format: 'slack',
          events: ['incident.created'],
        }),
      ).rejects.toMatchObject({ status: 403 });
    }
  });

  it('checks the input and names each bad field', async () => {
    await expect(
      createWebhook(db(), admin, { name: '', url: 'ftp://x.example', format: 'xml' as 'slack', events: [] }),
    ).rejects.toMatchObject({
      status: 422,
      fields: {
        name: expect.any(String),
        url: 'Enter an http:// or https:// address',
        format: expect.any(String),
        events: 'Choose at least one event',
      },
    });
  });

  it('makes a 32-byte secret, rotates it, and never writes it to the audit log', async () => {
    const w = await hook('/managed');
    expect(Buffer.from(w.secret, 'base64url').length).toBe(32);
    const rotated = await rotateWebhookSecret(db(), admin, w.id);
    expect(rotated.secret).not.toBe(w.secret);
    const edited = await updateWebhook(db(), admin, w.id, { name: 'Renamed', enabled: false });
    expect(edited).toMatchObject({ name: 'Renamed', enabled: false, secret: rotated.secret });
    const entries = await db().select().from(auditLog).where(eq(auditLog.entityId, w.id));
    expect(entries.map((e) => e.action).sort()).toEqual(['webhook.create', 'webhook.rotate_secret', 'webhook.update']);
    const logged = JSON.stringify(entries);
    expect(logged).not.toContain(w.secret);
    expect(logged).not.toContain(rotated.secret);
    await deleteWebhook(db(), admin, w.id);
    expect(await queryRows(db(), sql`select id from webhooks where id = ${w.id}`)).toEqual([]);
  });

  it('the background loop delivers webhooks on its own', async () => {
    await hook('/looped', { events: ['incident.created'] });
    const mailer = createMailer({ dataDir: tmpdir(), from: 'Vigie <status@example.com>' });
    const errors: unknown[] = [];
    const loop = startWorkerLoop(db(), {
      mailer,
      siteUrl: SITE,
      sendRate: 2,
      idleMs: 20,
      onError: (e) => errors.push(e),
    });
    try {
      await createIncident(db(), system, { name: 'Looped', status: 'investigating', severity: 2, body: 'Looking.' });
      for (let i = 0; i < 200 && rx.at('/looped').length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await loop.stop();
    }
    expect(errors).toEqual([]);
    expect(rx.at('/looped').map((r) => json(r).incident.name)).toEqual(['Looped']);
  });

  it('resolving an internal incident reaches internal webhooks only', async () => {
    const pub = await hook('/pub', { events: ['incident.resolved'] });
    const int = await hook('/int', { events: ['incident.resolved'], internal: true });
    const { incident } = await createIncident(db(), system, {
      name: `Quiet ${INTERNAL_MARKER}`,
      status: 'investigating',
      severity: 3,
      visibility: 'internal',
      body: 'Staff only.',
    });
    await postUpdate(db(), system, incident.id, { status: 'identified', body: 'Found it.' });
    await resolveIncident(db(), system, incident.id, {});
    await drain();
    expect(await deliveriesOf(pub.id)).toEqual([]);
    expect((await deliveriesOf(int.id)).map((d) => d.event)).toEqual(['incident.resolved']);
  });
});
