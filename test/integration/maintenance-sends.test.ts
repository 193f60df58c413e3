/**
 * Maintenance sends: the switches of the scheduled, started and completed emails, the
 * automatic start and completion, and the reminder an hour before (scheduler.ts).
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import {
  components,
  emailDeliveries,
  incidents,
  incidentUpdates,
  settings,
  subscribers,
} from '../../src/db/schema/index.ts';
import type { ComponentStatus } from '../../src/domain/enums.ts';
import { createComponent, createGroup, setComponentStatus } from '../../src/server/components/service.ts';
import { newId } from '../../src/server/ids.ts';
import { createIncident, postUpdate, resolveIncident } from '../../src/server/incidents/service.ts';
import { reminderContent } from '../../src/server/maintenances/reminder-email.ts';
import {
  AUTO_COMPLETE_BODY,
  AUTO_START_BODY,
  reminderKey,
  runMaintenanceSchedule,
} from '../../src/server/maintenances/scheduler.ts';
import { createMaintenance, updateMaintenance } from '../../src/server/maintenances/service.ts';
import { fanOut } from '../../src/server/notify/fanout.ts';
import { getSettings } from '../../src/server/settings/queries.ts';
import { timeView } from '../../src/server/status-page/view.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { addSubscribers as addSubscribersTo, type SubscriberSpec } from '../helpers/subscribers.ts';
import { comms, system } from '../helpers/principals.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let t: TestDatabase;
const db = () => t.handle.db;

/** A fresh database per describe block: the schedule acts on every maintenance in it. */
function freshDatabase() {
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());
}

/** Now, to the minute, so times built from it compare exactly. */
const T0 = new Date(Math.floor(Date.now() / MINUTE) * MINUTE);
const at = (ms: number) => new Date(T0.getTime() + ms);

async function component(name: string, extra: Record<string, unknown> = {}) {
  return createComponent(db(), system, { name, ...extra });
}

/** A public maintenance of `componentIds`, from 3 h to 4 h from T0 unless told otherwise. */
async function maintenance(componentIds: string[], extra: Record<string, unknown> = {}) {
  return createMaintenance(db(), comms, {
    name: `Maintenance ${newId()}`,
    body: 'We will upgrade things.',
    scheduledFor: at(3 * HOUR),
    scheduledUntil: at(4 * HOUR),
    components: componentIds,
    ...extra,
  });
}

/** The `notify` of the update.published outbox row of an update; null when there is none. */
async function publishedNotify(updateId: string): Promise<boolean | null> {
  const rows = await queryRows<{ notify: boolean }>(
    db(),
    sql`select (payload->>'notify')::boolean as notify from outbox
        where topic = 'update.published' and payload->>'updateId' = ${updateId}`,
  );
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0]?.notify ?? null;
}

async function incidentRow(id: string) {
  const [row] = await db().select().from(incidents).where(eq(incidents.id, id));
  return row;
}

async function statusOf(componentId: string): Promise<ComponentStatus> {
  const [row] = await db().select().from(components).where(eq(components.id, componentId));
  return row.status;
}

async function updatesOf(incidentId: string) {
  return db()
    .select()
    .from(incidentUpdates)
    .where(eq(incidentUpdates.incidentId, incidentId))
    .orderBy(incidentUpdates.displayAt);
}

/** Subscribers inserted directly, as an admin import would (placeholder manage tokens). */
const addSubscribers = (specs: SubscriberSpec[]) => addSubscribersTo(db(), specs);

/** The emails a maintenance's reminders (any start) were queued for, sorted. */
async function remindedEmails(incidentId: string): Promise<string[]> {
  const rows = await db()
    .select({ email: subscribers.email, key: emailDeliveries.messageKey, updateId: emailDeliveries.updateId })
    .from(emailDeliveries)
    .innerJoin(subscribers, eq(subscribers.id, emailDeliveries.subscriberId))
    .where(and(eq(emailDeliveries.incidentId, incidentId), sql`${emailDeliveries.messageKey} like 'reminder:%'`));
  for (const r of rows) expect(r.updateId).toBeNull();
  return rows.map((r) => r.email).sort();
}

