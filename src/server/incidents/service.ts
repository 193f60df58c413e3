/**
 * Writes to incidents (and, through the same steps, maintenances). Each verb runs in one
 * transaction: the update (the event log), the incident's denormalised status, the
 * component statuses and their history, the audit entry and the outbox rows change together.
 *
 * Who may do what (README "Roles"):
 * - open an incident: 'incident:create'; a public one also 'incident:publish';
 * - internal updates and the process fields: 'incident:update';
 * - anything customers see (a public update, a public incident's name, severity, status or
 *   visibility): 'incident:publish'; emailing subscribers: 'subscribers:notify';
 * - moving components: 'component:status'; anything on a maintenance: 'maintenance:manage'.
 */
import { and, asc, eq, inArray, ne, or } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import {
  components,
  incidentComponents,
  incidents,
  incidentUpdateComponents,
  incidentUpdates,
  templates,
  users,
} from '../../db/schema/index.ts';
import type { AnyIncidentStatus, Audience, ComponentStatus, IncidentKind, Visibility } from '../../domain/enums.ts';
import type { FilledTemplate } from '../../domain/templates.ts';
import { recordAudit } from '../audit/service.ts';
import { setComponentStatus } from '../components/service.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { newId } from '../ids.ts';
import { enqueue } from '../outbox/service.ts';
import { authorize, changes, invalid, parseInput, Problems, type Caller } from '../services.ts';
import { getSettings } from '../settings/queries.ts';
import { CLOSED_STATUSES as CLOSED, UNRESOLVED_INCIDENT_STATUSES } from '../status-page/queries.ts';
import { DEFAULT_TEMPLATE_IDS } from '../templates/defaults.ts';
import { aKind, statusesOf } from '../templates/service.ts';
import { loadComponentIndex } from '../status-page/queries.ts';
import { fillTemplateText, templateValues } from '../templates/values.ts';
import { withIdempotency } from './idempotency.ts';
import {
  CreateIncidentSchema,
  PostUpdateSchema,
  PublishPostmortemSchema,
  ResolveIncidentSchema,
  SavePostmortemSchema,
  UpdateIncidentSchema,
  type CreateIncidentInput,
  type PostUpdateInput,
  type PublishPostmortemInput,
  type ResolveIncidentInput,
  type SavePostmortemInput,
  type UpdateIncidentInput,
} from './schemas.ts';
import { INCIDENT_ROLE_DEFINITIONS } from '../../domain/process.ts';

export type {
  CreateIncidentInput,
  PostUpdateInput,
  PublishPostmortemInput,
  ResolveIncidentInput,
  SavePostmortemInput,
  UpdateIncidentInput,
};
export type Incident = typeof incidents.$inferSelect;
export type IncidentUpdate = typeof incidentUpdates.$inferSelect;
export type ComponentChanges = Record<string, ComponentStatus>;

/** The statuses after which an incident or maintenance is over (the read model's list). */
export const CLOSED_STATUSES: readonly AnyIncidentStatus[] = CLOSED;

/** Opens an incident (or, with `kind: 'maintenance'`, schedules a maintenance) with its first update. */
export async function createIncident(
  db: Db,
  caller: Caller,
  input: CreateIncidentInput,
): Promise<{ incident: Incident; update: IncidentUpdate }> {
  const kind = (input as { kind?: unknown }).kind === 'maintenance' ? 'maintenance' : 'incident';
  authorize(caller, kind === 'maintenance' ? 'maintenance:manage' : 'incident:create');
  const data = parseInput(CreateIncidentSchema, input);
  return withIdempotency(
    db,
    caller,
    `${kind}.create`,
    data.idempotencyKey,
    (first) => replayCreate(db, first),
    (stored) => db.transaction((tx) => openIncident(tx, caller, { ...data, kind }, { idempotencyKey: stored })),
  );
}

/** Adds an update to an incident's timeline and moves the incident and its components along. */
export async function postUpdate(
  db: Db,
  caller: Caller,
  incidentId: string,
  input: PostUpdateInput,
): Promise<IncidentUpdate> {
  authorize(caller, 'incident:update');
  const data = parseInput(PostUpdateSchema, input);
  return withIdempotency(
    db,
    caller,
    'incident.update',
    data.idempotencyKey,
    async (first) => sameIncident(first, incidentId),
    (stored) =>
      db.transaction(async (tx) => {
        const incident = await lockIncident(tx, incidentId);
        return (await addUpdate(tx, caller, incident, data, stored)).update;
      }),
  );
}

