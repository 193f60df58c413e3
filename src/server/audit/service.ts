import type { Db } from '../../db/client.ts';
import { auditLog } from '../../db/schema/index.ts';
import type { ActorType } from '../../domain/enums.ts';

export type Actor = { type: ActorType; id?: string | null; name?: string | null; ip?: string | null };

/** The actor of changes made by Vigie itself (seed, schedules). */
export const SYSTEM_ACTOR: Actor = { type: 'system', name: 'Vigie' };

/** Appends one entry to the audit log; call it inside the transaction of the change it records. */
export async function recordAudit(
  db: Db,
  actor: Actor,
  action: string,
  entity: { type: string; id: string } | null,
  detail?: Record<string, unknown>,
): Promise<void> {
  await db.insert(auditLog).values({
    actorType: actor.type,
    actorId: actor.id ?? null,
    actorName: actor.name ?? null,
    action,
    entityType: entity?.type ?? null,
    entityId: entity?.id ?? null,
    detail: detail ?? null,
    ip: actor.ip ?? null,
  });
}