async function reminderKeysOf(incidentId: string): Promise<string[]> {
  const rows = await db()
    .selectDistinct({ key: emailDeliveries.messageKey })
    .from(emailDeliveries)
    .where(and(eq(emailDeliveries.incidentId, incidentId), sql`${emailDeliveries.messageKey} like 'reminder:%'`));
  return rows.map((r) => r.key).sort();
}

// ---------------------------------------------------------------------------------------

describe('the email switches of a maintenance', () => {
  freshDatabase();
  let c: string;
  beforeAll(async () => {
    c = (await component('Database')).id;
    // Someone to email, so the fan-out count shows whether the switch let it through.
    await addSubscribers([{ email: 'everything@example.com' }]);
  });

  it('the announcement is emailed only when notify and notify_scheduled are both on', async () => {
    const on = await maintenance([c]);
    expect(on.update.notify).toBe(true);
    expect(await publishedNotify(on.update.id)).toBe(true);
    expect(await fanOut(db(), on.update.id)).toBe(1);

    const off = await maintenance([c], { notifyScheduled: false });
    expect(off.incident).toMatchObject({ notifyScheduled: false, notifyStarted: true, notifyCompleted: true });
    expect(off.update.notify).toBe(false);
    expect(await publishedNotify(off.update.id)).toBe(false);
    expect(await fanOut(db(), off.update.id)).toBe(0);

    // On a new maintenance `notify` is the shorthand for the four: with one switched off, not that one.
    const allButAnnouncement = await maintenance([c], { notify: true, notifyScheduled: false });
    expect(allButAnnouncement.update.notify).toBe(false);
    const none = await maintenance([c], { notify: false });
    expect(none.update.notify).toBe(false);
    expect(await publishedNotify(none.update.id)).toBe(false);
  });

  it('the same switches apply to a maintenance opened through createIncident', async () => {
    const { update } = await createIncident(db(), system, {
      kind: 'maintenance',
      name: 'Via createIncident',
      status: 'scheduled',
      body: 'b',
      componentIds: [c],
      scheduledFor: at(3 * HOUR),
      scheduledUntil: at(4 * HOUR),
      notifyScheduled: false,
    });
    expect(update.notify).toBe(false);
  });

  it('the start is emailed by default only with notify_started; an explicit notify wins', async () => {
    const on = await maintenance([c]);
    const started = await postUpdate(db(), comms, on.incident.id, { status: 'in_progress', body: 'Started' });
    expect(started.notify).toBe(true);
    expect(await publishedNotify(started.id)).toBe(true);

    const off = await maintenance([c], { notifyStarted: false });
    const quiet = await postUpdate(db(), comms, off.incident.id, { status: 'in_progress', body: 'Started' });
    expect(quiet.notify).toBe(false);
    expect(await publishedNotify(quiet.id)).toBe(false);
    expect(await fanOut(db(), quiet.id)).toBe(0);
    // A later note in the same phase is an ordinary update: emailed unless told otherwise.
    const note = await postUpdate(db(), comms, off.incident.id, { status: 'in_progress', body: 'Half way' });
    expect(note.notify).toBe(true);

    const forced = await maintenance([c], { notifyStarted: false });
    const loud = await postUpdate(db(), comms, forced.incident.id, {
      status: 'in_progress',
      body: 'Started',
      notify: true,
    });
    expect(loud.notify).toBe(true);
    expect(await publishedNotify(loud.id)).toBe(true);
    // And the other way round: a switch on does not force an update the person kept quiet.
    const hush = await maintenance([c]);
    const silent = await postUpdate(db(), comms, hush.incident.id, {
      status: 'in_progress',
      body: 'Started',
      notify: false,
    });
    expect(silent.notify).toBe(false);
  });

  it('the completion is emailed by default only with notify_completed; verifying follows the update', async () => {
    const on = await maintenance([c]);
    await postUpdate(db(), comms, on.incident.id, { status: 'in_progress', body: 'Started' });
    const done = await resolveIncident(db(), comms, on.incident.id, {});
    expect(done.update.notify).toBe(true);
    expect(await publishedNotify(done.update.id)).toBe(true);

    const off = await maintenance([c], { notifyScheduled: false, notifyStarted: false, notifyCompleted: false });
    await postUpdate(db(), comms, off.incident.id, { status: 'in_progress', body: 'Started' });
    const verifying = await postUpdate(db(), comms, off.incident.id, { status: 'verifying', body: 'Checking' });
    expect(verifying.notify).toBe(true);
    const quiet = await resolveIncident(db(), comms, off.incident.id, {});
    expect(quiet.update.notify).toBe(false);
    expect(await publishedNotify(quiet.update.id)).toBe(false);

    const forced = await maintenance([c], { notifyCompleted: false });
    const loud = await postUpdate(db(), comms, forced.incident.id, { status: 'completed', body: 'Done', notify: true });
    expect(loud.notify).toBe(true);
  });

  it('leaves incidents as they were: notify by default', async () => {
    const { update } = await createIncident(db(), system, {
      name: 'Outage',
      status: 'investigating',
      severity: 2,
      body: 'b',
      components: { [c]: 'partial_outage' },
    });
    expect(update.notify).toBe(true);
    const resolved = await resolveIncident(db(), system, update.incidentId, { body: 'Fixed' });
    expect(resolved.update.notify).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------

describe('automatic start and completion', () => {
  freshDatabase();

  it('starts at the window opening, moves operational components under maintenance, and only once', async () => {
    const healthy = (await component('API')).id;
    const broken = (await component('Search')).id;
    await setComponentStatus(db(), broken, 'partial_outage');
    const { incident } = await maintenance([healthy, broken], { autoStart: true, autoComplete: true });
    const manual = await maintenance([(await component('Manual'))!.id], { autoStart: false, autoComplete: true });

    expect(await runMaintenanceSchedule(db(), at(3 * HOUR - MINUTE))).toMatchObject({ started: [], completed: [] });
    expect((await incidentRow(incident.id)).status).toBe('scheduled');

    const outboxBefore = await queryRows<{ n: number }>(
      db(),
      sql`select count(*)::int as n from outbox where topic = 'snapshot.invalidate'`,
    );
    const run = await runMaintenanceSchedule(db(), at(3 * HOUR));
    expect(run.started).toEqual([incident.id]);
    expect(run.completed).toEqual([]);
    expect((await incidentRow(incident.id)).status).toBe('in_progress');
    expect(await statusOf(healthy)).toBe('under_maintenance');
    // The worse news stays on the page.
    expect(await statusOf(broken)).toBe('partial_outage');
    const [, start] = await updatesOf(incident.id);
    expect(start).toMatchObject({
      status: 'in_progress',
      body: AUTO_START_BODY,
      authorName: 'Vigie',
      audience: 'public',
    });
    expect(start.displayAt.getTime()).toBe(at(3 * HOUR).getTime());
    expect(await publishedNotify(start.id)).toBe(true);
    const outboxAfter = await queryRows<{ n: number }>(
      db(),
      sql`select count(*)::int as n from outbox where topic = 'snapshot.invalidate'`,
    );
    expect(Number(outboxAfter[0].n)).toBeGreaterThan(Number(outboxBefore[0].n));

    // Again, and later: nothing more.
    expect(await runMaintenanceSchedule(db(), at(3 * HOUR))).toMatchObject({ started: [], completed: [] });
    expect(await runMaintenanceSchedule(db(), at(3 * HOUR + 30 * MINUTE))).toMatchObject({
      started: [],
      completed: [],
    });
    expect(await updatesOf(incident.id)).toHaveLength(2);
    // Without auto start it waits for a person, and so does its completion.
    expect((await incidentRow(manual.incident.id)).status).toBe('scheduled');

    expect((await runMaintenanceSchedule(db(), at(4 * HOUR - MINUTE))).completed).toEqual([]);
    const end = await runMaintenanceSchedule(db(), at(4 * HOUR));
    expect(end.completed).toEqual([incident.id]);
    const row = await incidentRow(incident.id);
    expect(row.status).toBe('completed');
    expect(row.resolvedAt?.getTime()).toBe(at(4 * HOUR).getTime());
    expect(await statusOf(healthy)).toBe('operational');
    const last = (await updatesOf(incident.id)).at(-1)!;
    expect(last).toMatchObject({ status: 'completed', body: AUTO_COMPLETE_BODY, authorName: 'Vigie' });
    expect((await runMaintenanceSchedule(db(), at(5 * HOUR))).completed).toEqual([]);
    expect(await updatesOf(incident.id)).toHaveLength(3);
    expect((await incidentRow(manual.incident.id)).status).toBe('scheduled');
  });

  it('completes a started one with auto complete, also from verifying, and leaves others running', async () => {
    const a = (await component('A')).id;
    const b = (await component('B')).id;
    const auto = await maintenance([a], { autoStart: false, autoComplete: true });
    const kept = await maintenance([b], { autoStart: false, autoComplete: false });
    for (const m of [auto, kept]) {
      await postUpdate(db(), comms, m.incident.id, { status: 'in_progress', body: 'Started' });
      await postUpdate(db(), comms, m.incident.id, { status: 'verifying', body: 'Checking' });
    }
    const run = await runMaintenanceSchedule(db(), at(4 * HOUR));
    expect(run.completed).toEqual([auto.incident.id]);
    expect((await incidentRow(kept.incident.id)).status).toBe('verifying');
  });

  it('applies the switches to what it posts', async () => {
    const c = (await component('Quiet')).id;
    const { incident } = await maintenance([c], {
      autoStart: true,
      autoComplete: true,
      notifyStarted: false,
      scheduledFor: at(10 * HOUR),
      scheduledUntil: at(11 * HOUR),
    });
    await runMaintenanceSchedule(db(), at(10 * HOUR));
    const [, start] = await updatesOf(incident.id);
    expect(start.notify).toBe(false);
    expect(await publishedNotify(start.id)).toBe(false);
    await runMaintenanceSchedule(db(), at(11 * HOUR));
    const end = (await updatesOf(incident.id)).at(-1)!;
    expect(end.status).toBe('completed');
    expect(end.notify).toBe(true);
  });

  it('runs internal maintenances too, with internal updates that email nobody', async () => {
    const c = (await component('Back office', { visibility: 'internal' })).id;
    const { incident } = await maintenance([c], {
      visibility: 'internal',
      autoStart: true,
      autoComplete: true,
      scheduledFor: at(20 * HOUR),
      scheduledUntil: at(21 * HOUR),
    });
    expect((await runMaintenanceSchedule(db(), at(20 * HOUR))).started).toEqual([incident.id]);
    const [, start] = await updatesOf(incident.id);
    expect(start).toMatchObject({ audience: 'internal', notify: false });
    expect(await publishedNotify(start.id)).toBeNull();
    expect(await statusOf(c)).toBe('under_maintenance');
    expect((await runMaintenanceSchedule(db(), at(21 * HOUR))).completed).toEqual([incident.id]);
    expect(await statusOf(c)).toBe('operational');
  });

  it('starts each due maintenance exactly once when two passes run at the same time', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = (await component(`Concurrent ${i}`)).id;
      const { incident } = await maintenance([c], {
        autoStart: true,
        autoComplete: true,
        scheduledFor: at(30 * HOUR),
        scheduledUntil: at(31 * HOUR),
      });
      ids.push(incident.id);
    }
    const [one, two] = await Promise.all([
      runMaintenanceSchedule(db(), at(30 * HOUR)),
      runMaintenanceSchedule(db(), at(30 * HOUR)),
    ]);
    expect([...one.started, ...two.started].sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const started = (await updatesOf(id)).filter((u) => u.status === 'in_progress');
      expect(started).toHaveLength(1);
    }
    const [x, y] = await Promise.all([
      runMaintenanceSchedule(db(), at(31 * HOUR)),
      runMaintenanceSchedule(db(), at(31 * HOUR)),
    ]);
    expect([...x.completed, ...y.completed].sort()).toEqual([...ids].sort());
    for (const id of ids) {
      expect((await updatesOf(id)).filter((u) => u.status === 'completed')).toHaveLength(1);
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('the reminder an hour before', () => {
  freshDatabase();
  let pub: string;
  let other: string;
  let secret: string;
  let hidden: string;
  beforeAll(async () => {
    pub = (await component('Checkout', { position: 2 })).id;
    other = (await component('Billing', { position: 1 })).id;
    secret = (await component('Ledger', { visibility: 'internal' })).id;
    const ops = await createGroup(db(), system, { name: 'Ops', visibility: 'internal' });
    hidden = (await component('Public in an internal group', { groupId: ops.id })).id;
    await addSubscribers([
      { email: 'all@example.com' },
      { email: 'pub@example.com', components: [pub] },
      { email: 'pub-and-other@example.com', components: [other, pub] },
      { email: 'other@example.com', components: [other] },
      { email: 'secret@example.com', components: [secret] },
      { email: 'hidden@example.com', components: [hidden] },
      { email: 'unconfirmed@example.com', confirmed: false },
      { email: 'gone@example.com', components: [pub], unsubscribed: true },
      { email: 'bounced@example.com', suppressed: true },
    ]);
  });

  it('is queued once, within the hour before the start, for the matching subscribers only', async () => {
    const { incident } = await maintenance([pub, secret, hidden]);
    expect((await runMaintenanceSchedule(db(), at(2 * HOUR - MINUTE))).reminders).toBe(0);
    expect((await incidentRow(incident.id)).reminderSentAt).toBeNull();

    const run = await runMaintenanceSchedule(db(), at(2 * HOUR));
    expect(run.reminders).toBe(3);
    expect(await remindedEmails(incident.id)).toEqual([
      'all@example.com',
      'pub-and-other@example.com',
      'pub@example.com',
    ]);
    expect(await reminderKeysOf(incident.id)).toEqual([reminderKey(incident.id, at(3 * HOUR))]);
    expect((await incidentRow(incident.id)).reminderSentAt?.getTime()).toBe(at(2 * HOUR).getTime());
    const rows = await db().select().from(emailDeliveries).where(eq(emailDeliveries.incidentId, incident.id));
    expect(rows.every((r) => r.status === 'pending')).toBe(true);

    expect((await runMaintenanceSchedule(db(), at(2 * HOUR))).reminders).toBe(0);
    expect((await runMaintenanceSchedule(db(), at(2 * HOUR + 30 * MINUTE))).reminders).toBe(0);
    expect(await remindedEmails(incident.id)).toHaveLength(3);
    // The reminder changes nothing customers see.
    expect((await incidentRow(incident.id)).updatedAt.getTime()).toBeLessThan(at(2 * HOUR).getTime());
  });

  it('is queued late when the pass was late, but never after the start', async () => {
    const late = await maintenance([other], { scheduledFor: at(5 * HOUR), scheduledUntil: at(6 * HOUR) });
    const missed = await maintenance([other], { scheduledFor: at(5 * HOUR), scheduledUntil: at(6 * HOUR) });
    // `missed` starts before anyone ran the schedule; `late` had it run 10 minutes before its start.
    await db()
      .update(incidents)
      .set({ scheduledFor: at(4 * HOUR) })
      .where(eq(incidents.id, missed.incident.id));
    await runMaintenanceSchedule(db(), at(5 * HOUR - 10 * MINUTE));
    expect(await remindedEmails(late.incident.id)).toEqual([
      'all@example.com',
      'other@example.com',
      'pub-and-other@example.com',
    ]);
    expect(await remindedEmails(missed.incident.id)).toEqual([]);
    const content = await reminderContent(db(), late.incident.id, { now: at(5 * HOUR - 9 * MINUTE) });
    expect(content?.subjectStatus).toBe('Starts in 10 minutes');
  });

  it('is not queued for internal maintenances, with the switch off, or once started', async () => {
    const window = { scheduledFor: at(8 * HOUR), scheduledUntil: at(9 * HOUR) };
    const internal = await maintenance([pub], { ...window, visibility: 'internal' });
    const off = await maintenance([pub], { ...window, notifyReminder: false });
    const started = await maintenance([pub], window);
    await postUpdate(db(), comms, started.incident.id, { status: 'in_progress', body: 'Early start' });
    const control = await maintenance([pub], window);
    const run = await runMaintenanceSchedule(db(), at(7 * HOUR + 30 * MINUTE));
    for (const m of [internal, off, started]) {
      expect(await remindedEmails(m.incident.id)).toEqual([]);
      expect((await incidentRow(m.incident.id)).reminderSentAt).toBeNull();
    }
    expect(await remindedEmails(control.incident.id)).toHaveLength(3);
    expect(run.reminders).toBe(3);
  });

  it('is not queued for a maintenance announced less than an hour before it starts', async () => {
    const soon = await maintenance([pub], {
      scheduledFor: new Date(Date.now() + 30 * MINUTE),
      scheduledUntil: new Date(Date.now() + 90 * MINUTE),
    });
    const backdated = await maintenance([pub], {
      scheduledFor: new Date(Date.now() + 30 * MINUTE),
      scheduledUntil: new Date(Date.now() + 90 * MINUTE),
      startedAt: new Date(Date.now() - 2 * HOUR),
    });
    await runMaintenanceSchedule(db(), new Date(Date.now() + MINUTE));
    expect(await remindedEmails(soon.incident.id)).toEqual([]);
    expect(await remindedEmails(backdated.incident.id)).toHaveLength(3);
  });

  it('is queued again before a new start more than an hour away, not before it is due', async () => {
    const { incident } = await maintenance([pub], { scheduledFor: at(12 * HOUR), scheduledUntil: at(13 * HOUR) });
    await runMaintenanceSchedule(db(), at(11 * HOUR));
    expect(await remindedEmails(incident.id)).toHaveLength(3);

    await updateMaintenance(db(), comms, incident.id, { scheduledFor: at(15 * HOUR), scheduledUntil: at(16 * HOUR) });
    expect((await incidentRow(incident.id)).reminderSentAt).toBeNull();
    expect((await runMaintenanceSchedule(db(), at(11 * HOUR + 5 * MINUTE))).reminders).toBe(0);
    expect((await runMaintenanceSchedule(db(), at(14 * HOUR - MINUTE))).reminders).toBe(0);
    expect((await runMaintenanceSchedule(db(), at(14 * HOUR))).reminders).toBe(3);
    expect(await reminderKeysOf(incident.id)).toEqual(
      [reminderKey(incident.id, at(12 * HOUR)), reminderKey(incident.id, at(15 * HOUR))].sort(),
    );
    // A reminder queued for the old start is stale now.
    const now = at(14 * HOUR + MINUTE);
    expect(
      await reminderContent(db(), incident.id, { now, messageKey: reminderKey(incident.id, at(12 * HOUR)) }),
    ).toBeNull();
    expect(
      await reminderContent(db(), incident.id, { now, messageKey: reminderKey(incident.id, at(15 * HOUR)) }),
    ).not.toBeNull();

    // Moved by a few minutes within the hour: nobody is reminded twice.
    await updateMaintenance(db(), comms, incident.id, { scheduledFor: new Date(Date.now() + 30 * MINUTE) });
    expect((await incidentRow(incident.id)).reminderSentAt).not.toBeNull();
  });

  it('reads as a short reminder in the page time zone, naming the public components only', async () => {
    await getSettings(db());
    await db().update(settings).set({ timeZone: 'Asia/Tokyo' });
    const start = at(24 * HOUR);
    const { incident } = await maintenance([pub, other, secret, hidden], {
      scheduledFor: start,
      scheduledUntil: at(25 * HOUR),
    });
    await runMaintenanceSchedule(db(), at(23 * HOUR));
    const content = await reminderContent(db(), incident.id, {
      now: at(23 * HOUR + MINUTE),
      messageKey: reminderKey(incident.id, start),
    });
    const time = timeView(start, { timeZone: 'Asia/Tokyo', locale: 'en' }).text;
    expect(time).not.toBe(timeView(start, { timeZone: 'UTC', locale: 'en' }).text);
    expect(content).toMatchObject({
      incident: { id: incident.id, name: incident.name },
      subjectStatus: 'Starts in 60 minutes',
      time,
      affected: ['Billing', 'Checkout'],
    });
    expect(content!.body).toContain(`Reminder: this scheduled maintenance starts in about 60 minutes, at ${time}.`);
    expect(content!.body).not.toContain('Ledger');
  });

  it('has no content once the maintenance is no longer a scheduled public one', async () => {
    const window = { scheduledFor: at(40 * HOUR), scheduledUntil: at(41 * HOUR) };
    const now = at(39 * HOUR + 30 * MINUTE);
    const cases = {
      completed: await maintenance([pub], window),
      started: await maintenance([pub], window),
      internal: await maintenance([pub], window),
      switchedOff: await maintenance([pub], window),
      passed: await maintenance([pub], window),
      fine: await maintenance([pub], window),
    };
    await runMaintenanceSchedule(db(), at(39 * HOUR));
    // Cancelled before it began: completed with a word to customers.
    await resolveIncident(db(), comms, cases.completed.incident.id, { body: 'Cancelled', notify: false });
    await postUpdate(db(), comms, cases.started.incident.id, { status: 'in_progress', body: 'Early start' });
    await updateMaintenance(db(), comms, cases.internal.incident.id, { visibility: 'internal' });
    await updateMaintenance(db(), comms, cases.switchedOff.incident.id, { notifyReminder: false });
    expect(await reminderContent(db(), cases.completed.incident.id, { now })).toBeNull();
    expect(await reminderContent(db(), cases.started.incident.id, { now })).toBeNull();
    expect(await reminderContent(db(), cases.internal.incident.id, { now })).toBeNull();
    expect(await reminderContent(db(), cases.switchedOff.incident.id, { now })).toBeNull();
    expect(await reminderContent(db(), cases.passed.incident.id, { now: at(40 * HOUR) })).toBeNull();
    expect(await reminderContent(db(), cases.fine.incident.id, { now })).not.toBeNull();
    expect(await reminderContent(db(), 'nosuch', { now })).toBeNull();
  });

  it('queues each reminder once when two passes run at the same time', async () => {
    const ms = [];
    for (let i = 0; i < 3; i++)
      ms.push(await maintenance([pub], { scheduledFor: at(50 * HOUR), scheduledUntil: at(51 * HOUR) }));
    const [a, b] = await Promise.all([
      runMaintenanceSchedule(db(), at(49 * HOUR + 5 * MINUTE)),
      runMaintenanceSchedule(db(), at(49 * HOUR + 5 * MINUTE)),
    ]);
    expect(a.reminders + b.reminders).toBe(9);
    for (const m of ms) expect(await remindedEmails(m.incident.id)).toHaveLength(3);
  });
});
