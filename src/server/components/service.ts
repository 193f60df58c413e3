import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { componentGroups, components, componentStatusChanges } from '../../db/schema/index.ts';
import type { ComponentStatus, Visibility } from '../../domain/enums.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { NotFoundError } from '../errors.ts';
import { newId } from '../ids.ts';

export type CreateGroupInput = {
  name: string;
  description?: string | null;
  position?: number;
  visibility?: Visibility;
  collapsed?: boolean;
};

/** Creates a component group. */
export async function createGroup(db: Db, actor: Actor, input: CreateGroupInput) {
  const id = newId();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(componentGroups)
      .values({
        id,
        name: input.name,
        description: input.description ?? null,
        position: input.position ?? 0,
        visibility: input.visibility ?? 'public',
        collapsed: input.collapsed ?? false,
      })
      .returning();
    await recordAudit(tx, actor, 'component_group.create', { type: 'component_group', id }, { name: input.name });
    return row;
  });
}

export type CreateComponentInput = {
  name: string;
  description?: string | null;
  groupId?: string | null;
  position?: number;
  visibility?: Visibility;
  status?: ComponentStatus;
  showcase?: boolean;
  /** When it was created; the demo seed back-dates components to fill 90 days of history. */
  createdAt?: Date;
};

/** Creates a component and opens its status history. */
export async function createComponent(db: Db, actor: Actor, input: CreateComponentInput) {
  const id = newId();
  const at = input.createdAt ?? new Date();
  const status = input.status ?? 'operational';
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(components)
      .values({
        id,
        name: input.name,
        description: input.description ?? null,
        groupId: input.groupId ?? null,
        position: input.position ?? 0,
        visibility: input.visibility ?? 'public',
        status,
        showcase: input.showcase ?? true,
        createdAt: at,
        updatedAt: at,
      })
      .returning();
    await tx.insert(componentStatusChanges).values({ componentId: id, status, previousStatus: null, at });
    await recordAudit(tx, actor, 'component.create', { type: 'component', id }, { name: input.name, status });
    return row;
  });
}

/**
 * Sets a component's status and records the change in its history. Returns the old status.
 * A no-op (same status) writes nothing. Call it inside the caller's transaction.
 */
export async function setComponentStatus(
  tx: Db,
  componentId: string,
  status: ComponentStatus,
  options: { at?: Date; incidentId?: string | null } = {},
): Promise<ComponentStatus> {
  const at = options.at ?? new Date();
  const [current] = await tx
    .select({ status: components.status })
    .from(components)
    .where(eq(components.id, componentId))
    .for('update');
  if (!current) throw new NotFoundError(`Component ${componentId} does not exist`);
  if (current.status === status) return status;
  await tx.update(components).set({ status, updatedAt: at }).where(eq(components.id, componentId));
  await tx.insert(componentStatusChanges).values({
    componentId,
    status,
    previousStatus: current.status,
    at,
    incidentId: options.incidentId ?? null,
  });
  return current.status;
}
