/**
 * Idempotency for double-submitted forms and retried API calls. The key a caller sends is
 * stored on the update the call wrote (incident_updates.idempotency_key, unique), prefixed
 * with the verb and the caller, so two people or tokens cannot collide. A second call with
 * the same key within 24 hours returns the first result; after that the key is free again.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { incidentUpdates } from '../../db/schema/index.ts';
import { isUniqueViolation, type Caller } from '../services.ts';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
const INDEX = 'incident_updates_idempotency_key_idx';

type UpdateRow = typeof incidentUpdates.$inferSelect;

/** The stored form of a key: verb and caller first, so keys are scoped to both. */
export function storedKey(caller: Caller, verb: string, key: string): string {
  return `${verb}:${caller.type}:${caller.id ?? caller.name ?? ''}:${key}`;
}

/**
 * Runs `write` once per key: with no key it just writes; with a key seen in the last 24 h
 * it returns `replay(first update)`. Two concurrent calls with one key both try to insert;
 * the unique index lets one win and the other replays it.
 */
export async function withIdempotency<T>(
  db: Db,
  caller: Caller,
  verb: string,
  key: string | undefined,
  replay: (first: UpdateRow) => Promise<T>,
  write: (stored: string | null) => Promise<T>,
  now = new Date(),
): Promise<T> {
  if (!key) return write(null);
  const stored = storedKey(caller, verb, key);
  const found = await findByKey(db, stored);
  if (found && now.getTime() - found.createdAt.getTime() < IDEMPOTENCY_WINDOW_MS) return replay(found);
  // Expired: free the key for this new call.
  if (found) await db.update(incidentUpdates).set({ idempotencyKey: null }).where(eq(incidentUpdates.id, found.id));
  try {
    return await write(stored);
  } catch (err) {
    if (!isUniqueViolation(err, INDEX)) throw err;
    const first = await findByKey(db, stored);
    if (!first) throw err;
    return replay(first);
  }
}

async function findByKey(db: Db, stored: string): Promise<UpdateRow | null> {
  const [row] = await db.select().from(incidentUpdates).where(eq(incidentUpdates.idempotencyKey, stored));
  return row ?? null;
}
