/**
 * Adding and removing email subscribers from the admin area or the API
 * ('subscribers:manage': comms and admin). A subscriber added unconfirmed gets the double
 * opt-in email (queued in the outbox); `confirmed: true` is an import of people who
 * already agreed elsewhere.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { subscriberComponents, subscribers } from '../../db/schema/index.ts';
import { recordAudit } from '../audit/service.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { hashSecret, newId, newSecret } from '../ids.ts';
import { enqueue } from '../outbox/service.ts';
import { authorize, isUniqueViolation, parseInput, Problems, type Caller } from '../services.ts';
import { loadComponentIndex } from '../status-page/queries.ts';
import { CreateSubscriberSchema, type CreateSubscriberInput } from './schemas.ts';

export type { CreateSubscriberInput };
export type Subscriber = typeof subscribers.$inferSelect;

/** Adds a subscriber; ConflictError when the address is already subscribed. */
export async function createSubscriber(
  db: Db,
  caller: Caller,
  input: CreateSubscriberInput,
): Promise<Subscriber & { componentIds: string[] }> {
  authorize(caller, 'subscribers:manage');
  const data = parseInput(CreateSubscriberSchema, input);
  const componentIds = [...new Set(data.componentIds ?? [])];
  try {
    return await db.transaction(async (tx) => {
      if (componentIds.length) {
        // The public index: a subscriber must never learn of an internal component.
        const visible = await loadComponentIndex(tx, 'public');
        const bad = componentIds.filter((id) => !visible.has(id));
        const problems = new Problems();
        if (bad.length) problems.add('component_ids', `Not a public component: ${bad.join(', ')}`);
        problems.throwIfAny();
      }
      const [existing] = await tx
        .select({ id: subscribers.id })
        .from(subscribers)
        .where(eq(subscribers.email, data.email));
      if (existing) throw new ConflictError(`${data.email} is already subscribed`);
      const now = new Date();
      const [row] = await tx
        .insert(subscribers)
        .values({
          id: newId(),
          email: data.email,
          allComponents: componentIds.length === 0,
          confirmedAt: data.confirmed ? now : null,
          // The worker issues the links; until then nobody holds this token.
          manageTokenHash: hashSecret(newSecret()),
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      if (componentIds.length) {
        await tx
          .insert(subscriberComponents)
          .values(componentIds.map((componentId) => ({ subscriberId: row.id, componentId })));
      }
      await recordAudit(
        tx,
        caller,
        'subscriber.create',
        { type: 'subscriber', id: row.id },
        { after: { email: row.email, confirmed: Boolean(data.confirmed), componentIds } },
      );
      if (!data.confirmed) await enqueue(tx, 'subscriber.confirm', { subscriberId: row.id });
      return { ...row, componentIds };
    });
  } catch (err) {
    // Two requests for one address at once: the unique index decides.
    if (isUniqueViolation(err, 'subscribers_email_idx')) throw new ConflictError(`${data.email} is already subscribed`);
    throw err;
  }
}

/** Removes a subscriber and everything queued for them. */
export async function deleteSubscriber(db: Db, caller: Caller, id: string): Promise<void> {
  authorize(caller, 'subscribers:manage');
  await db.transaction(async (tx) => {
    const [before] = await tx.delete(subscribers).where(eq(subscribers.id, id)).returning();
    if (!before) throw new NotFoundError(`Subscriber ${id} does not exist`);
    // The audit log outlives the subscriber: it keeps a masked address only.
    await recordAudit(
      tx,
      caller,
      'subscriber.delete',
      { type: 'subscriber', id },
      { before: { email: maskEmail(before.email) } },
    );
  });
}

/** `ann.lee@example.com` → `a***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}
