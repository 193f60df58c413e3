/** Reads of outgoing webhooks and their deliveries, for the admin pages ('webhooks:manage'). */
import { asc, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { webhookDeliveries, webhooks } from '../../db/schema/index.ts';
import { NotFoundError } from '../errors.ts';
import { isId } from '../ids.ts';
import { authorize, type Caller } from '../services.ts';
import { revealWebhook, type Webhook } from './service.ts';

export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;

export type WebhookSummary = Webhook & { pending: number; failed: number; lastSentAt: Date | null };

/** Every webhook, by name, with its count of pending and failed deliveries. */
export async function listWebhooks(db: Db, caller: Caller): Promise<WebhookSummary[]> {
  authorize(caller, 'webhooks:manage');
  const rows = await db.select().from(webhooks).orderBy(asc(webhooks.name), asc(webhooks.id));
  const counts = await db
    .select({
      webhookId: webhookDeliveries.webhookId,
      pending: sql<number>`count(*) filter (where ${webhookDeliveries.status} in ('pending', 'sending'))::int`,
      failed: sql<number>`count(*) filter (where ${webhookDeliveries.status} = 'failed')::int`,
      lastSentAt: sql<string | null>`max(${webhookDeliveries.sentAt})`,
    })
    .from(webhookDeliveries)
    .groupBy(webhookDeliveries.webhookId);
  const byId = new Map(counts.map((c) => [c.webhookId, c]));
  return rows.map((w) => {
    const c = byId.get(w.id);
    return {
      ...revealWebhook(w),
      pending: Number(c?.pending ?? 0),
      failed: Number(c?.failed ?? 0),
      lastSentAt: c?.lastSentAt ? new Date(c.lastSentAt) : null,
    };
  });
}

/** One webhook; NotFoundError when there is none. */
export async function getWebhook(db: Db, caller: Caller, id: string): Promise<Webhook> {
  authorize(caller, 'webhooks:manage');
  const [row] = isId(id) ? await db.select().from(webhooks).where(eq(webhooks.id, id)) : [];
  if (!row) throw new NotFoundError(`There is no webhook ${id}`);
  return revealWebhook(row);
}

/** A webhook's latest deliveries, newest first. */
export async function recentDeliveries(db: Db, caller: Caller, webhookId: string, limit = 25) {
  authorize(caller, 'webhooks:manage');
  return db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, webhookId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit);
}
