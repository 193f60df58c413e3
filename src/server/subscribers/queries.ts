/** Staff reads of subscribers: a searchable, paged list with counts by state. */
import { and, desc, ilike, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { subscriberComponents, subscribers } from '../../db/schema/index.ts';
import type { Subscriber } from './service.ts';

export type SubscriberState = 'confirmed' | 'unconfirmed' | 'unsubscribed' | 'suppressed';
export type SubscriberCounts = Record<SubscriberState | 'total', number>;
export type SubscriberListItem = Subscriber & { state: SubscriberState; componentIds: string[] };

/** Where a subscriber stands: suppressed and unsubscribed win over confirmed. */
export function subscriberState(
  s: Pick<Subscriber, 'confirmedAt' | 'unsubscribedAt' | 'suppressedAt'>,
): SubscriberState {
  if (s.suppressedAt) return 'suppressed';
  if (s.unsubscribedAt) return 'unsubscribed';
  return s.confirmedAt ? 'confirmed' : 'unconfirmed';
}

/**
 * Subscribers whose address contains `search` (any case), newest first, one page at a time,
 * with the number matching and the counts of the whole list by state. Four queries.
 */
export async function listSubscribers(
  db: Db,
  options: { search?: string; page?: number; perPage?: number } = {},
): Promise<{ subscribers: SubscriberListItem[]; matching: number; counts: SubscriberCounts }> {
  const perPage = options.perPage ?? 50;
  const page = options.page ?? 1;
  const search = options.search?.trim();
  const where = search ? ilike(subscribers.email, `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) : undefined;
  const rows = await db
    .select()
    .from(subscribers)
    .where(where)
    .orderBy(desc(subscribers.createdAt), desc(subscribers.id))
    .limit(perPage)
    .offset((page - 1) * perPage);
  const [{ matching }] = await db
    .select({ matching: sql<number>`count(*)::int` })
    .from(subscribers)
    .where(where);
  const links = rows.length
    ? await db
        .select()
        .from(subscriberComponents)
        .where(
          inArray(
            subscriberComponents.subscriberId,
            rows.map((r) => r.id),
          ),
        )
    : [];
  const [counts] = await db
    .select({
      total: sql<number>`count(*)::int`,
      suppressed: sql<number>`(count(*) filter (where ${isNotNull(subscribers.suppressedAt)}))::int`,
      unsubscribed: sql<number>`(count(*) filter (where ${and(isNull(subscribers.suppressedAt), isNotNull(subscribers.unsubscribedAt))}))::int`,
      confirmed: sql<number>`(count(*) filter (where ${and(isNull(subscribers.suppressedAt), isNull(subscribers.unsubscribedAt), isNotNull(subscribers.confirmedAt))}))::int`,
      unconfirmed: sql<number>`(count(*) filter (where ${and(isNull(subscribers.suppressedAt), isNull(subscribers.unsubscribedAt), isNull(subscribers.confirmedAt))}))::int`,
    })
    .from(subscribers);
  return {
    subscribers: rows.map((r) => ({
      ...r,
      state: subscriberState(r),
      componentIds: links.filter((l) => l.subscriberId === r.id).map((l) => l.componentId),
    })),
    matching: Number(matching),
    counts: {
      total: Number(counts.total),
      confirmed: Number(counts.confirmed),
      unconfirmed: Number(counts.unconfirmed),
      unsubscribed: Number(counts.unsubscribed),
      suppressed: Number(counts.suppressed),
    },
  };
}
