/**
 * Writes to components and component groups. Creating, editing, reordering (`position`) and
 * deleting need 'components:manage' (admin); changing only a component's status needs
 * 'component:status' (responder), and records the change in its status history.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { componentGroups, components, componentStatusChanges } from '../../db/schema/index.ts';
import type { ComponentStatus } from '../../domain/enums.ts';
import { recordAudit } from '../audit/service.ts';
import { NotFoundError } from '../errors.ts';
import { newId } from '../ids.ts';
import { enqueue } from '../outbox/service.ts';
import { authorize, changes, invalid, parseInput, type Caller } from '../services.ts';
import {
  CreateComponentSchema,
  CreateGroupSchema,
  UpdateComponentSchema,
  UpdateGroupSchema,
  type CreateComponentInput,
  type CreateGroupInput,
  type UpdateComponentInput,
  type UpdateGroupInput,
} from './schemas.ts';

export type { CreateComponentInput, CreateGroupInput, UpdateComponentInput, UpdateGroupInput };

export type ComponentGroup = typeof componentGroups.$inferSelect;
export type Component = typeof components.$inferSelect;

/** Creates a component group. */
export async function createGroup(db: Db, caller: Caller, input: CreateGroupInput): Promise<ComponentGroup> {
  authorize(caller, 'components:manage');
  const data = parseInput(CreateGroupSchema, input);
  const id = newId();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(componentGroups)
      .values({
        id,
        name: data.name,
        description: data.description ?? null,
        position: data.position ?? 0,
        visibility: data.visibility ?? 'public',
        collapsed: data.collapsed ?? false,
      })
      .returning();
    await recordAudit(
      tx,
      caller,
      'component_group.create',
      { type: 'component_group', id },
      { after: groupAudit(row) },
    );
    // An empty group is not shown, but a public one changes the page as soon as it has a child.
    if (row.visibility === 'public') await enqueue(tx, 'snapshot.invalidate', {});
    return row;
  });
}

/** Edits a group (name, description, position, visibility, folded by default). */
export async function updateGroup(
  db: Db,
  caller: Caller,
  id: string,
  input: UpdateGroupInput,
): Promise<ComponentGroup> {
  authorize(caller, 'components:manage');
  const data = parseInput(UpdateGroupSchema, input);
  if (Object.values(data).every((v) => v === undefined)) {
    invalid('_', 'Nothing to change: send at least one of name, description, position, visibility, collapsed');
  }
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(componentGroups).where(eq(componentGroups.id, id)).for('update');
    if (!before) throw new NotFoundError(`Component group ${id} does not exist`);
    const [row] = await tx
      .update(componentGroups)
      .set({ ...data, updatedAt: new Date() })
      .where(eq(componentGroups.id, id))
      .returning();
    await recordAudit(
      tx,
      caller,
      'component_group.update',
      { type: 'component_group', id },
      changes(groupAudit(before), groupAudit(row)),
    );
    if (before.visibility === 'public' || row.visibility === 'public') await enqueue(tx, 'snapshot.invalidate', {});
    return row;
  });
}

/** Deletes a group; its components stay, outside any group. */
export async function deleteGroup(db: Db, caller: Caller, id: string): Promise<void> {
  authorize(caller, 'components:manage');
  await db.transaction(async (tx) => {
    const [before] = await tx.delete(componentGroups).where(eq(componentGroups.id, id)).returning();
    if (!before) throw new NotFoundError(`Component group ${id} does not exist`);
    await recordAudit(
      tx,
      caller,
      'component_group.delete',
      { type: 'component_group', id },
      { before: groupAudit(before) },
    );
    if (before.visibility === 'public') await enqueue(tx, 'snapshot.invalidate', {});
  });
}

