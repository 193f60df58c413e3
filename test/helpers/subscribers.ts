/** Subscribers inserted straight into the database, as an admin import would (placeholder manage tokens). */
import type { Db } from '../../src/db/client.ts';
import { subscriberComponents, subscribers } from '../../src/db/schema/index.ts';
import { hashSecret, newId, newSecret } from '../../src/server/ids.ts';

export type SubscriberSpec = {
  email: string;
  /** None: subscribed to every component. */
  components?: string[];
  confirmed?: boolean;
  unsubscribed?: boolean;
  suppressed?: boolean;
};

export async function addSubscribers(db: Db, specs: SubscriberSpec[]): Promise<void> {
  const now = new Date();
  const rows = specs.map((x) => ({
    id: newId(),
    email: x.email,
    allComponents: !x.components?.length,
    confirmedAt: x.confirmed === false ? null : now,
    unsubscribedAt: x.unsubscribed ? now : null,
    suppressedAt: x.suppressed ? now : null,
    manageTokenHash: hashSecret(newSecret()),
  }));
  for (let i = 0; i < rows.length; i += 500) await db.insert(subscribers).values(rows.slice(i, i + 500));
  const links = specs.flatMap((x, i) =>
    (x.components ?? []).map((componentId) => ({ subscriberId: rows[i].id, componentId })),
  );
  if (links.length) await db.insert(subscriberComponents).values(links);
}
