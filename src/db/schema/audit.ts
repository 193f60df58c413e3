import { bigserial, check, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { ACTOR_TYPES, type ActorType } from '../../domain/enums.ts';
import { oneOf, ts } from './_columns.ts';

/** Who did what, when. Append-only. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().defaultNow(),
    actorType: text('actor_type').$type<ActorType>().notNull(),
    actorId: text('actor_id'),
    actorName: text('actor_name'),
    action: text('action').notNull(),
    entityType: text('entity_type'),
    entityId: text('entity_id'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    ip: text('ip'),
  },
  (t) => [
    check('audit_log_actor_type_check', oneOf(t.actorType, ACTOR_TYPES)),
    index('audit_log_at_idx').on(t.at),
    index('audit_log_entity_idx').on(t.entityType, t.entityId),
  ],
);
