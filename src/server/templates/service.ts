/** Writes to update templates: 'templates:manage' (comms and admin). */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { templates } from '../../db/schema/index.ts';
import {
  INCIDENT_STATUSES,
  MAINTENANCE_STATUSES,
  type AnyIncidentStatus,
  type IncidentKind,
} from '../../domain/enums.ts';
import { recordAudit } from '../audit/service.ts';
import { NotFoundError } from '../errors.ts';
import { newId } from '../ids.ts';
import { authorize, changes, invalid, parseInput, type Caller } from '../services.ts';
import {
  CreateTemplateSchema,
  UpdateTemplateSchema,
  type CreateTemplateInput,
  type UpdateTemplateInput,
} from './schemas.ts';

export type { CreateTemplateInput, UpdateTemplateInput };
export type Template = typeof templates.$inferSelect;

/** Creates a template. */
export async function createTemplate(db: Db, caller: Caller, input: CreateTemplateInput): Promise<Template> {
  authorize(caller, 'templates:manage');
  const data = parseInput(CreateTemplateSchema, input);
  const kind = data.kind ?? 'incident';
  checkStatusFits(kind, data.status);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(templates)
      .values({
        id: newId(),
        name: data.name,
        audience: data.audience,
        kind,
        title: data.title ?? '',
        status: data.status ?? null,
        body: data.body,
      })
      .returning();
    await recordAudit(tx, caller, 'template.create', { type: 'template', id: row.id }, { after: templateAudit(row) });
    return row;
  });
}

/** Edits a template. */
export async function updateTemplate(
  db: Db,
  caller: Caller,
  id: string,
  input: UpdateTemplateInput,
): Promise<Template> {
  authorize(caller, 'templates:manage');
  const data = parseInput(UpdateTemplateSchema, input);
  if (Object.values(data).every((v) => v === undefined)) {
    invalid('_', 'Nothing to change: send at least one of name, audience, kind, title, status, body');
  }
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(templates).where(eq(templates.id, id)).for('update');
    if (!before) throw new NotFoundError(`Template ${id} does not exist`);
    checkStatusFits(data.kind ?? before.kind, data.status === undefined ? before.status : data.status);
    const [row] = await tx
      .update(templates)
      .set({ ...data, updatedAt: new Date() })
      .where(eq(templates.id, id))
      .returning();
    await recordAudit(
      tx,
      caller,
      'template.update',
      { type: 'template', id },
      changes(templateAudit(before), templateAudit(row)),
    );
    return row;
  });
}

/** Deletes a template; updates written from it keep their text. */
export async function deleteTemplate(db: Db, caller: Caller, id: string): Promise<void> {
  authorize(caller, 'templates:manage');
  await db.transaction(async (tx) => {
    const [before] = await tx.delete(templates).where(eq(templates.id, id)).returning();
    if (!before) throw new NotFoundError(`Template ${id} does not exist`);
    await recordAudit(tx, caller, 'template.delete', { type: 'template', id }, { before: templateAudit(before) });
  });
}

/** The statuses an incident or a maintenance goes through. */
export function statusesOf(kind: IncidentKind): readonly AnyIncidentStatus[] {
  return kind === 'maintenance' ? MAINTENANCE_STATUSES : INCIDENT_STATUSES;
}

/** "an incident", "a maintenance". */
export function aKind(kind: IncidentKind): string {
  return kind === 'incident' ? 'an incident' : 'a maintenance';
}

function checkStatusFits(kind: IncidentKind, status: AnyIncidentStatus | null | undefined): void {
  if (status && !statusesOf(kind).includes(status)) {
    invalid('status', `The status of a template for ${aKind(kind)} is one of: ${statusesOf(kind).join(', ')}`);
  }
}

function templateAudit(t: Template): Record<string, unknown> {
  return { name: t.name, audience: t.audience, kind: t.kind, title: t.title, status: t.status, body: t.body };
}
