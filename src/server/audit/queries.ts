/** Reads of the audit log ('audit:read': admin): newest first, filtered, one page at a time. */
import { and, asc, count, desc, eq, gte, ilike, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { auditLog } from '../../db/schema/index.ts';
import { authorize, type Caller } from '../services.ts';

export type AuditEntry = typeof auditLog.$inferSelect;

export type AuditFilter = {
  /** Part of the actor's name (any case), or their exact id. */
  actor?: string;
  /** An action (`user.create`), or a family of actions (`user` matches `user.*`). */
  action?: string;
  entityType?: string;
  entityId?: string;
  /** Entries at or after this instant. */
  from?: Date;
  /** Entries before this instant. */
  until?: Date;
};

export const AUDIT_PAGE_SIZE = 50;

/** One page of audit entries matching the filter, newest first, with the number matching. Two queries. */
export async function listAuditEntries(
  db: Db,
  caller: Caller,
  filter: AuditFilter = {},
  options: { page?: number; perPage?: number } = {},
): Promise<{ entries: AuditEntry[]; total: number }> {
  authorize(caller, 'audit:read');
  const perPage = options.perPage ?? AUDIT_PAGE_SIZE;
  const page = Math.max(1, options.page ?? 1);
  const where = auditWhere(filter);
  const entries = await db
    .select()
    .from(auditLog)
    .where(where)
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(perPage)
    .offset((page - 1) * perPage);
  const [{ total }] = await db.select({ total: count() }).from(auditLog).where(where);
  return { entries, total: Number(total) };
}

/** The distinct actions and entity types in the log, for the filter's choices. Two queries. */
export async function auditVocabulary(db: Db, caller: Caller): Promise<{ actions: string[]; entityTypes: string[] }> {
  authorize(caller, 'audit:read');
  const actions = await db.selectDistinct({ v: auditLog.action }).from(auditLog).orderBy(asc(auditLog.action));
  const types = await db
    .selectDistinct({ v: auditLog.entityType })
    .from(auditLog)
    .where(sql`${auditLog.entityType} is not null`)
    .orderBy(asc(auditLog.entityType));
  return { actions: actions.map((r) => r.v), entityTypes: types.map((r) => r.v!) };
}

function auditWhere(filter: AuditFilter): SQL | undefined {
  const conditions: (SQL | undefined)[] = [];
  const actor = filter.actor?.trim();
  if (actor) conditions.push(or(ilike(auditLog.actorName, `%${escapeLike(actor)}%`), eq(auditLog.actorId, actor)));
  const action = filter.action?.trim();
  if (action) {
    conditions.push(
      action.includes('.')
        ? eq(auditLog.action, action)
        : or(eq(auditLog.action, action), sql`${auditLog.action} like ${`${escapeLike(action)}.%`}`),
    );
  }
  if (filter.entityType?.trim()) conditions.push(eq(auditLog.entityType, filter.entityType.trim()));
  if (filter.entityId?.trim()) conditions.push(eq(auditLog.entityId, filter.entityId.trim()));
  if (filter.from) conditions.push(gte(auditLog.at, filter.from));
  if (filter.until) conditions.push(lt(auditLog.at, filter.until));
  return conditions.length ? and(...conditions) : undefined;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