/**
 * Resolves an incident (completes a maintenance): posts the closing update and sets every
 * affected component back to operational. `components` overrides that per component; a
 * component another open incident or running maintenance still affects is left as it is.
 * Without a body, the default "resolved" template for the audience writes it.
 *
 * With a `recap` (phase 7), the incident keeps it and the timeline gets it as an internal
 * update (never emailed, never public), in the same transaction. When the closing update is
 * internal and has no body of its own, the recap is the closing update.
 */
export async function resolveIncident(
  db: Db,
  caller: Caller,
  incidentId: string,
  input: ResolveIncidentInput,
): Promise<{ incident: Incident; update: IncidentUpdate }> {
  authorize(caller, 'incident:update');
  const data = parseInput(ResolveIncidentSchema, input);
  return withIdempotency(
    db,
    caller,
    'incident.update',
    data.idempotencyKey,
    async (first) => {
      const update = sameIncident(first, incidentId);
      return { incident: (await findIncident(db, incidentId))!, update };
    },
    (stored) =>
      db.transaction(async (tx) => {
        const incident = await lockIncident(tx, incidentId);
        if (CLOSED_STATUSES.includes(incident.status)) {
          throw new ConflictError(`This ${incident.kind} is already ${incident.status}.`);
        }
        const { recap, ...rest } = data;
        const status = incident.kind === 'maintenance' ? 'completed' : 'resolved';
        const audience = rest.audience ?? incident.visibility;
        const recapCloses = !!recap && audience === 'internal' && !rest.body && !rest.templateId;
        let templateId = rest.templateId;
        const body = recapCloses ? recap : rest.body;
        if (!body && !templateId) templateId = defaultClosingTemplate(incident.kind, audience);
        const closed = await addUpdate(tx, caller, incident, { ...rest, body, status, templateId }, stored);
        if (!recap) return closed;
        const [after] = await tx.update(incidents).set({ recap }).where(eq(incidents.id, incident.id)).returning();
        if (!recapCloses) {
          // A millisecond after the closing update, so the timeline shows them in that order.
          const at = new Date(closed.update.displayAt.getTime() + 1);
          const note = await insertUpdate(tx, caller, after, internalNote(after.status, recap, at));
          await afterUpdate(tx, after, note, false);
        }
        await recordAudit(
          tx,
          caller,
          'incident.recap',
          { type: 'incident', id: incident.id },
          changes({ recap: incident.recap }, { recap }),
        );
        return { incident: after, update: closed.update };
      }),
  );
}

/**
 * Edits an incident's name, severity, visibility and process fields (roles, links, impact
 * assessment, recap). The status changes only through updates.
 */
export async function updateIncident(
  db: Db,
  caller: Caller,
  incidentId: string,
  input: UpdateIncidentInput,
): Promise<Incident> {
  authorize(caller, 'incident:update');
  const data = parseInput(UpdateIncidentSchema, input);
  const { status: _, ...fields } = data;
  if (Object.values(fields).every((v) => v === undefined)) {
    invalid('_', 'Nothing to change: send at least one field');
  }
  return db.transaction(async (tx) => {
    const before = await lockIncident(tx, incidentId, 'incident');
    const problems = new Problems();
    await checkUsers(tx, fields, problems);
    problems.throwIfAny();
    const after = { ...before, ...definedOnly(fields) };
    const customersSee = before.visibility === 'public' || after.visibility === 'public';
    if (after.visibility !== before.visibility) authorize(caller, 'incident:publish');
    if (customersSee && (after.name !== before.name || after.severity !== before.severity)) {
      authorize(caller, 'incident:publish');
    }
    const [row] = await tx
      .update(incidents)
      .set({ ...fields, updatedAt: new Date() })
      .where(eq(incidents.id, incidentId))
      .returning();
    await recordAudit(
      tx,
      caller,
      'incident.edit',
      { type: 'incident', id: incidentId },
      changes(incidentAudit(before), incidentAudit(row)),
    );
    // Role changes go in the timeline too, as an internal note: staff only, never emailed.
    const roleNote = await describeRoleChanges(tx, before, row);
    if (roleNote) {
      const note = await insertUpdate(tx, caller, row, internalNote(row.status, roleNote, row.updatedAt));
      await afterUpdate(tx, row, note, false);
    }
    if (customersSee) await enqueue(tx, 'snapshot.invalidate', {});
    if (row.severity !== before.severity) {
      await enqueue(tx, 'incident.event', {
        event: 'incident.severity_changed',
        incidentId: incidentId,
        previousSeverity: before.severity,
        at: row.updatedAt.toISOString(),
      });
    }
    return row;
  });
}

