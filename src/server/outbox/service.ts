/**
 * The outbox: side effects to run after a commit (email fan-out, rebuilding the public
 * snapshot, confirmation emails). Services write these rows inside the transaction of the
 * change, so a crash can neither lose them nor send something that was rolled back. A worker
 * (a later issue) consumes them.
 */
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { outbox } from '../../db/schema/index.ts';
import { markSnapshotDirty } from '../snapshot/registry.ts';

/** Each topic and its payload. */
export type OutboxPayloads = {
  /** A public update was posted: fan it out to subscribers when `notify` is set, and to hooks. */
  'update.published': { updateId: string; notify: boolean };
  /** Something a public surface shows changed: rebuild the cached snapshot. */
  'snapshot.invalidate': Record<string, never>;
  /** An unconfirmed subscriber was added: send the double opt-in email. */
  'subscriber.confirm': { subscriberId: string };
  /**
   * Something happened to an incident (not a maintenance) that outgoing webhooks may want:
   * see IncidentEvent. Written for internal incidents and updates too; the webhook fan-out
   * decides who may see it.
   */
  'incident.event': IncidentEventPayload;
};

/** The events outgoing webhooks subscribe to (phase 5 of the incident process). */
export const INCIDENT_EVENTS = [
  'incident.created',
  'incident.severity_changed',
  'incident.update_posted',
  'incident.resolved',
] as const;
export type IncidentEvent = (typeof INCIDENT_EVENTS)[number];

export type IncidentEventPayload = {
  event: IncidentEvent;
  incidentId: string;
  /** The update it is about: the first one for `created`, the closing one for `resolved`. */
  updateId?: string;
  /** For `severity_changed`: the severity before. */
  previousSeverity?: number | null;
  /** When it happened (ISO 8601), so a late delivery still carries the right time. */
  at: string;
};

export type OutboxTopic = keyof OutboxPayloads;

export const OUTBOX_TOPICS = [
  'update.published',
  'snapshot.invalidate',
  'subscriber.confirm',
  'incident.event',
] as const satisfies readonly OutboxTopic[];

/** Queues one side effect; call it with the transaction of the change it follows. */
export async function enqueue<T extends OutboxTopic>(tx: Db, topic: T, payload: OutboxPayloads[T]): Promise<void> {
  const invalidation = topic === 'snapshot.invalidate';
  // An invalidation has no consumer but the NOTIFY below: its row is a record of the change,
  // processed at commit, and pruned after a day (pruneOutbox).
  await tx.insert(outbox).values({ topic, payload, ...(invalidation ? { processedAt: sql`now()` } : {}) });
  // NOTIFY is delivered at commit, and not at all on rollback: every app instance listening
  // on the same database rebuilds its public snapshot right after the change is visible.
  if (invalidation) {
    await tx.execute(sql`select pg_notify(${SNAPSHOT_CHANNEL}, '')`);
    markSnapshotDirty();
  }
}

/**
 * Deletes the records of snapshot invalidations older than a day: one is written per public
 * change and nothing reads them after commit. Other topics stay (deliveries and webhook
 * events refer to them). Returns how many went.
 */
export async function pruneOutbox(db: Db, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - 86_400_000);
  const gone = await db
    .delete(outbox)
    .where(and(eq(outbox.topic, 'snapshot.invalidate'), lt(outbox.createdAt, cutoff)))
    .returning({ id: outbox.id });
  return gone.length;
}

/** The NOTIFY channel of public changes (src/server/snapshot/service.ts listens to it). */
export const SNAPSHOT_CHANNEL = 'vigie_snapshot';
