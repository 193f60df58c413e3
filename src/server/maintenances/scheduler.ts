/**
 * What happens to maintenances as time passes, one pass at a time (`runMaintenanceSchedule`);
 * every app instance may run it, say every minute, at the same time as the others:
 *
 * - auto start: a maintenance with `autoStart` whose window opened goes in progress, and the
 *   components it covers go under maintenance, as a person starting it would do;
 * - auto complete: one with `autoComplete` whose window closed is completed, which sets its
 *   components back to operational (resolveIncident);
 * - the reminder: an hour before a public maintenance starts, one email to the subscribers of
 *   its components (`notifyReminder`).
 *
 * Each step re-checks its condition under a row lock taken with SKIP LOCKED, so two instances
 * never both start, complete or remind the same maintenance, and a second pass finds nothing.
 * Starting and completing go through the incident services, so the updates, the component
 * history, the audit log, the emails (per the maintenance's switches) and the snapshot
 * invalidation are exactly those of a person doing it.
 */
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.ts';
import { publicAmong, reachable, wantsAnyOf } from '../notify/fanout.ts';
import { components, incidentComponents, incidents } from '../../db/schema/index.ts';
import type { ComponentStatus } from '../../domain/enums.ts';
import { statusRank } from '../../domain/status.ts';
import { SYSTEM_ACTOR } from '../audit/service.ts';
import { postUpdate, resolveIncident } from '../incidents/service.ts';
import type { Caller } from '../services.ts';

/** How long before a maintenance starts its reminder goes out. */
export const REMINDER_LEAD_MS = 60 * 60_000;

/** The body of the update an automatic start posts. */
export const AUTO_START_BODY = 'Scheduled maintenance is now in progress. We will provide updates as necessary.';
/** The body of the update an automatic completion posts. */
export const AUTO_COMPLETE_BODY = 'The scheduled maintenance has been completed.';

/** Vigie itself: trusted, with no role (see services.ts), and named as the author of the updates. */
const AUTOMATION: Caller = SYSTEM_ACTOR;

export type MaintenanceScheduleResult = {
  /** Ids of the maintenances this pass started. */
  started: string[];
  /** Ids of the maintenances this pass completed. */
  completed: string[];
  /** Reminder emails queued (email_deliveries rows added). */
  reminders: number;
};

/**
 * One pass of the schedule at `now`: starts, then completes, then queues reminders. A
 * maintenance that fails to start or complete does not hold up the others; the failures are
 * thrown together (AggregateError) once the rest is done.
 */
export async function runMaintenanceSchedule(db: Db, now = new Date()): Promise<MaintenanceScheduleResult> {
  const errors: unknown[] = [];
  const started = await eachDue(db, startable(now), errors, (tx, id) => startMaintenance(tx, id, now));
  const completed = await eachDue(db, completable(now), errors, (tx, id) =>
    resolveIncident(tx, AUTOMATION, id, { body: AUTO_COMPLETE_BODY, at: now }),
  );
  const reminders = await queueReminders(db, now);
  if (errors.length) throw new AggregateError(errors, 'Some maintenances could not be started or completed');
  return { started, completed, reminders };
}

// ---------------------------------------------------------------------------------------
// Start and complete

const isMaintenance = eq(incidents.kind, 'maintenance');

function startable(now: Date) {
  return and(
    isMaintenance,
    eq(incidents.autoStart, true),
    eq(incidents.status, 'scheduled'),
    lte(incidents.scheduledFor, now),
  );
}

function completable(now: Date) {
  return and(
    isMaintenance,
    eq(incidents.autoComplete, true),
    inArray(incidents.status, ['in_progress', 'verifying']),
    lte(incidents.scheduledUntil, now),
  );
}

/**
 * Runs `act` once per maintenance matching `due`, each in its own transaction that first
 * locks the row and checks `due` again: a row another instance holds is skipped, and one it
 * has just moved no longer matches. Returns the ids acted on.
 */
async function eachDue(
  db: Db,
  due: ReturnType<typeof startable>,
  errors: unknown[],
  act: (tx: Db, id: string) => Promise<unknown>,
): Promise<string[]> {
  const candidates = await db
    .select({ id: incidents.id })
    .from(incidents)
    .where(due)
    .orderBy(asc(incidents.scheduledFor), asc(incidents.number));
  const done: string[] = [];
  for (const { id } of candidates) {
    try {
      const acted = await db.transaction(async (tx) => {
        const [row] = await tx
          .select({ id: incidents.id })
          .from(incidents)
          .where(and(eq(incidents.id, id), due))
          .for('update', { skipLocked: true });
        if (!row) return false;
        // The service's own transaction nests (a savepoint) and locks the row we hold.
        await act(tx, id);
        return true;
      });
      if (acted) done.push(id);
    } catch (err) {
      errors.push(err);
    }
  }
  return done;
}

