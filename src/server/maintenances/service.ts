/**
 * Scheduled maintenances: incidents of `kind: 'maintenance'`, with a window and the
 * components they cover. Every write needs 'maintenance:manage' (comms and admin). Their
 * updates (in progress, verifying, completed) go through postUpdate and resolveIncident.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { incidentComponents, incidents } from '../../db/schema/index.ts';
import { recordAudit } from '../audit/service.ts';
import {
  componentNames,
  incidentAudit,
  lockIncident,
  openIncident,
  reportUnknown,
  type Incident,
  type IncidentUpdate,
} from '../incidents/service.ts';
import { withIdempotency } from '../incidents/idempotency.ts';
import { enqueue } from '../outbox/service.ts';
import { authorize, changes, invalid, parseInput, Problems, type Caller } from '../services.ts';
import {
  CreateMaintenanceSchema,
  UpdateMaintenanceSchema,
  type CreateMaintenanceInput,
  type UpdateMaintenanceInput,
} from './schemas.ts';
import { remindsAgain } from './scheduler.ts';

export type { CreateMaintenanceInput, UpdateMaintenanceInput };

/** Schedules a maintenance with its announcement as the first update. */
export async function createMaintenance(
  db: Db,
  caller: Caller,
  input: CreateMaintenanceInput,
): Promise<{ incident: Incident; update: IncidentUpdate }> {
  authorize(caller, 'maintenance:manage');
  const data = parseInput(CreateMaintenanceSchema, input);
  checkWindow(data.scheduledFor, data.scheduledUntil);
  const { components: componentIds, notify, ...rest } = data;
  return withIdempotency(
    db,
    caller,
    'maintenance.create',
    data.idempotencyKey,
    async (first) => {
      const [incident] = await db.select().from(incidents).where(eq(incidents.id, first.incidentId));
      return { incident, update: first };
    },
    (stored) =>
      db.transaction((tx) =>
        openIncident(
          tx,
          caller,
          {
            ...rest,
            kind: 'maintenance',
            status: data.status ?? 'scheduled',
            componentIds,
            notify,
            notifyScheduled: data.notifyScheduled ?? notify,
            notifyReminder: data.notifyReminder ?? notify,
            notifyStarted: data.notifyStarted ?? notify,
            notifyCompleted: data.notifyCompleted ?? notify,
          },
          { idempotencyKey: stored, linkField: 'components' },
        ),
      ),
  );
}

/** Edits a maintenance: name, window, components, visibility, automation and email flags. */
export async function updateMaintenance(
  db: Db,
  caller: Caller,
  id: string,
  input: UpdateMaintenanceInput,
): Promise<Incident> {
  authorize(caller, 'maintenance:manage');
  const data = parseInput(UpdateMaintenanceSchema, input);
  const { status: _, components: componentIds, notify, ...rest } = data;
  const fields = {
    ...rest,
    notifyScheduled: data.notifyScheduled ?? notify,
    notifyReminder: data.notifyReminder ?? notify,
    notifyStarted: data.notifyStarted ?? notify,
    notifyCompleted: data.notifyCompleted ?? notify,
  };
  if (componentIds === undefined && Object.values(fields).every((v) => v === undefined)) {
    invalid('_', 'Nothing to change: send at least one field');
  }
  return db.transaction(async (tx) => {
    const before = await lockIncident(tx, id, 'maintenance');
    checkWindow(fields.scheduledFor ?? before.scheduledFor, fields.scheduledUntil ?? before.scheduledUntil);
    const problems = new Problems();
    if (componentIds) reportUnknown(problems, 'components', componentIds, await componentNames(tx, componentIds));
    problems.throwIfAny();
    // Moved to start more than an hour from now: its reminder goes out again before the new
    // start (the scheduler keys reminders by start time, so nobody is blocked by the old one).
    const start = fields.scheduledFor;
    const moved = start !== undefined && start.getTime() !== before.scheduledFor?.getTime();
    const reminder = moved && remindsAgain(start) ? { reminderSentAt: null } : {};
    const [row] = await tx
      .update(incidents)
      .set({ ...fields, ...reminder, updatedAt: new Date() })
      .where(eq(incidents.id, id))
      .returning();
    let linked: { before: string[]; after: string[] } | undefined;
    if (componentIds) {
      const current = await tx
        .select({ id: incidentComponents.componentId })
        .from(incidentComponents)
        .where(eq(incidentComponents.incidentId, id));
      await tx.delete(incidentComponents).where(eq(incidentComponents.incidentId, id));
      const unique = [...new Set(componentIds)];
      await tx.insert(incidentComponents).values(unique.map((componentId) => ({ incidentId: id, componentId })));
      linked = { before: current.map((c) => c.id).sort(), after: unique.sort() };
    }
    const diff = changes(incidentAudit(before), incidentAudit(row));
    if (linked) {
      diff.before.components = linked.before;
      diff.after.components = linked.after;
    }
    await recordAudit(tx, caller, 'maintenance.edit', { type: 'incident', id }, diff);
    if (before.visibility === 'public' || row.visibility === 'public') await enqueue(tx, 'snapshot.invalidate', {});
    return row;
  });
}

function checkWindow(from: Date | null | undefined, until: Date | null | undefined): void {
  if (from && until && from.getTime() >= until.getTime()) {
    invalid('scheduled_until', 'The window must end after it starts: scheduled_until comes after scheduled_for');
  }
}
