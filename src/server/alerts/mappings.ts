/**
 * Alert mappings (README "Monitoring webhooks"): an alert label (name = value) names a
 * component and the status it takes while an alert carrying that label fires. Anyone on
 * staff may read them ('internal:read'); only admins change them ('components:manage').
 */
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { alertMappings, components } from '../../db/schema/index.ts';
import type { ComponentStatus } from '../../domain/enums.ts';
import { recordAudit } from '../audit/service.ts';
import { componentStatusField } from '../components/schemas.ts';
import { NotFoundError } from '../errors.ts';
import { idField } from '../fields.ts';
import { authorize, invalid, parseInput, type Caller } from '../services.ts';

export type AlertMapping = typeof alertMappings.$inferSelect;
export type AlertMappingRow = AlertMapping & { componentName: string };

const labelText = (what: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `Give the label ${what}` : 'Must be text') })
    .trim()
    .min(1, `Give the label ${what}`)
    .max(max, `Keep it under ${max} characters`);

export const CreateAlertMappingSchema = z.object({
  labelName: labelText('name', 200),
  labelValue: labelText('value', 1_000),
  componentId: idField('component'),
  status: componentStatusField().optional(),
});
export type CreateAlertMappingInput = z.input<typeof CreateAlertMappingSchema>;

/** Every mapping with its component's name, by label. */
export async function listAlertMappings(db: Db, caller: Caller): Promise<AlertMappingRow[]> {
  authorize(caller, 'internal:read');
  return db
    .select({
      id: alertMappings.id,
      labelName: alertMappings.labelName,
      labelValue: alertMappings.labelValue,
      componentId: alertMappings.componentId,
      status: alertMappings.status,
      createdAt: alertMappings.createdAt,
      componentName: components.name,
    })
    .from(alertMappings)
    .innerJoin(components, eq(components.id, alertMappings.componentId))
    .orderBy(asc(alertMappings.labelName), asc(alertMappings.labelValue), asc(components.name));
}

/** Adds a mapping; the same label and component twice is refused. */
export async function createAlertMapping(
  db: Db,
  caller: Caller,
  input: CreateAlertMappingInput,
): Promise<AlertMapping> {
  authorize(caller, 'components:manage');
  const data = parseInput(CreateAlertMappingSchema, input);
  const status: ComponentStatus = data.status ?? 'major_outage';
  return db.transaction(async (tx) => {
    const [component] = await tx
      .select({ id: components.id })
      .from(components)
      .where(eq(components.id, data.componentId));
    if (!component) invalid('component_id', `There is no component ${data.componentId}`);
    const [same] = await tx
      .select({ id: alertMappings.id })
      .from(alertMappings)
      .where(
        and(
          eq(alertMappings.labelName, data.labelName),
          eq(alertMappings.labelValue, data.labelValue),
          eq(alertMappings.componentId, data.componentId),
        ),
      );
    if (same) invalid('label_value', `${data.labelName}=${data.labelValue} already maps to this component`);
    const [row] = await tx
      .insert(alertMappings)
      .values({ ...data, status })
      .returning();
    await recordAudit(
      tx,
      caller,
      'alert_mapping.create',
      { type: 'alert_mapping', id: String(row.id) },
      {
        after: { labelName: row.labelName, labelValue: row.labelValue, componentId: row.componentId, status },
      },
    );
    return row;
  });
}

/** Deletes a mapping; NotFoundError when there is none with this id. */
export async function deleteAlertMapping(db: Db, caller: Caller, id: number): Promise<void> {
  authorize(caller, 'components:manage');
  await db.transaction(async (tx) => {
    const [row] =
      Number.isInteger(id) && id > 0 && id <= 2_147_483_647
        ? await tx.delete(alertMappings).where(eq(alertMappings.id, id)).returning()
        : [];
    if (!row) throw new NotFoundError(`There is no alert mapping ${id}`);
    await recordAudit(
      tx,
      caller,
      'alert_mapping.delete',
      { type: 'alert_mapping', id: String(row.id) },
      {
        before: {
          labelName: row.labelName,
          labelValue: row.labelValue,
          componentId: row.componentId,
          status: row.status,
        },
      },
    );
  });
}
