import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, components, componentStatusChanges, outbox } from '../../src/db/schema/index.ts';
import { ForbiddenError } from '../../src/server/auth/permissions.ts';
import { getGroup, listComponents } from '../../src/server/components/queries.ts';
import {
  createComponent,
  createGroup,
  deleteComponent,
  deleteGroup,
  updateComponent,
  updateGroup,
} from '../../src/server/components/service.ts';
import { NotFoundError, ValidationError } from '../../src/server/errors.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { admin, comms, responder, system, viewer } from '../helpers/principals.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());
const db = () => t.handle.db;

async function fieldsOf(promise: Promise<unknown>): Promise<Record<string, string>> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).fields;
}

describe('component and group services', () => {
  it('only admin creates, edits and deletes components and groups', async () => {
    for (const caller of [viewer, responder, comms]) {
      await expect(createGroup(db(), caller, { name: 'G' })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(createComponent(db(), caller, { name: 'C' })).rejects.toBeInstanceOf(ForbiddenError);
    }
    const group = await createGroup(db(), admin, { name: 'Platform', position: 2 });
    const c = await createComponent(db(), admin, { name: 'API', groupId: group.id, description: 'The API' });
    expect(c).toMatchObject({ name: 'API', groupId: group.id, status: 'operational', visibility: 'public' });
    for (const caller of [viewer, responder, comms]) {
      await expect(updateComponent(db(), caller, c.id, { name: 'Renamed' })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(updateGroup(db(), caller, group.id, { position: 1 })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(deleteComponent(db(), caller, c.id)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(deleteGroup(db(), caller, group.id)).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect((await updateComponent(db(), admin, c.id, { name: 'REST API', position: 3 })).name).toBe('REST API');
    expect((await getGroup(db(), group.id))!.componentIds).toEqual([c.id]);
  });

  it('a status change by hand needs only component:status, and is recorded in the history', async () => {
    const c = await createComponent(db(), system, { name: 'Webhooks' });
    await expect(updateComponent(db(), viewer, c.id, { status: 'major_outage' })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    // Status plus anything else is an edit: admin only.
    await expect(
      updateComponent(db(), responder, c.id, { status: 'major_outage', name: 'Hooks' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const row = await updateComponent(db(), responder, c.id, { status: 'partial_outage' });
    expect(row.status).toBe('partial_outage');
    const history = await db()
      .select()
      .from(componentStatusChanges)
      .where(eq(componentStatusChanges.componentId, c.id))
      .orderBy(componentStatusChanges.id);
    expect(history.map((h) => [h.previousStatus, h.status])).toEqual([
      [null, 'operational'],
      ['operational', 'partial_outage'],
    ]);
    const [audit] = await db().select().from(auditLog).where(eq(auditLog.action, 'component.status'));
    expect(audit.detail).toEqual({ before: { status: 'operational' }, after: { status: 'partial_outage' } });
    expect(audit.actorName).toBe('responder token');
  });

  it('names the bad fields with the API names', async () => {
    expect(await fieldsOf(createComponent(db(), admin, { name: '  ', status: 'broken' as never }))).toEqual({
      name: 'Give the component a name',
      status: expect.stringContaining('operational'),
    });
    expect(await fieldsOf(createComponent(db(), admin, { name: 'X', groupId: 'nosuchgroup' }))).toEqual({
      group_id: 'There is no component group nosuchgroup',
    });
    expect(await fieldsOf(createComponent(db(), admin, { name: 'X', onlyShowIfDegraded: 'yes' as never }))).toEqual({
      only_show_if_degraded: 'Must be true or false',
    });
    expect(await fieldsOf(updateGroup(db(), admin, 'whatever', {}))).toHaveProperty('_');
  });

  it('writes nothing when it fails', async () => {
    const before = (await listComponents(db())).length;
    await expect(createComponent(db(), admin, { name: 'X', groupId: 'nosuchgroup' })).rejects.toThrow();
    expect(await listComponents(db())).toHaveLength(before);
  });

  it('answers NotFoundError for an unknown id', async () => {
    await expect(updateComponent(db(), admin, 'nope', { name: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteGroup(db(), admin, 'nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('deleting a group keeps its components; audit keeps before and after; the outbox is told', async () => {
    const group = await createGroup(db(), admin, { name: 'Temp' });
    const c = await createComponent(db(), admin, { name: 'Child', groupId: group.id });
    const queued = (await db().select().from(outbox)).length;
    await deleteGroup(db(), admin, group.id);
    const [row] = await db().select().from(components).where(eq(components.id, c.id));
    expect(row.groupId).toBeNull();
    const [entry] = await db().select().from(auditLog).where(eq(auditLog.entityId, group.id)).orderBy(auditLog.id);
    expect(entry.detail).toMatchObject({ after: { name: 'Temp' } });
    const after = await db().select().from(outbox);
    expect(after.slice(queued).map((o) => o.topic)).toEqual(['snapshot.invalidate']);
    await deleteComponent(db(), admin, c.id);
    expect(await db().select().from(components).where(eq(components.id, c.id))).toEqual([]);
  });

  it('an internal component changes no public surface: no snapshot invalidation', async () => {
    const queued = (await db().select().from(outbox)).length;
    const c = await createComponent(db(), admin, { name: 'Queue', visibility: 'internal' });
    await updateComponent(db(), responder, c.id, { status: 'major_outage' });
    expect(await db().select().from(outbox)).toHaveLength(queued);
  });
});
