/** Reads of update templates. */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { templates } from '../../db/schema/index.ts';
import type { IncidentKind, TemplateAudience } from '../../domain/enums.ts';
import type { Template } from './service.ts';

/** Templates, optionally of one kind or audience, by kind, audience and name. */
export function listTemplates(
  db: Db,
  filter: { kind?: IncidentKind; audience?: TemplateAudience } = {},
): Promise<Template[]> {
  return db
    .select()
    .from(templates)
    .where(
      and(
        filter.kind ? eq(templates.kind, filter.kind) : undefined,
        filter.audience ? eq(templates.audience, filter.audience) : undefined,
      ),
    )
    .orderBy(asc(templates.kind), asc(templates.audience), asc(templates.name));
}

/** One template, or null. */
export async function getTemplate(db: Db, id: string): Promise<Template | null> {
  const [row] = await db.select().from(templates).where(eq(templates.id, id));
  return row ?? null;
}
