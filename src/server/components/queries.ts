/** Staff reads of components and groups: everything, internal ones included, in page order. */
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { componentGroups, components } from '../../db/schema/index.ts';
import type { Component, ComponentGroup } from './service.ts';

/** Every component, in page order. */
export function listComponents(db: Db): Promise<Component[]> {
  return db.select().from(components).orderBy(asc(components.position), asc(components.name), asc(components.id));
}

/** One component, or null. */
export async function getComponent(db: Db, id: string): Promise<Component | null> {
  const [row] = await db.select().from(components).where(eq(components.id, id));
  return row ?? null;
}

export type GroupWithComponents = ComponentGroup & { componentIds: string[] };

/** Every group with the ids of its components, in page order. Two queries. */
export async function listGroups(db: Db): Promise<GroupWithComponents[]> {
  const groups = await db
    .select()
    .from(componentGroups)
    .orderBy(asc(componentGroups.position), asc(componentGroups.name), asc(componentGroups.id));
  const children = await listComponents(db);
  return groups.map((g) => ({ ...g, componentIds: children.filter((c) => c.groupId === g.id).map((c) => c.id) }));
}

/** One group with its components' ids, or null. */
export async function getGroup(db: Db, id: string): Promise<GroupWithComponents | null> {
  const [group] = await db.select().from(componentGroups).where(eq(componentGroups.id, id));
  if (!group) return null;
  const children = await db
    .select({ id: components.id })
    .from(components)
    .where(eq(components.groupId, id))
    .orderBy(asc(components.position), asc(components.name));
  return { ...group, componentIds: children.map((c) => c.id) };
}