/**
 * Attaches (or replaces, or with '' removes) the post-mortem draft of an incident (phase 7).
 * The draft is internal; publishing it is `publishPostmortem`. The incident must be over.
 */
export async function savePostmortem(
  db: Db,
  caller: Caller,
  incidentId: string,
  input: SavePostmortemInput,
): Promise<Incident> {
  authorize(caller, 'incident:update');
  const data = parseInput(SavePostmortemSchema, input);
  if (data.body === undefined) invalid('body', 'Write the post-mortem, or send an empty body to remove it');
  return db.transaction(async (tx) => {
    const before = await lockIncident(tx, incidentId, 'incident');
    requireClosed(before);
    const [row] = await tx
      .update(incidents)
      .set({ postmortem: data.body, updatedAt: new Date() })
      .where(eq(incidents.id, incidentId))
      .returning();
    await recordAudit(
      tx,
      caller,
      'incident.postmortem.save',
      { type: 'incident', id: incidentId },
      changes({ postmortem: before.postmortem }, { postmortem: row.postmortem }),
    );
    return row;
  });
}

/**
 * Publishes the post-mortem of a resolved public incident (phase 7), in one transaction: the
 * body (or the saved draft) is stored, `postmortemPublishedAt` set, and a public update with
 * status `postmortem` carries it to the page, the API, the feeds and, when `notify` is true
 * (default false), to subscribers. Takes 'incident:publish' ('subscribers:notify' to email).
 */
export async function publishPostmortem(
  db: Db,
  caller: Caller,
  incidentId: string,
  input: PublishPostmortemInput,
): Promise<{ incident: Incident; update: IncidentUpdate }> {
  authorize(caller, 'incident:publish');
  const data = parseInput(PublishPostmortemSchema, input);
  return db.transaction(async (tx) => {
    const incident = await lockIncident(tx, incidentId, 'incident');
    requireClosed(incident);
    if (incident.visibility !== 'public') {
      throw new ConflictError(
        'This incident is internal: its post-mortem stays internal. Make the incident public first to publish it.',
      );
    }
    const body = data.body ?? incident.postmortem?.trim();
    if (!body) invalid('body', 'Write the post-mortem');
    const at = new Date();
    const { update } = await addUpdate(
      tx,
      caller,
      incident,
      { status: 'postmortem', body, audience: 'public', notify: data.notify ?? false, templateId: undefined },
      null,
    );
    const [after] = await tx
      .update(incidents)
      .set({ postmortem: body, postmortemPublishedAt: at, updatedAt: at })
      .where(eq(incidents.id, incidentId))
      .returning();
    await recordAudit(
      tx,
      caller,
      'incident.postmortem.publish',
      { type: 'incident', id: incidentId },
      {
        updateId: update.id,
        notify: update.notify,
        ...changes({ postmortem: incident.postmortem }, { postmortem: body }),
      },
    );
    return { incident: after, update };
  });
}

function requireClosed(incident: Incident): void {
  if (!CLOSED_STATUSES.includes(incident.status)) {
    throw new ConflictError('Resolve the incident first: a post-mortem comes after the incident is over.');
  }
}

/** An internal timeline note (role changes, the recap): the status stays, nobody is emailed. */
function internalNote(status: AnyIncidentStatus, body: string, at: Date): InsertUpdate {
  return {
    status,
    body,
    audience: 'internal',
    notify: false,
    components: {},
    named: new Set(),
    at,
    templateId: null,
    idempotencyKey: null,
  };
}

/** "Ana Lima is now incident manager (was: unassigned)." for each role that changed; null if none did. */
async function describeRoleChanges(tx: Db, before: Incident, after: Incident): Promise<string | null> {
  const changed = INCIDENT_ROLE_DEFINITIONS.filter((r) => (before[r.key] ?? null) !== (after[r.key] ?? null));
  if (!changed.length) return null;
  const ids = [...new Set(changed.flatMap((r) => [before[r.key], after[r.key]]).filter((v): v is string => !!v))];
  const rows = ids.length
    ? await tx.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, ids))
    : [];
  const names = new Map(rows.map((u) => [u.id, u.name.trim() || u.email]));
  const nameOf = (id: string | null) => (id ? (names.get(id) ?? 'a removed user') : 'unassigned');
  return changed
    .map((r) => {
      const role = r.label.toLowerCase();
      const now = after[r.key];
      const was = nameOf(before[r.key]);
      return now ? `${nameOf(now)} is now ${role} (was: ${was}).` : `No ${role} any more (was: ${was}).`;
    })
    .join('\n\n');
}

