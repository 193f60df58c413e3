/**
 * Writes to incidents and maintenances. Each verb runs in one transaction: the update (the
 * event log), the incident's denormalised status and the component statuses change together.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { incidentComponents, incidents, incidentUpdateComponents, incidentUpdates } from '../../db/schema/index.ts';
import type {
  AnyIncidentStatus,
  Audience,
  ComponentStatus,
  IncidentKind,
  IncidentSource,
  Severity,
  Visibility,
} from '../../domain/enums.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { setComponentStatus } from '../components/service.ts';
import { NotFoundError } from '../errors.ts';
import { newId } from '../ids.ts';

export type ComponentChanges = Record<string, ComponentStatus>;

export type CreateIncidentInput = {
  kind?: IncidentKind;
  name: string;
  status: AnyIncidentStatus;
  severity?: Severity | null;
  visibility?: Visibility;
  source?: IncidentSource;
  /** The first update's text. */
  body: string;
  audience?: Audience;
  notify?: boolean;
  /** Components to link, with the status to set on each. */
  components?: ComponentChanges;
  /** Components a maintenance covers, without changing their status now. */
  componentIds?: string[];
  startedAt?: Date;
  scheduledFor?: Date | null;
  scheduledUntil?: Date | null;
  autoStart?: boolean;
  autoComplete?: boolean;
  templateId?: string | null;
};

/** Opens an incident (or schedules a maintenance) with its first update. */
export async function createIncident(db: Db, actor: Actor, input: CreateIncidentInput) {
  const id = newId();
  const at = input.startedAt ?? new Date();
  return db.transaction(async (tx) => {
    const [incident] = await tx
      .insert(incidents)
      .values({
        id,
        kind: input.kind ?? 'incident',
        name: input.name,
        status: input.status,
        severity: input.kind === 'maintenance' ? null : (input.severity ?? 3),
        visibility: input.visibility ?? 'public',
        source: input.source ?? 'manual',
        startedAt: at,
        scheduledFor: input.scheduledFor ?? null,
        scheduledUntil: input.scheduledUntil ?? null,
        autoStart: input.autoStart ?? false,
        autoComplete: input.autoComplete ?? false,
        createdBy: actor.type === 'user' ? (actor.id ?? null) : null,
        createdAt: at,
        updatedAt: at,
        ...statusTimes(input.status, at),
      })
      .returning();
    const linked = new Set([...(input.componentIds ?? []), ...Object.keys(input.components ?? {})]);
    if (linked.size) {
      await tx.insert(incidentComponents).values([...linked].map((componentId) => ({ incidentId: id, componentId })));
    }
    const update = await insertUpdate(tx, actor, incident.id, { ...input, at });
    await recordAudit(
      tx,
      actor,
      `${incident.kind}.create`,
      { type: 'incident', id },
      { name: input.name, status: input.status },
    );
    return { incident, update };
  });
}

export type PostUpdateInput = {
  status: AnyIncidentStatus;
  body: string;
  audience?: Audience;
  notify?: boolean;
  components?: ComponentChanges;
  at?: Date;
  templateId?: string | null;
};

/** Adds an update to an incident's timeline and moves the incident and its components along. */
export async function postUpdate(db: Db, actor: Actor, incidentId: string, input: PostUpdateInput) {
  return db.transaction(async (tx) => {
    const at = input.at ?? new Date();
    const [incident] = await tx.select().from(incidents).where(eq(incidents.id, incidentId)).for('update');
    if (!incident) throw new NotFoundError(`Incident ${incidentId} does not exist`);
    const newComponents = Object.keys(input.components ?? {});
    if (newComponents.length) {
      await tx
        .insert(incidentComponents)
        .values(newComponents.map((componentId) => ({ incidentId, componentId })))
        .onConflictDoNothing();
    }
    const update = await insertUpdate(tx, actor, incidentId, { ...input, at });
    await tx
      .update(incidents)
      .set({ status: input.status, updatedAt: at, ...statusTimes(input.status, at, incident) })
      .where(eq(incidents.id, incidentId));
    await recordAudit(
      tx,
      actor,
      'incident.update',
      { type: 'incident', id: incidentId },
      { updateId: update.id, status: input.status },
    );
    return update;
  });
}

async function insertUpdate(tx: Db, actor: Actor, incidentId: string, input: PostUpdateInput & { at: Date }) {
  const [update] = await tx
    .insert(incidentUpdates)
    .values({
      id: newId(),
      incidentId,
      status: input.status,
      body: input.body,
      audience: input.audience ?? 'public',
      notify: input.notify ?? true,
      authorId: actor.type === 'user' ? (actor.id ?? null) : null,
      authorName: actor.name ?? null,
      templateId: input.templateId ?? null,
      displayAt: input.at,
      createdAt: input.at,
      updatedAt: input.at,
    })
    .returning();
  const changes = [];
  for (const [componentId, status] of Object.entries(input.components ?? {})) {
    const oldStatus = await setComponentStatus(tx, componentId, status, { at: input.at, incidentId });
    changes.push({ updateId: update.id, componentId, oldStatus, newStatus: status });
  }
  if (changes.length) await tx.insert(incidentUpdateComponents).values(changes);
  return update;
}

/** The lifecycle timestamps a status sets, keeping the first time each was reached. */
function statusTimes(status: AnyIncidentStatus, at: Date, current?: typeof incidents.$inferSelect) {
  const times: Partial<Pick<typeof incidents.$inferInsert, 'identifiedAt' | 'monitoringAt' | 'resolvedAt'>> = {};
  if (status === 'identified' && !current?.identifiedAt) times.identifiedAt = at;
  if (status === 'monitoring' && !current?.monitoringAt) times.monitoringAt = at;
  if ((status === 'resolved' || status === 'completed') && !current?.resolvedAt) times.resolvedAt = at;
  if (status === 'postmortem' && !current?.resolvedAt) times.resolvedAt = at;
  return times;
}