/**
 * Posts the "in progress" update and puts the covered components under maintenance. A
 * component already degraded or down keeps that status: it is the worse news, and the page
 * must go on showing it (STATUS_RANK puts maintenance just above operational).
 */
async function startMaintenance(tx: Db, id: string, now: Date) {
  const covered = await tx
    .select({ id: components.id, status: components.status })
    .from(incidentComponents)
    .innerJoin(components, eq(components.id, incidentComponents.componentId))
    .where(eq(incidentComponents.incidentId, id))
    // One order for every pass, so two passes moving shared components never deadlock.
    .orderBy(asc(components.id));
  const moves: Record<string, ComponentStatus> = {};
  for (const c of covered) {
    if (statusRank(c.status) <= statusRank('under_maintenance')) moves[c.id] = 'under_maintenance';
  }
  return postUpdate(tx, AUTOMATION, id, { status: 'in_progress', body: AUTO_START_BODY, components: moves, at: now });
}

// ---------------------------------------------------------------------------------------
// Reminders

/**
 * The message key of a maintenance's reminder for one start time (queueReminders builds the
 * same in SQL). The start is part of it so
 * that a maintenance moved later gets a fresh reminder before its new start, while the unique
 * (message_key, subscriber_id) index still stops a second reminder for the same one.
 */
export function reminderKey(incidentId: string, scheduledFor: Date): string {
  return `reminder:${incidentId}:${Math.floor(scheduledFor.getTime() / 1000)}`;
}

/**
 * Queues the reminder of every public maintenance that starts within the next hour, in one
 * statement: it locks the due maintenances (SKIP LOCKED, the condition checked again on the
 * locked row), marks them reminded (`reminder_sent_at`) and inserts one delivery per
 * subscriber, all or nothing. Due means: still scheduled, reminder switched on, not reminded
 * yet, starting after `now` and at most an hour after it, and announced at least an hour
 * before its start; one announced later gets no reminder, as its announcement already said
 * when it starts.
 *
 * Who gets it is the fan-out's rule (notify/fanout.ts `reachable`, `wantsAnyOf`): confirmed,
 * neither unsubscribed nor suppressed, subscribed to everything or to a public component (in
 * no internal group) the maintenance covers. Returns the deliveries added.
 */
async function queueReminders(db: Db, now: Date): Promise<number> {
  const at = now.toISOString();
  const horizon = new Date(now.getTime() + REMINDER_LEAD_MS).toISOString();
  const rows = await queryRows(
    db,
    sql`
    with due as (
      select i.id
      from incidents i
      where i.kind = 'maintenance' and i.visibility = 'public' and i.status = 'scheduled'
        and i.notify_reminder and i.reminder_sent_at is null
        and i.scheduled_for > ${at}::timestamptz and i.scheduled_for <= ${horizon}::timestamptz
        and i.created_at <= i.scheduled_for - ${`${REMINDER_LEAD_MS} milliseconds`}::interval
      for update skip locked
    ),
    reminded as (
      update incidents i set reminder_sent_at = ${at}::timestamptz
      from due where i.id = due.id
      returning i.id, i.scheduled_for
    )
    insert into email_deliveries
      (message_key, subscriber_id, update_id, incident_id, status, next_attempt_at, created_at, updated_at)
    select 'reminder:' || m.id || ':' || floor(extract(epoch from m.scheduled_for))::bigint,
      s.id, null, m.id, 'pending', ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
    from reminded m
    join subscribers s on ${reachable('s')}
    where ${wantsAnyOf('s', publicAmong(sql`select ic.component_id from incident_components ic where ic.incident_id = m.id`))}
    on conflict (message_key, subscriber_id) do nothing
    returning id
  `,
  );
  return rows.length;
}

/** Whether a new start, `scheduledFor`, is far enough from `now` to deserve a reminder of its own. */
export function remindsAgain(scheduledFor: Date, now = new Date()): boolean {
  return scheduledFor.getTime() - now.getTime() > REMINDER_LEAD_MS;
}
