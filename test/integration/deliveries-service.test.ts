import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailDeliveries } from '../../src/db/schema/index.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import type { DeliveryStatus } from '../../src/domain/enums.ts';
import { deliveriesSummary, maskEmails } from '../../src/server/admin/deliveries.ts';
import { getIncident } from '../../src/server/incidents/queries.ts';
import {
  countDeliveries,
  listUnfinishedDeliveries,
  NO_REASON,
  summarizeReminderDeliveries,
  summarizeUpdateDeliveries,
} from '../../src/server/outbox/deliveries.ts';
import { createSubscriber } from '../../src/server/subscribers/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { comms, viewer } from '../helpers/principals.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('countDeliveries', () => {
  it('counts one update’s deliveries by state', async () => {
    const db = t.handle.db;
    const { update } = await createIncident(db, comms, {
      name: 'x',
      status: 'investigating',
      severity: 3,
      body: 'x',
    });
    expect(await countDeliveries(db, update.id)).toEqual({ total: 0, pending: 0, sent: 0, failed: 0 });
    const states = ['pending', 'sending', 'sent', 'sent', 'failed', 'skipped'] as const;
    for (const [i, status] of states.entries()) {
      const s = await createSubscriber(db, comms, { email: `s${i}@example.com`, confirmed: true });
      await db
        .insert(emailDeliveries)
        .values({ messageKey: `update:${update.id}`, subscriberId: s.id, updateId: update.id, status });
    }
    expect(await countDeliveries(db, update.id)).toEqual({ total: 6, pending: 2, sent: 2, failed: 1 });
  });
});

describe('summaries and lists for the admin', () => {
  it('counts skipped too, groups failure reasons, and agrees with countDeliveries', async () => {
    const db = t.handle.db;
    const { update } = await createIncident(db, comms, { name: 'y', status: 'investigating', severity: 3, body: 'y' });
    const rows: { status: DeliveryStatus; lastError?: string | null; attempts?: number }[] = [
      { status: 'sent' },
      { status: 'skipped' },
      { status: 'pending', lastError: 'Too many requests', attempts: 2 },
      { status: 'sending' },
      { status: 'failed', lastError: 'Gave up after 8 attempts: 503 Service Unavailable', attempts: 8 },
      { status: 'failed', lastError: 'Gave up after 8 attempts: 503 Service Unavailable', attempts: 8 },
      { status: 'failed', lastError: 'Resend refused the batch: invalid `to` for r5@example.com', attempts: 1 },
      { status: 'failed', lastError: null, attempts: 1 },
    ];
    for (const [i, r] of rows.entries()) {
      const s = await createSubscriber(db, comms, { email: `r${i}@example.com`, confirmed: true });
      await db.insert(emailDeliveries).values({
        messageKey: `update:${update.id}`,
        subscriberId: s.id,
        updateId: update.id,
        status: r.status,
        lastError: r.lastError ?? null,
        attempts: r.attempts ?? 0,
      });
    }
    const summary = (await summarizeUpdateDeliveries(db, [update.id, 'nosuchupdate'])).get(update.id)!;
    expect(summary.counts).toEqual({ total: 8, pending: 2, sent: 1, failed: 4, skipped: 1 });
    expect(summary.reasons).toEqual([
      { reason: 'Gave up after 8 attempts: 503 Service Unavailable', count: 2 },
      { reason: NO_REASON, count: 1 },
      { reason: 'Resend refused the batch: invalid `to` for r5@example.com', count: 1 },
    ]);
    const { skipped: _, ...api } = summary.counts;
    expect(await countDeliveries(db, update.id)).toEqual(api);

    const page1 = await listUnfinishedDeliveries(db, { updateId: update.id }, { perPage: 4 });
    expect(page1.matching).toBe(6);
    expect(page1.rows.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    const page2 = await listUnfinishedDeliveries(db, { updateId: update.id }, { perPage: 4, page: 2 });
    expect(page2.rows.map((r) => r.status).sort()).toEqual(['pending', 'sending']);
    expect(page2.rows.find((r) => r.status === 'pending')).toMatchObject({
      email: 'r2@example.com',
      attempts: 2,
      lastError: 'Too many requests',
    });

    // The admin summary: masked addresses for a viewer, in full for comms.
    const detail = (await getIncident(db, update.incidentId))!;
    const chrome = { timeZone: 'UTC', locale: 'en' };
    const forViewer = await deliveriesSummary(db, viewer, detail.view, chrome);
    expect(forViewer).toHaveLength(1);
    expect(forViewer[0].counts.failed).toBe(4);
    expect(forViewer[0].href).toBe(`/admin/incidents/${update.incidentId}/deliveries?update=${update.id}`);
    expect(forViewer[0].reasons.map((r) => r.reason)).toContain(
      'Resend refused the batch: invalid `to` for r***@example.com',
    );
    const forComms = await deliveriesSummary(db, comms, detail.view, chrome);
    expect(forComms[0].reasons.map((r) => r.reason)).toContain(
      'Resend refused the batch: invalid `to` for r5@example.com',
    );
  });

  it('summarizes a maintenance’s reminders, whatever start each was for', async () => {
    const db = t.handle.db;
    const { incident } = await createIncident(db, comms, {
      kind: 'maintenance',
      name: 'Upgrade',
      status: 'scheduled',
      body: 'z',
      scheduledFor: new Date(Date.now() + 86_400_000),
      scheduledUntil: new Date(Date.now() + 90_000_000),
    });
    expect(await summarizeReminderDeliveries(db, incident.id)).toBeNull();
    for (const [i, status] of (['sent', 'failed', 'pending'] as const).entries()) {
      const s = await createSubscriber(db, comms, { email: `m${i}@example.com`, confirmed: true });
      await db.insert(emailDeliveries).values({
        messageKey: `reminder:${incident.id}:${1_800_000_000 + i}`,
        subscriberId: s.id,
        incidentId: incident.id,
        status,
        lastError: status === 'failed' ? 'Mailbox full' : null,
      });
    }
    const summary = await summarizeReminderDeliveries(db, incident.id);
    expect(summary).toEqual({
      counts: { total: 3, pending: 1, sent: 1, failed: 1, skipped: 0 },
      reasons: [{ reason: 'Mailbox full', count: 1 }],
    });
    const list = await listUnfinishedDeliveries(db, { reminderFor: incident.id });
    expect(list.rows.map((r) => r.email)).toEqual(['m1@example.com', 'm2@example.com']);
    const detail = (await getIncident(db, incident.id))!;
    const items = await deliveriesSummary(db, viewer, detail.view, { timeZone: 'UTC', locale: 'en' });
    expect(items.at(-1)).toMatchObject({
      label: 'Reminders',
      href: `/admin/incidents/${incident.id}/deliveries?reminders`,
    });
  });

  it('masks every address in a text', () => {
    expect(maskEmails('550 <ann.lee@example.com> and bob@ex.org: no')).toBe(
      '550 <a***@example.com> and b***@ex.org: no',
    );
  });
});
