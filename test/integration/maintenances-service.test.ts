import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { components, incidentComponents, incidents } from '../../src/db/schema/index.ts';
import { ForbiddenError } from '../../src/server/auth/permissions.ts';
import { createComponent } from '../../src/server/components/service.ts';
import { NotFoundError, ValidationError } from '../../src/server/errors.ts';
import { postUpdate, resolveIncident } from '../../src/server/incidents/service.ts';
import { createMaintenance, updateMaintenance } from '../../src/server/maintenances/service.ts';
import { loadStatusPage } from '../../src/server/status-page/queries.ts';
import { DEFAULT_TEMPLATE_IDS } from '../../src/server/templates/defaults.ts';
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

const HOUR = 3_600_000;
const inHours = (h: number) => new Date(Date.now() + h * HOUR).toISOString();

describe('maintenance services', () => {
  it('comms schedules a maintenance with an ISO window; viewers and responders cannot', async () => {
    const db1 = await createComponent(db(), system, { name: 'Database' });
    const input = {
      name: 'Database upgrade',
      body: 'We will upgrade the database.',
      scheduledFor: inHours(48),
      scheduledUntil: inHours(50),
      components: [db1.id],
      autoStart: true,
      autoComplete: true,
    };
    for (const caller of [viewer, responder]) {
      await expect(createMaintenance(db(), caller, input)).rejects.toBeInstanceOf(ForbiddenError);
    }
    const { incident, update } = await createMaintenance(db(), comms, input);
    expect(incident).toMatchObject({
      kind: 'maintenance',
      status: 'scheduled',
      severity: null,
      autoStart: true,
      autoComplete: true,
      visibility: 'public',
    });
    expect(incident.scheduledFor?.toISOString()).toBe(input.scheduledFor);
    expect(update).toMatchObject({ audience: 'public', notify: true, status: 'scheduled' });
    // Covering a component does not change its status before the window.
    const [row] = await db().select().from(components).where(eq(components.id, db1.id));
    expect(row.status).toBe('operational');
    const page = await loadStatusPage(db(), { audience: 'public', now: new Date() });
    expect(page.upcomingMaintenances.map((m) => m.id)).toEqual([incident.id]);
  });

  it('refuses a window that ends before it starts, dates without a zone, and unknown components', async () => {
    const c = await createComponent(db(), system, { name: 'X' });
    const base = { name: 'M', body: 'b', components: [c.id] };
    expect(
      await fieldsOf(createMaintenance(db(), comms, { ...base, scheduledFor: inHours(5), scheduledUntil: inHours(4) })),
    ).toEqual({ scheduled_until: expect.stringContaining('must end after it starts') });
    expect(
      await fieldsOf(
        createMaintenance(db(), comms, { ...base, scheduledFor: '2026-03-01 02:00', scheduledUntil: 'tomorrow' }),
      ),
    ).toEqual({
      scheduled_for: expect.stringContaining('ISO 8601'),
      scheduled_until: expect.stringContaining('ISO 8601'),
    });
    expect(
      await fieldsOf(
        createMaintenance(db(), comms, {
          ...base,
          components: ['nosuch'],
          scheduledFor: inHours(1),
          scheduledUntil: inHours(2),
        }),
      ),
    ).toEqual({ components: 'No such component: nosuch' });
    expect(
      await fieldsOf(
        createMaintenance(db(), comms, {
          ...base,
          components: [],
          scheduledFor: inHours(1),
          scheduledUntil: inHours(2),
        }),
      ),
    ).toEqual({ components: 'Choose the components this maintenance affects' });
  });

  it('edits the window and the components; notify turns every maintenance email off or on', async () => {
    const [a, b] = [
      await createComponent(db(), system, { name: 'A' }),
      await createComponent(db(), system, { name: 'B' }),
    ];
    const { incident } = await createMaintenance(db(), comms, {
      name: 'Move',
      body: 'Moving racks',
      scheduledFor: inHours(10),
      scheduledUntil: inHours(11),
      components: [a.id],
      notify: false,
    });
    expect(incident).toMatchObject({ notifyScheduled: false, notifyReminder: false, notifyCompleted: false });
    await expect(updateMaintenance(db(), responder, incident.id, { name: 'x' })).rejects.toBeInstanceOf(ForbiddenError);
    expect(await fieldsOf(updateMaintenance(db(), comms, incident.id, { scheduledUntil: inHours(9) }))).toHaveProperty(
      'scheduled_until',
    );
    const until = inHours(12);
    const row = await updateMaintenance(db(), comms, incident.id, {
      scheduledUntil: until,
      components: [a.id, b.id],
      notify: true,
    });
    expect(row.scheduledUntil?.toISOString()).toBe(until);
    expect(row.notifyReminder).toBe(true);
    const links = await db().select().from(incidentComponents).where(eq(incidentComponents.incidentId, incident.id));
    expect(links.map((l) => l.componentId).sort()).toEqual([a.id, b.id].sort());
    await expect(updateMaintenance(db(), comms, 'nosuch', { name: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('goes through its statuses with updates, and completing it restores the components', async () => {
    const c = await createComponent(db(), system, { name: 'Storage' });
    const { incident } = await createMaintenance(db(), admin, {
      templateId: DEFAULT_TEMPLATE_IDS.maintenanceScheduled.external,
      scheduledFor: inHours(-1),
      scheduledUntil: inHours(1),
      components: [c.id],
    });
    expect(incident.name).toBe('Scheduled maintenance of Storage');
    await postUpdate(db(), comms, incident.id, {
      status: 'in_progress',
      body: 'Started',
      components: { [c.id]: 'under_maintenance' },
    });
    const { incident: done, update } = await resolveIncident(db(), comms, incident.id, {});
    expect(done.status).toBe('completed');
    expect(update.body).toBe('The scheduled maintenance of Storage has been completed. Thank you for your patience.');
    const [row] = await db().select().from(components).where(eq(components.id, c.id));
    expect(row.status).toBe('operational');
    const [stored] = await db().select().from(incidents).where(eq(incidents.id, incident.id));
    expect(stored.resolvedAt).not.toBeNull();
  });
});
