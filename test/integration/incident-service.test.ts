import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, components, componentStatusChanges, incidents, incidentUpdates } from '../../src/db/schema/index.ts';
import { createComponent } from '../../src/server/components/service.ts';
import { NotFoundError } from '../../src/server/errors.ts';
import { createIncident, postUpdate } from '../../src/server/incidents/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

const actor = { type: 'system' as const, name: 'test' };
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('incident service', () => {
  it('keeps the incident status, component statuses and history in step with its updates', async () => {
    const db = t.handle.db;
    const c = await createComponent(db, actor, { name: 'API', createdAt: new Date('2026-01-01T00:00:00Z') });
    const start = new Date('2026-02-01T10:00:00Z');
    const { incident, update } = await createIncident(db, actor, {
      name: 'API down',
      status: 'investigating',
      severity: 1,
      body: 'Investigating',
      components: { [c.id]: 'major_outage' },
      startedAt: start,
    });
    expect(incident.status).toBe('investigating');
    expect(update.incidentId).toBe(incident.id);

    const fixedAt = new Date('2026-02-01T11:30:00Z');
    await postUpdate(db, actor, incident.id, {
      status: 'resolved',
      body: 'Fixed',
      components: { [c.id]: 'operational' },
      at: fixedAt,
    });

    const [row] = await db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row.status).toBe('resolved');
    expect(row.resolvedAt?.toISOString()).toBe(fixedAt.toISOString());
    const [comp] = await db.select().from(components).where(eq(components.id, c.id));
    expect(comp.status).toBe('operational');

    const history = await db
      .select()
      .from(componentStatusChanges)
      .where(eq(componentStatusChanges.componentId, c.id))
      .orderBy(componentStatusChanges.at);
    expect(history.map((h) => [h.status, h.previousStatus, h.at.toISOString()])).toEqual([
      ['operational', null, '2026-01-01T00:00:00.000Z'],
      ['major_outage', 'operational', start.toISOString()],
      ['operational', 'major_outage', fixedAt.toISOString()],
    ]);
    const updates = await db.select().from(incidentUpdates).where(eq(incidentUpdates.incidentId, incident.id));
    expect(updates).toHaveLength(2);
    const audit = await db.select().from(auditLog).where(eq(auditLog.entityId, incident.id));
    expect(audit.map((a) => a.action).sort()).toEqual(['incident.create', 'incident.update']);
  });

  it('writes nothing when an update names an unknown component', async () => {
    const db = t.handle.db;
    const { incident } = await createIncident(db, actor, {
      name: 'X',
      status: 'investigating',
      severity: 3,
      body: 'x',
    });
    await expect(
      postUpdate(db, actor, incident.id, { status: 'identified', body: 'y', components: { nope: 'major_outage' } }),
    ).rejects.toThrow();
    const updates = await db.select().from(incidentUpdates).where(eq(incidentUpdates.incidentId, incident.id));
    expect(updates).toHaveLength(1);
    const [row] = await db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row.status).toBe('investigating');
  });

  it('rejects an update to an incident that does not exist', async () => {
    await expect(postUpdate(t.handle.db, actor, 'missing', { status: 'resolved', body: 'x' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('rejects a severity outside 1-3 at the database level', async () => {
    await expect(
      t.handle.db.insert(incidents).values({ id: 'badsev', name: 'x', status: 'investigating', severity: 4 as 1 }),
    ).rejects.toThrow();
  });

  // Found by faults-db-cut.test.ts: linking a component (a key-share lock through the foreign
  // key) before locking it for its status change let two writes on one component deadlock.
  it('never deadlocks when writes on the same components run at once', async () => {
    const db = t.handle.db;
    const a = await createComponent(db, actor, { name: 'Lock A' });
    const b = await createComponent(db, actor, { name: 'Lock B' });
    const open = (i: number) =>
      createIncident(db, actor, {
        name: `Concurrent ${i}`,
        status: 'investigating',
        severity: 2,
        body: 'At once.',
        // Half name the components in one order, half in the other.
        components:
          i % 2
            ? { [a.id]: 'major_outage', [b.id]: 'partial_outage' }
            : { [b.id]: 'major_outage', [a.id]: 'degraded_performance' },
      });
    for (let round = 0; round < 5; round++) {
      const opened = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => open(round * 8 + i)));
      expect(
        opened.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
      ).toEqual([]);
      const updated = await Promise.allSettled(
        opened.map((r, i) =>
          postUpdate(db, actor, (r as PromiseFulfilledResult<Awaited<ReturnType<typeof open>>>).value.incident.id, {
            status: 'identified',
            body: 'Found it.',
            components:
              i % 2
                ? { [b.id]: 'major_outage', [a.id]: 'major_outage' }
                : { [a.id]: 'partial_outage', [b.id]: 'partial_outage' },
          }),
        ),
      );
      expect(
        updated.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
      ).toEqual([]);
    }
  });
});
