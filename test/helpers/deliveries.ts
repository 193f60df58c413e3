/**
 * Seeds email_deliveries rows directly, each to a new confirmed subscriber, so tests can
 * show the admin any mix of states and errors without running the worker.
 */
import type { Db } from '../../src/db/client.ts';
import { emailDeliveries, subscribers } from '../../src/db/schema/index.ts';
import type { DeliveryStatus } from '../../src/domain/enums.ts';
import { hashSecret, newId, newSecret } from '../../src/server/ids.ts';

export type SeededDelivery = { status: DeliveryStatus; lastError?: string | null; attempts?: number };

/**
 * One delivery per entry of `rows`, to `{prefix}{n}@example.com`, for an update
 * (`update:{id}`) or any other message (a reminder: `messageKey` and `incidentId`).
 */
export async function seedDeliveries(
  db: Db,
  message: { updateId: string; incidentId: string } | { messageKey: string; incidentId: string },
  rows: readonly SeededDelivery[],
  prefix = 'r',
): Promise<string[]> {
  const now = new Date();
  const people = rows.map((_, i) => ({
    id: newId(),
    email: `${prefix}${i}@example.com`,
    confirmedAt: now,
    manageTokenHash: hashSecret(newSecret()),
  }));
  if (!people.length) return [];
  await db.insert(subscribers).values(people);
  await db.insert(emailDeliveries).values(
    rows.map((r, i) => ({
      messageKey: 'updateId' in message ? `update:${message.updateId}` : message.messageKey,
      subscriberId: people[i].id,
      updateId: 'updateId' in message ? message.updateId : null,
      incidentId: message.incidentId,
      status: r.status,
      lastError: r.lastError ?? null,
      attempts: r.attempts ?? 0,
    })),
  );
  return people.map((p) => p.email);
}
