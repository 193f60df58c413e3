/**
 * How an email fan-out is going, from the email_deliveries rows the worker writes: the
 * counts by state, why the failed ones failed, and the rows still pending or failed.
 *
 * An update's deliveries are found by `update_id` (what the API counts); a maintenance's
 * reminders, which have no update, by `incident_id` and their message key,
 * `reminder:{incidentId}:…` (one per start time, see maintenances/scheduler.ts).
 */
import { and, asc, eq, inArray, isNull, like, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { emailDeliveries, subscribers } from '../../db/schema/index.ts';
import type { DeliveryStatus } from '../../domain/enums.ts';

export type DeliveryCounts = { total: number; pending: number; sent: number; failed: number };

/** The counts the admin shows: the API's, plus the skipped ones (unsubscribed or suppressed since the fan-out). */
export type DeliveryTally = DeliveryCounts & { skipped: number };

/** One reason deliveries failed, with how many failed for it (most frequent first). */
export type FailureReason = { reason: string; count: number };

export type DeliverySummary = { counts: DeliveryTally; reasons: FailureReason[] };

/** What a failed row without a recorded error shows. */
export const NO_REASON = 'No reason recorded';

/**
 * Counts one update's deliveries. `pending` includes those being sent right now; `total`
 * also counts the skipped ones (suppressed or unsubscribed since the fan-out).
 */
export async function countDeliveries(db: Db, updateId: string): Promise<DeliveryCounts> {
  const { counts } = (await summarizeUpdateDeliveries(db, [updateId])).get(updateId) ?? emptySummary();
  return { total: counts.total, pending: counts.pending, sent: counts.sent, failed: counts.failed };
}

/** The counts and failure reasons of several updates' deliveries, in one query; updates without any are absent. */
export async function summarizeUpdateDeliveries(
  db: Db,
  updateIds: readonly string[],
): Promise<Map<string, DeliverySummary>> {
  if (!updateIds.length) return new Map();
  return summarize(db, emailDeliveries.updateId, inArray(emailDeliveries.updateId, [...updateIds]));
}

/** The counts and failure reasons of a maintenance's reminders, together, or null when none was queued. */
export async function summarizeReminderDeliveries(db: Db, incidentId: string): Promise<DeliverySummary | null> {
  return (await summarize(db, emailDeliveries.incidentId, remindersOf(incidentId))).get(incidentId) ?? null;
}

/** A maintenance's reminder deliveries, whatever start time each was for. */
function remindersOf(incidentId: string): SQL | undefined {
  const d = emailDeliveries;
  const prefix = `reminder:${incidentId.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`;
  return and(eq(d.incidentId, incidentId), isNull(d.updateId), like(d.messageKey, prefix));
}

/** Which deliveries a list reads: one update's, or a maintenance's reminders. */
export type DeliveryTarget = { updateId: string } | { reminderFor: string };

export type DeliveryRow = {
  id: number;
  email: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  updatedAt: Date;
};

/**
 * The deliveries of one message that are not done: failed first (newest change first),
 * then pending and sending, soonest next attempt first. One page at a time, with the
 * number of such rows. Two queries.
 */
export async function listUnfinishedDeliveries(
  db: Db,
  target: DeliveryTarget,
  options: { page?: number; perPage?: number } = {},
): Promise<{ rows: DeliveryRow[]; matching: number }> {
  const d = emailDeliveries;
  const perPage = options.perPage ?? 50;
  const page = options.page ?? 1;
  const where = and(
    'updateId' in target ? eq(d.updateId, target.updateId) : remindersOf(target.reminderFor),
    inArray(d.status, ['failed', 'pending', 'sending']),
  );
  const rows = await db
    .select({
      id: d.id,
      email: subscribers.email,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.nextAttemptAt,
      lastError: d.lastError,
      updatedAt: d.updatedAt,
    })
    .from(d)
    .innerJoin(subscribers, eq(subscribers.id, d.subscriberId))
    .where(where)
    .orderBy(
      sql`case when ${d.status} = 'failed' then 0 else 1 end`,
      sql`case when ${d.status} = 'failed' then ${d.updatedAt} end desc`,
      asc(d.nextAttemptAt),
      asc(d.id),
    )
    .limit(perPage)
    .offset((page - 1) * perPage);
  const [{ matching }] = await db
    .select({ matching: sql<number>`count(*)::int` })
    .from(d)
    .where(where);
  return { rows, matching: Number(matching) };
}

/** Counts by state and failure reasons, grouped by `key`, in one query. */
async function summarize(
  db: Db,
  key: typeof emailDeliveries.updateId | typeof emailDeliveries.incidentId,
  where: SQL | undefined,
) {
  const d = emailDeliveries;
  const reason = sql<string | null>`case when ${d.status} = 'failed' then coalesce(${d.lastError}, '') end`;
  const rows = await db
    .select({ key: sql<string>`${key}`, status: d.status, reason, n: sql<number>`count(*)::int` })
    .from(d)
    .where(where)
    .groupBy(key, d.status, reason);
  const out = new Map<string, DeliverySummary>();
  for (const row of rows) {
    let summary = out.get(row.key);
    if (!summary) out.set(row.key, (summary = emptySummary()));
    const n = Number(row.n);
    const { counts } = summary;
    counts.total += n;
    if (row.status === 'pending' || row.status === 'sending') counts.pending += n;
    else if (row.status === 'sent') counts.sent += n;
    else if (row.status === 'skipped') counts.skipped += n;
    else if (row.status === 'failed') {
      counts.failed += n;
      summary.reasons.push({ reason: row.reason || NO_REASON, count: n });
    }
  }
  for (const summary of out.values()) {
    summary.reasons.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  }
  return out;
}

function emptySummary(): DeliverySummary {
  return { counts: { total: 0, pending: 0, sent: 0, failed: 0, skipped: 0 }, reasons: [] };
}
