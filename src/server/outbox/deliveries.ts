/** How an update's email fan-out is going, from the email_deliveries rows the worker writes. */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { emailDeliveries } from '../../db/schema/index.ts';

export type DeliveryCounts = { total: number; pending: number; sent: number; failed: number };

/**
 * Counts one update's deliveries. `pending` includes those being sent right now; `total`
 * also counts the skipped ones (suppressed or unsubscribed since the fan-out).
 */
export async function countDeliveries(db: Db, updateId: string): Promise<DeliveryCounts> {
  const [row] = await db
    .select({
      total: sql<number>`count(*)::int`,
      pending: sql<number>`(count(*) filter (where ${emailDeliveries.status} in ('pending', 'sending')))::int`,
      sent: sql<number>`(count(*) filter (where ${emailDeliveries.status} = 'sent'))::int`,
      failed: sql<number>`(count(*) filter (where ${emailDeliveries.status} = 'failed'))::int`,
    })
    .from(emailDeliveries)
    .where(eq(emailDeliveries.updateId, updateId));
  return {
    total: Number(row?.total ?? 0),
    pending: Number(row?.pending ?? 0),
    sent: Number(row?.sent ?? 0),
    failed: Number(row?.failed ?? 0),
  };
}
