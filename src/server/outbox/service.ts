/**
 * The outbox: side effects to run after a commit (email fan-out, rebuilding the public
 * snapshot, confirmation emails). Services write these rows inside the transaction of the
 * change, so a crash can neither lose them nor send something that was rolled back. A worker
 * (a later issue) consumes them.
 */
import type { Db } from '../../db/client.ts';
import { outbox } from '../../db/schema/index.ts';

/** Each topic and its payload. */
export type OutboxPayloads = {
  /** A public update was posted: fan it out to subscribers when `notify` is set, and to hooks. */
  'update.published': { updateId: string; notify: boolean };
  /** Something a public surface shows changed: rebuild the cached snapshot. */
  'snapshot.invalidate': Record<string, never>;
  /** An unconfirmed subscriber was added: send the double opt-in email. */
  'subscriber.confirm': { subscriberId: string };
};

export type OutboxTopic = keyof OutboxPayloads;

export const OUTBOX_TOPICS = [
  'update.published',
  'snapshot.invalidate',
  'subscriber.confirm',
] as const satisfies readonly OutboxTopic[];

/** Queues one side effect; call it with the transaction of the change it follows. */
export async function enqueue<T extends OutboxTopic>(tx: Db, topic: T, payload: OutboxPayloads[T]): Promise<void> {
  await tx.insert(outbox).values({ topic, payload });
}