/** Creates a component and opens its status history. */
export async function createComponent(db: Db, caller: Caller, input: CreateComponentInput): Promise<Component> {
  authorize(caller, 'components:manage');
  const data = parseInput(CreateComponentSchema, input);
  const id = newId();
  const at = data.createdAt ?? new Date();
  const status = data.status ?? 'operational';
  return db.transaction(async (tx) => {
    if (data.groupId) await requireGroup(tx, data.groupId);
    const [row] = await tx
      .insert(components)
      .values({
        id,
        name: data.name,
        description: data.description ?? null,
        groupId: data.groupId ?? null,
        position: data.position ?? 0,
        visibility: data.visibility ?? 'public',
        status,
        showcase: data.showcase ?? true,
        onlyShowIfDegraded: data.onlyShowIfDegraded ?? false,
        startDate: data.startDate ?? null,
        createdAt: at,
        updatedAt: at,
      })
      .returning();
    await tx.insert(componentStatusChanges).values({ componentId: id, status, previousStatus: null, at });
    await recordAudit(tx, caller, 'component.create', { type: 'component', id }, { after: componentAudit(row) });
    if (row.visibility === 'public') await enqueue(tx, 'snapshot.invalidate', {});
    return row;
  });
}

/**
 * Edits a component. With only `status`, it is a status change by hand and needs
 * 'component:status'; any other field needs 'components:manage'.
 */
export async function updateComponent(
  db: Db,
  caller: Caller,
  id: string,
  input: UpdateComponentInput,
): Promise<Component> {
  authorize(caller, 'component:status');
  const data = parseInput(UpdateComponentSchema, input);
  const { status, ...rest } = data;
  const editsMore = Object.values(rest).some((v) => v !== undefined);
  if (editsMore) authorize(caller, 'components:manage');
  if (!editsMore && status === undefined) {
    invalid('_', 'Nothing to change: send at least one field, for example status');
  }
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(components).where(eq(components.id, id)).for('update');
    if (!before) throw new NotFoundError(`Component ${id} does not exist`);
    if (rest.groupId) await requireGroup(tx, rest.groupId);
    const now = new Date();
    if (status !== undefined) await setComponentStatus(tx, id, status, { at: now });
    if (editsMore)
      await tx
        .update(components)
        .set({ ...rest, updatedAt: now })
        .where(eq(components.id, id));
    const [row] = await tx.select().from(components).where(eq(components.id, id));
    await recordAudit(
      tx,
      caller,
      editsMore ? 'component.update' : 'component.status',
      { type: 'component', id },
      changes(componentAudit(before), componentAudit(row)),
    );
    if (before.visibility === 'public' || row.visibility === 'public') await enqueue(tx, 'snapshot.invalidate', {});
    return row;
  });
}

/** Deletes a component, with its status history and its links to incidents. */
export async function deleteComponent(db: Db, caller: Caller, id: string): Promise<void> {
  authorize(caller, 'components:manage');
  await db.transaction(async (tx) => {
    const [before] = await tx.delete(components).where(eq(components.id, id)).returning();
    if (!before) throw new NotFoundError(`Component ${id} does not exist`);
    await recordAudit(tx, caller, 'component.delete', { type: 'component', id }, { before: componentAudit(before) });
    if (before.visibility === 'public') await enqueue(tx, 'snapshot.invalidate', {});
  });
}

/**
 * Sets a component's status and records the change in its history. Returns the old status.
 * A no-op (same status) writes nothing. Call it inside the caller's transaction: it checks
 * no permission.
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

async function requireGroup(tx: Db, groupId: string): Promise<void> {
  const [group] = await tx
    .select({ id: componentGroups.id })
    .from(componentGroups)
    .where(eq(componentGroups.id, groupId));
  if (!group) invalid('group_id', `There is no component group ${groupId}`);
}

function groupAudit(g: ComponentGroup): Record<string, unknown> {
  return {
    name: g.name,
    description: g.description,
    position: g.position,
    visibility: g.visibility,
    collapsed: g.collapsed,
  };
}

function componentAudit(c: Component): Record<string, unknown> {
  return {
    name: c.name,
    description: c.description,
    groupId: c.groupId,
    position: c.position,
    visibility: c.visibility,
    status: c.status,
    showcase: c.showcase,
    onlyShowIfDegraded: c.onlyShowIfDegraded,
    startDate: c.startDate,
  };
}
