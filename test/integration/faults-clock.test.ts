/**
 * Fault (e): the clock jumps, forwards past a whole window, backwards, forwards again, and two
 * app instances whose clocks disagree run the maintenance schedule at the same moment.
 *
 * The schedule (maintenances/scheduler.ts) takes its clock as an argument, as the background
 * work passes `new Date()` every 30 s; here each instance's pass gets the jumping clock. The
 * two instances are two database handles (two pools on PostgreSQL; on PGlite, one process
 * owns the database, so both passes share its handle and run interleaved). Every transition
 * must happen once: one "in progress" update, one "completed" update, one reminder per
 * subscriber, and, through the worker and the mail sink, one email per subscriber for each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows, type DatabaseHandle, type Db } from '../../src/db/client.ts';
import { incidents, incidentUpdates } from '../../src/db/schema/index.ts';
import { createComponent } from '../../src/server/components/service.ts';
import { runMaintenanceSchedule } from '../../src/server/maintenances/scheduler.ts';
import { createMaintenance } from '../../src/server/maintenances/service.ts';
import { createMailer } from '../../src/server/notify/mailer.ts';
import { runWorkerOnce } from '../../src/server/notify/worker.ts';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/db.ts';
import { decodeHeader, readSink } from '../helpers/mail.ts';
import { comms, system } from '../helpers/principals.ts';
import { addSubscribers } from '../helpers/subscribers.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SUBSCRIBERS = 20;
const SITE = 'https://status.example.com';

describe('fault: the clock jumps while maintenances are due', () => {
  let t: TestDatabase;
  let other: DatabaseHandle | undefined;
  let a: Db;
  let b: Db;
  let dataDir: string;
  // The next whole minute: every jump below lands at or after the real time the rows were
  // written at, but the one to yesterday.
  const T = new Date(Math.ceil((Date.now() + 1) / MINUTE) * MINUTE);
  const at = (ms: number) => new Date(T.getTime() + ms);
  const ids: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    a = t.handle.db;
    if (usingPostgres) other = await openDatabase({ databaseUrl: t.env.DATABASE_URL, max: 4 });
    b = other?.db ?? a;
    dataDir = mkdtempSync(path.join(tmpdir(), 'vigie-clock-'));
    const component = await createComponent(a, system, { name: 'Database' });
    await addSubscribers(
      a,
      Array.from({ length: SUBSCRIBERS }, (_, i) => ({ email: `clock${i}@example.com` })),
    );
    for (const name of ['Upgrade one', 'Upgrade two']) {
      const { incident } = await createMaintenance(a, comms, {
        name,
        body: 'We will upgrade the database.',
        scheduledFor: at(2 * HOUR),
        scheduledUntil: at(3 * HOUR),
        components: [component.id],
        autoStart: true,
        autoComplete: true,
      });
      ids.push(incident.id);
    }
  });
  afterAll(async () => {
    await other?.close();
    await t?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Both instances run a pass at once, each at its own clock; what they did together. */
  async function tick(clockA: Date, clockB = clockA) {
    const [x, y] = await Promise.all([runMaintenanceSchedule(a, clockA), runMaintenanceSchedule(b, clockB)]);
    return {
      started: [...x.started, ...y.started].sort(),
      completed: [...x.completed, ...y.completed].sort(),
      reminders: x.reminders + y.reminders,
    };
  }

  /** The worker sends what is due at `now` into the mail sink. */
  async function deliver(now: Date) {
    const mailer = createMailer({ dataDir, from: 'Acme <status@example.com>' });
    for (let pass = 0; pass < 50; pass++) {
      const r = await runWorkerOnce(a, { mailer, siteUrl: SITE, now });
      if (r.claimed === 0 && r.outboxRows === 0) return;
    }
    throw new Error('the worker never finished');
  }

  const none = { started: [], completed: [], reminders: 0 };
  const both = () => [...ids].sort();

  it('starts, completes and reminds each maintenance once, whatever the clock does', async () => {
    await deliver(T); // the announcements
    // An hour and five minutes before: the reminders.
    expect(await tick(at(HOUR + 5 * MINUTE))).toEqual({ ...none, reminders: 2 * SUBSCRIBERS });
    await deliver(at(HOUR + 5 * MINUTE));
    // Back to before the reminder was due, then forward again: nothing new.
    expect(await tick(T)).toEqual(none);
    expect(await tick(at(HOUR + 10 * MINUTE))).toEqual(none);
    // Into the window: started.
    expect(await tick(at(2 * HOUR + 30 * MINUTE))).toEqual({ ...none, started: both() });
    // Back before the start (and into the reminder's hour): not reminded again, still running.
    expect(await tick(at(HOUR + 30 * MINUTE))).toEqual(none);
    for (const id of ids) {
      expect((await a.select().from(incidents).where(eq(incidents.id, id)))[0].status).toBe('in_progress');
    }
    // Far past the end: completed.
    expect(await tick(at(5 * HOUR))).toEqual({ ...none, completed: both() });
    // Back into the window, forward, and to yesterday: nothing.
    expect(await tick(at(2 * HOUR + 30 * MINUTE))).toEqual(none);
    expect(await tick(at(6 * HOUR))).toEqual(none);
    expect(await tick(at(-24 * HOUR))).toEqual(none);
    await deliver(at(6 * HOUR));

    for (const id of ids) {
      const updates = await a.select().from(incidentUpdates).where(eq(incidentUpdates.incidentId, id));
      expect(updates.map((u) => u.status).sort()).toEqual(['completed', 'in_progress', 'scheduled']);
      const published = await queryRows<{ n: number }>(
        a,
        sql`select count(*)::int as n from outbox where topic = 'update.published'
          and payload->>'updateId' in (select id from incident_updates where incident_id = ${id})`,
      );
      expect(Number(published[0].n)).toBe(3);
      const row = (await a.select().from(incidents).where(eq(incidents.id, id)))[0];
      expect(row.status).toBe('completed');
      expect(row.resolvedAt?.getTime()).toBe(at(5 * HOUR).getTime());
    }
    // Per subscriber: for each maintenance, its announcement, reminder, start and completion,
    // once each.
    const mail = readSink(dataDir);
    const perRecipient = new Map<string, string[]>();
    for (const m of mail) {
      const list = perRecipient.get(m.headers.to) ?? [];
      list.push(decodeHeader(m.headers.subject));
      perRecipient.set(m.headers.to, list);
    }
    expect(perRecipient.size).toBe(SUBSCRIBERS);
    for (const [to, subjects] of perRecipient) {
      expect(subjects, to).toHaveLength(8);
      expect(new Set(subjects).size, `${to}: ${subjects.join(' | ')}`).toBe(8);
    }
  });

  it('lets two instances with clocks an hour apart run one maintenance through once', async () => {
    const component = await createComponent(a, system, { name: 'Cache' });
    const { incident } = await createMaintenance(a, comms, {
      name: 'Skewed clocks',
      body: 'We will flush the cache.',
      scheduledFor: at(8 * HOUR),
      scheduledUntil: at(9 * HOUR),
      components: [component.id],
      autoStart: true,
      autoComplete: true,
    });
    // One instance is past the whole window, the other inside it, at the same moment, three
    // times over (which of them acts first is a race, so the tally is over all three).
    const started: string[] = [];
    const completed: string[] = [];
    for (let round = 0; round < 3; round++) {
      const done = await tick(at(9 * HOUR + 30 * MINUTE), at(8 * HOUR + 30 * MINUTE));
      started.push(...done.started);
      completed.push(...done.completed);
    }
    expect(started).toEqual([incident.id]);
    expect(completed).toEqual([incident.id]);
    const updates = await a.select().from(incidentUpdates).where(eq(incidentUpdates.incidentId, incident.id));
    expect(updates.map((u) => u.status).sort()).toEqual(['completed', 'in_progress', 'scheduled']);
  });
});