// ---------------------------------------------------------------------------------------
// Steps shared with src/server/maintenances/service.ts. They check what depends on the data
// but not the verb's base permission: call them only from a verb that did.

type OpenData = Partial<ReturnType<typeof CreateIncidentSchema.parse>> & { kind: IncidentKind };

/**
 * Inserts an incident or maintenance with its first update, inside the caller's transaction.
 * `linkField` is the API field that named `componentIds` (a maintenance's `components`).
 */
export async function openIncident(
  tx: Db,
  caller: Caller,
  data: OpenData,
  options: { idempotencyKey: string | null; linkField?: string },
): Promise<{ incident: Incident; update: IncidentUpdate }> {
  const { kind } = data;
  const at = data.startedAt ?? new Date();
  const visibility: Visibility = data.visibility ?? 'public';
  const problems = new Problems();

  const changed = data.components ?? {};
  const linkedIds = data.componentIds ?? [];
  const known = await componentNames(tx, [...Object.keys(changed), ...linkedIds]);
  reportUnknown(problems, 'components', Object.keys(changed), known);
  reportUnknown(problems, options.linkField ?? 'component_ids', linkedIds, known);
  await checkUsers(tx, data, problems);

  let { name, status, body } = data;
  if (data.templateId) {
    const filled = await fillFromTemplate(
      tx,
      data.templateId,
      kind,
      {
        name,
        kind,
        status,
        severity: data.severity,
        startedAt: at,
        scheduledFor: data.scheduledFor,
        scheduledUntil: data.scheduledUntil,
        componentIds: [...new Set([...Object.keys(changed), ...linkedIds])],
        impactCustomer: data.impactCustomer,
        supportCases: data.supportCases,
      },
      problems,
    );
    if (filled) {
      name ??= fromTemplate(problems, 'name', filled, 'title');
      status ??= filled.status ?? undefined;
      body ??= fromTemplate(problems, 'body', filled, 'body');
    }
  }
  if (!name) problems.add('name', `Give the ${kind} a name`);
  if (!status) problems.add('status', `Choose a status: ${statusesOf(kind).join(', ')}`);
  else if (!statusesOf(kind).includes(status)) {
    problems.add('status', `${capitalized(aKind(kind))}'s status is one of: ${statusesOf(kind).join(', ')}`);
  }
  if (!body) problems.add('body', 'Write the first update');
  if (kind === 'incident' && data.severity == null) {
    problems.add('severity', 'Choose a severity: 1 (critical), 2 (major) or 3 (minor)');
  }
  if (kind === 'maintenance' && data.severity != null) problems.add('severity', 'A maintenance has no severity');
  const audience = data.audience ?? visibility;
  checkAudience(problems, { visibility, kind }, audience);
  // Both must agree here: on a new maintenance `notify` is the shorthand for its four
  // switches, so `notify` with `notifyScheduled` off means "every email but the announcement".
  const notify =
    notifyOf(problems, audience, data.notify) &&
    (kind !== 'maintenance' ||
      maintenanceSwitch(
        {
          notifyScheduled: data.notifyScheduled ?? true,
          notifyStarted: data.notifyStarted ?? true,
          notifyCompleted: data.notifyCompleted ?? true,
        },
        status,
      ));
  problems.throwIfAny();

  if (visibility === 'public') authorize(caller, kind === 'maintenance' ? 'maintenance:manage' : 'incident:publish');
  if (notify) authorize(caller, 'subscribers:notify');
  if (Object.keys(changed).length) authorize(caller, 'component:status');

  const id = newId();
  const [incident] = await tx
    .insert(incidents)
    .values({
      id,
      kind,
      name: name!,
      status: status!,
      severity: kind === 'maintenance' ? null : data.severity!,
      visibility,
      source: data.source ?? 'manual',
      startedAt: at,
      scheduledFor: data.scheduledFor ?? null,
      scheduledUntil: data.scheduledUntil ?? null,
      autoStart: data.autoStart ?? false,
      autoComplete: data.autoComplete ?? false,
      notifyScheduled: data.notifyScheduled ?? true,
      notifyReminder: data.notifyReminder ?? true,
      notifyStarted: data.notifyStarted ?? true,
      notifyCompleted: data.notifyCompleted ?? true,
      incidentManagerId: data.incidentManagerId ?? null,
      techLeadId: data.techLeadId ?? null,
      commsLeadId: data.commsLeadId ?? null,
      chatUrl: data.chatUrl ?? null,
      videoUrl: data.videoUrl ?? null,
      ticketUrl: data.ticketUrl ?? null,
      impactCustomer: data.impactCustomer ?? null,
      impactVisible: data.impactVisible ?? null,
      impactScope: data.impactScope ?? null,
      impactStartedAt: data.impactStartedAt ?? null,
      supportCases: data.supportCases ?? null,
      impactFactors: data.impactFactors ?? null,
      recap: data.recap ?? null,
      createdBy: caller.type === 'user' ? (caller.id ?? null) : null,
      createdAt: at,
      updatedAt: at,
      ...statusTimes(status!, at),
    })
    .returning();
  const linked = new Set([...linkedIds, ...Object.keys(changed)]);
  await lockComponents(tx, Object.keys(changed));
  if (linked.size) {
    await tx.insert(incidentComponents).values([...linked].map((componentId) => ({ incidentId: id, componentId })));
  }
  const update = await insertUpdate(tx, caller, incident, {
    status: status!,
    body: body!,
    audience,
    notify,
    components: changed,
    named: new Set(Object.keys(changed)),
    at,
    templateId: data.templateId ?? null,
    idempotencyKey: options.idempotencyKey,
  });
  await recordAudit(
    tx,
    caller,
    `${kind}.create`,
    { type: 'incident', id },
    { after: incidentAudit(incident), updateId: update.id, components: changed },
  );
  await afterUpdate(tx, incident, update, Object.keys(changed).length > 0);
  if (kind === 'incident') {
    await enqueue(tx, 'incident.event', {
      event: 'incident.created',
      incidentId: id,
      updateId: update.id,
      at: at.toISOString(),
    });
  }
  return { incident, update };
}

type UpdateData = ReturnType<typeof PostUpdateSchema.parse>;

/** Posts an update on a locked incident, inside the caller's transaction. */
async function addUpdate(
  tx: Db,
  caller: Caller,
  incident: Incident,
  data: UpdateData,
  idempotencyKey: string | null,
): Promise<{ incident: Incident; update: IncidentUpdate }> {
  if (incident.kind === 'maintenance') authorize(caller, 'maintenance:manage');
  const at = data.at ?? new Date();
  const problems = new Problems();
  const explicit = data.components ?? {};
  const linkedIds = await linkedComponentIds(tx, incident.id);
  const known = await componentNames(tx, [...Object.keys(explicit), ...linkedIds]);
  reportUnknown(problems, 'components', Object.keys(explicit), known);

  let { status, body } = data;
  if (data.templateId) {
    const filled = await fillFromTemplate(
      tx,
      data.templateId,
      incident.kind,
      {
        ...incident,
        status: status ?? incident.status,
        resolvedAt: incident.resolvedAt ?? (status && CLOSED_STATUSES.includes(status) ? at : null),
        componentIds: [...new Set([...linkedIds, ...Object.keys(explicit)])],
      },
      problems,
      at,
    );
    if (filled) {
      status ??= filled.status ?? undefined;
      body ??= fromTemplate(problems, 'body', filled, 'body');
    }
  }
  const statuses = statusesOf(incident.kind);
  if (!status) problems.add('status', `Choose a status: ${statuses.join(', ')}`);
  else if (!statuses.includes(status)) {
    problems.add('status', `${capitalized(aKind(incident.kind))}'s status is one of: ${statuses.join(', ')}`);
  }
  if (!body) problems.add('body', 'Write the update');
  const audience = data.audience ?? incident.visibility;
  checkAudience(problems, incident, audience);
  // A maintenance's switches are the default of the update that moves it into their phase
  // (a later note in the same phase emails as any update does). An explicit `notify` on the
  // update wins either way: the switches are set once, ahead of time, while a person posting
  // this very update and saying "email" (or "don't") has decided about it.
  const entering = incident.kind === 'maintenance' && status !== incident.status;
  const notify = notifyOf(
    problems,
    audience,
    data.notify ?? (entering && !maintenanceSwitch(incident, status) ? false : undefined),
  );
  problems.throwIfAny();

  if (audience === 'public') authorize(caller, 'incident:publish');
  // Customers see a public incident's status even when the update moving it is internal.
  if (incident.visibility === 'public' && status !== incident.status) authorize(caller, 'incident:publish');
  if (notify) authorize(caller, 'subscribers:notify');

  // Closing: every linked component goes back to operational unless told otherwise.
  const componentsToSet: ComponentChanges = { ...explicit };
  if (CLOSED_STATUSES.includes(status!) && !CLOSED_STATUSES.includes(incident.status)) {
    const stillAffected = await componentsInOtherOpenIncidents(tx, incident.id, linkedIds);
    for (const id of linkedIds) {
      if (!(id in componentsToSet) && !stillAffected.has(id)) componentsToSet[id] = 'operational';
    }
  }
  if (Object.keys(explicit).length) authorize(caller, 'component:status');

  await lockComponents(tx, Object.keys(componentsToSet));
  const newLinks = Object.keys(explicit).filter((id) => !linkedIds.includes(id));
  if (newLinks.length) {
    await tx
      .insert(incidentComponents)
      .values(newLinks.map((componentId) => ({ incidentId: incident.id, componentId })));
  }
  const update = await insertUpdate(tx, caller, incident, {
    status: status!,
    body: body!,
    audience,
    notify,
    components: componentsToSet,
    named: new Set(Object.keys(explicit)),
    at,
    templateId: data.templateId ?? null,
    idempotencyKey,
  });
  const [after] = await tx
    .update(incidents)
    .set({ status: status!, updatedAt: at, ...statusTimes(status!, at, incident) })
    .where(eq(incidents.id, incident.id))
    .returning();
  await recordAudit(
    tx,
    caller,
    'incident.update',
    { type: 'incident', id: incident.id },
    {
      updateId: update.id,
      audience,
      notify,
      before: { status: incident.status },
      after: { status: after.status },
      components: componentsToSet,
    },
  );
  await afterUpdate(tx, after, update, Object.keys(componentsToSet).length > 0);
  if (incident.kind === 'incident') {
    const closes = CLOSED_STATUSES.includes(status!) && !CLOSED_STATUSES.includes(incident.status);
    await enqueue(tx, 'incident.event', {
      event: closes ? 'incident.resolved' : 'incident.update_posted',
      incidentId: incident.id,
      updateId: update.id,
      at: at.toISOString(),
    });
  }
  return { incident: after, update };
}

/** Locks and returns an incident (of one kind, when given); NotFoundError otherwise. */
export async function lockIncident(tx: Db, id: string, kind?: IncidentKind): Promise<Incident> {
  const [row] = await tx.select().from(incidents).where(eq(incidents.id, id)).for('update');
  if (!row || (kind && row.kind !== kind))
    throw new NotFoundError(`${kind === 'maintenance' ? 'Maintenance' : 'Incident'} ${id} does not exist`);
  return row;
}

/** The names of the given components that exist, by id. */
export async function componentNames(tx: Db, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (!unique.length) return new Map();
  const rows = await tx
    .select({ id: components.id, name: components.name })
    .from(components)
    .where(inArray(components.id, unique));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Adds a problem naming the ids that are not components. */
export function reportUnknown(problems: Problems, field: string, ids: string[], known: Map<string, string>): void {
  const unknown = [...new Set(ids)].filter((id) => !known.has(id));
  if (unknown.length) {
    problems.add(field, `No such component${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  }
}

/** Adds problems for role fields naming users who do not exist. */
export async function checkUsers(
  tx: Db,
  fields: { incidentManagerId?: string | null; techLeadId?: string | null; commsLeadId?: string | null },
  problems: Problems,
): Promise<void> {
  const wanted = {
    incident_manager_id: fields.incidentManagerId,
    tech_lead_id: fields.techLeadId,
    comms_lead_id: fields.commsLeadId,
  };
  const ids = [...new Set(Object.values(wanted).filter((v): v is string => !!v))];
  if (!ids.length) return;
  const found = new Set((await tx.select({ id: users.id }).from(users).where(inArray(users.id, ids))).map((u) => u.id));
  for (const [field, id] of Object.entries(wanted)) {
    if (id && !found.has(id)) problems.add(field, `There is no user ${id}`);
  }
}

// ---------------------------------------------------------------------------------------

type InsertUpdate = {
  status: AnyIncidentStatus;
  body: string;
  audience: Audience;
  notify: boolean;
  components: ComponentChanges;
  /** The components the caller named, as opposed to those a closing update restores. */
  named: Set<string>;
  at: Date;
  templateId: string | null;
  idempotencyKey: string | null;
};

/**
 * Locks the components a write will move, in id order, before it links any of them: linking
 * first takes a key-share lock (the foreign key) that setComponentStatus's FOR UPDATE then
 * upgrades, and two writes on one component doing that at once deadlocked (one failed with
 * "deadlock detected", faults-db-cut.test.ts); so did two writes naming components in
 * opposite orders.
 */
async function lockComponents(tx: Db, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await tx
    .select({ id: components.id })
    .from(components)
    .where(inArray(components.id, ids))
    .orderBy(asc(components.id))
    .for('update');
}

async function insertUpdate(tx: Db, caller: Caller, incident: Incident, input: InsertUpdate): Promise<IncidentUpdate> {
  const [update] = await tx
    .insert(incidentUpdates)
    .values({
      id: newId(),
      incidentId: incident.id,
      status: input.status,
      body: input.body,
      audience: input.audience,
      notify: input.notify,
      authorId: caller.type === 'user' ? (caller.id ?? null) : null,
      authorName: caller.name ?? null,
      templateId: input.templateId,
      idempotencyKey: input.idempotencyKey,
      displayAt: input.at,
      createdAt: input.at,
      updatedAt: input.at,
    })
    .returning();
  const changes = [];
  for (const [componentId, status] of Object.entries(input.components)) {
    const oldStatus = await setComponentStatus(tx, componentId, status, { at: input.at, incidentId: incident.id });
    // What the caller named is recorded even when unchanged (Statuspage does too); the
    // components a closing update restores only when they did change.
    if (oldStatus !== status || input.named.has(componentId)) {
      changes.push({ updateId: update.id, componentId, oldStatus, newStatus: status });
    }
  }
  if (changes.length) await tx.insert(incidentUpdateComponents).values(changes);
  return update;
}

/** Outbox rows after an update: the fan-out of a public update, and the public snapshot. */
async function afterUpdate(tx: Db, incident: Incident, update: IncidentUpdate, componentsMoved: boolean) {
  if (update.audience === 'public' && incident.visibility === 'public') {
    await enqueue(tx, 'update.published', { updateId: update.id, notify: update.notify });
  }
  // A component's status is a public fact even when an internal incident moved it.
  if (incident.visibility === 'public' || componentsMoved) await enqueue(tx, 'snapshot.invalidate', {});
}

function checkAudience(
  problems: Problems,
  incident: { visibility: Visibility; kind: IncidentKind },
  audience: Audience,
) {
  if (audience === 'public' && incident.visibility === 'internal') {
    problems.add(
      'audience',
      `This ${incident.kind} is internal, so it takes internal updates only. Make it public first (comms or admin), then post public updates.`,
    );
  }
}

/** Whether subscribers are emailed: only about public updates, and by default yes. */
function notifyOf(problems: Problems, audience: Audience, notify: boolean | undefined): boolean {
  if (audience === 'internal') {
    if (notify === true) problems.add('notify', 'Subscribers are only emailed about public updates');
    return false;
  }
  return notify ?? true;
}

type MaintenanceSwitches = Pick<Incident, 'notifyScheduled' | 'notifyStarted' | 'notifyCompleted'>;

/**
 * Whether a maintenance's switches let the update that moves it into `status` email
 * subscribers: scheduled (the announcement), in progress (the start) and completed each have
 * one; verifying has none. The reminder has its own (see maintenances/scheduler.ts).
 */
function maintenanceSwitch(switches: MaintenanceSwitches, status: AnyIncidentStatus | undefined): boolean {
  if (status === 'scheduled') return switches.notifyScheduled;
  if (status === 'in_progress') return switches.notifyStarted;
  if (status === 'completed') return switches.notifyCompleted;
  return true;
}

/** A template filled for an incident: the caller takes what it lacks (title, status, body). */
type FilledFromTemplate = {
  title: FilledTemplate;
  body: FilledTemplate;
  status: AnyIncidentStatus | null;
  name: string;
};

async function fillFromTemplate(
  tx: Db,
  templateId: string,
  kind: IncidentKind,
  incident: Omit<Parameters<typeof templateValues>[0], 'components'> & { componentIds: string[] },
  problems: Problems,
  now = new Date(),
): Promise<FilledFromTemplate | null> {
  const [template] = await tx.select().from(templates).where(eq(templates.id, templateId));
  if (!template) {
    problems.add('template_id', `There is no template ${templateId}`);
    return null;
  }
  if (template.kind !== kind) {
    problems.add('template_id', `This template is for ${aKind(template.kind)}; choose one for ${aKind(kind)}`);
    return null;
  }
  const settings = await getSettings(tx);
  // A text written for customers names public components only: an internal component's
  // name must never reach a public update through {{components}}.
  const index = await loadComponentIndex(tx, template.audience === 'external' ? 'public' : 'internal');
  const components = incident.componentIds.filter((id) => index.has(id)).map((id) => ({ name: index.get(id)!.name }));
  return {
    ...fillTemplateText(template, templateValues({ ...incident, components }, settings, now)),
    status: template.status,
    name: template.name,
  };
}

/** Takes a template's text for a field the caller left empty; unfilled placeholders are a problem there. */
function fromTemplate(
  problems: Problems,
  field: string,
  filled: FilledFromTemplate,
  part: 'title' | 'body',
): string | undefined {
  const { text, missing } = filled[part];
  if (missing.length) {
    const list = missing.map((m) => `{{${m}}}`).join(', ');
    problems.add(field, `The template "${filled.name}" leaves ${list} to fill in: send the ${field} yourself`);
  }
  return text || undefined;
}

function defaultClosingTemplate(kind: IncidentKind, audience: Audience): string | undefined {
  if (kind === 'maintenance')
    return audience === 'public' ? DEFAULT_TEMPLATE_IDS.maintenanceCompleted.external : undefined;
  return DEFAULT_TEMPLATE_IDS.resolved[audience === 'public' ? 'external' : 'internal'];
}

async function linkedComponentIds(tx: Db, incidentId: string): Promise<string[]> {
  const rows = await tx
    .select({ id: incidentComponents.componentId })
    .from(incidentComponents)
    .where(eq(incidentComponents.incidentId, incidentId));
  return rows.map((r) => r.id);
}

/** Of the given components, those another unresolved incident or running maintenance also affects. */
async function componentsInOtherOpenIncidents(tx: Db, incidentId: string, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await tx
    .select({ id: incidentComponents.componentId })
    .from(incidentComponents)
    .innerJoin(incidents, eq(incidents.id, incidentComponents.incidentId))
    .where(
      and(
        inArray(incidentComponents.componentId, ids),
        ne(incidents.id, incidentId),
        or(
          and(eq(incidents.kind, 'incident'), inArray(incidents.status, [...UNRESOLVED_INCIDENT_STATUSES])),
          and(eq(incidents.kind, 'maintenance'), inArray(incidents.status, ['in_progress', 'verifying'])),
        ),
      ),
    );
  return new Set(rows.map((r) => r.id));
}

async function findIncident(db: Db, id: string): Promise<Incident | null> {
  const [row] = await db.select().from(incidents).where(eq(incidents.id, id));
  return row ?? null;
}

async function replayCreate(db: Db, first: IncidentUpdate) {
  return { incident: (await findIncident(db, first.incidentId))!, update: first };
}

function sameIncident(first: IncidentUpdate, incidentId: string): IncidentUpdate {
  if (first.incidentId !== incidentId) {
    throw new ConflictError('This idempotency key was already used for an update of another incident.');
  }
  return first;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The fields of an incident an audit entry records. */
export function incidentAudit(i: Incident): Record<string, unknown> {
  return {
    kind: i.kind,
    name: i.name,
    status: i.status,
    severity: i.severity,
    visibility: i.visibility,
    scheduledFor: i.scheduledFor,
    scheduledUntil: i.scheduledUntil,
    autoStart: i.autoStart,
    autoComplete: i.autoComplete,
    notifyScheduled: i.notifyScheduled,
    notifyReminder: i.notifyReminder,
    notifyStarted: i.notifyStarted,
    notifyCompleted: i.notifyCompleted,
    incidentManagerId: i.incidentManagerId,
    techLeadId: i.techLeadId,
    commsLeadId: i.commsLeadId,
    chatUrl: i.chatUrl,
    videoUrl: i.videoUrl,
    ticketUrl: i.ticketUrl,
    impactCustomer: i.impactCustomer,
    impactVisible: i.impactVisible,
    impactScope: i.impactScope,
    impactStartedAt: i.impactStartedAt,
    supportCases: i.supportCases,
    impactFactors: i.impactFactors,
    recap: i.recap,
    postmortem: i.postmortem,
    postmortemPublishedAt: i.postmortemPublishedAt,
  };
}

/** The lifecycle timestamps a status sets, keeping the first time each was reached. */
function statusTimes(status: AnyIncidentStatus, at: Date, current?: Incident) {
  const times: Partial<Pick<typeof incidents.$inferInsert, 'identifiedAt' | 'monitoringAt' | 'resolvedAt'>> = {};
  if (status === 'identified' && !current?.identifiedAt) times.identifiedAt = at;
  if (status === 'monitoring' && !current?.monitoringAt) times.monitoringAt = at;
  if ((status === 'resolved' || status === 'completed') && !current?.resolvedAt) times.resolvedAt = at;
  if (status === 'postmortem' && !current?.resolvedAt) times.resolvedAt = at;
  return times;
}
