/**
 * The incident process in the services (issue 5, phases 3, 6 and 7): role changes land in the
 * timeline as internal notes and in the audit log; resolving keeps an internal recap apart
 * from the public all-clear; a post-mortem is saved as an internal draft, then published as a
 * public `postmortem` update; the severity definitions carry examples and a response.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, incidents, incidentUpdates, outbox, users } from '../../src/db/schema/index.ts';
import { ForbiddenError } from '../../src/server/auth/permissions.ts';
import { ConflictError, ValidationError } from '../../src/server/errors.ts';
import { newId } from '../../src/server/ids.ts';
import {
  createIncident,
  publishPostmortem,
  resolveIncident,
  savePostmortem,
  updateIncident,
  type CreateIncidentInput,
} from '../../src/server/incidents/service.ts';
import { getSettings } from '../../src/server/settings/queries.ts';
import {
  defaultSeverityDefinitions,
  severityDefinitionsOf,
  updateSettings,
} from '../../src/server/settings/service.ts';
import { loadIncident } from '../../src/server/status-page/queries.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { admin, comms, responder, viewer } from '../helpers/principals.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());
const db = () => t.handle.db;

const incidentInput = (extra: Partial<CreateIncidentInput> = {}): CreateIncidentInput => ({
  name: 'Checkout errors',
  status: 'investigating',
  severity: 2,
  visibility: 'public',
  body: 'We are investigating errors at checkout.',
  notify: false,
  ...extra,
});

async function user(name: string, role = 'responder') {
  const id = newId();
  await db()
    .insert(users)
    .values({ id, name, email: `${id}@example.com`, role: role as 'responder', passwordHash: 'x' });
  return id;
}

async function updatesOf(incidentId: string) {
  return db()
    .select()
    .from(incidentUpdates)
    .where(eq(incidentUpdates.incidentId, incidentId))
    .orderBy(incidentUpdates.displayAt);
}

async function lastOutboxId(): Promise<number> {
  const rows = await db().select({ id: outbox.id }).from(outbox);
  return Math.max(0, ...rows.map((r) => r.id));
}

async function publishedSince(id: number): Promise<string[]> {
  const rows = await db().select().from(outbox).where(eq(outbox.topic, 'update.published'));
  return rows.filter((r) => r.id > id).map((r) => (r.payload as { updateId: string }).updateId);
}

describe('roles (phase 6)', () => {
  it('records a role change as an internal timeline note and in the audit log, never published', async () => {
    const ana = await user('Ana Lima');
    const ben = await user('Ben Okafor');
    const { incident } = await createIncident(db(), comms, incidentInput());
    const mark = await lastOutboxId();

    await updateIncident(db(), responder, incident.id, { incidentManagerId: ana, techLeadId: ben });
    let notes = (await updatesOf(incident.id)).slice(1);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      audience: 'internal',
      notify: false,
      status: 'investigating',
      body: 'Ana Lima is now incident manager (was: unassigned).\n\nBen Okafor is now tech lead (was: unassigned).',
    });

    await updateIncident(db(), responder, incident.id, { incidentManagerId: ben, techLeadId: '' });
    notes = (await updatesOf(incident.id)).slice(1);
    expect(notes).toHaveLength(2);
    expect(notes[1].body).toBe(
      'Ben Okafor is now incident manager (was: Ana Lima).\n\nNo tech lead any more (was: Ben Okafor).',
    );

    // Not a role change: no note.
    await updateIncident(db(), responder, incident.id, { chatUrl: 'https://chat.example.com/c/1' });
    expect(await updatesOf(incident.id)).toHaveLength(3);

    expect(await publishedSince(mark)).toEqual([]);
    const [row] = await db().select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row.status).toBe('investigating');
    const entries = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityId, incident.id), eq(auditLog.action, 'incident.edit')))
      .orderBy(auditLog.id);
    expect(entries[0].detail).toEqual({
      before: { incidentManagerId: null, techLeadId: null },
      after: { incidentManagerId: ana, techLeadId: ben },
    });
  });

  it('refuses a viewer, and names users who do not exist', async () => {
    const { incident } = await createIncident(db(), comms, incidentInput());
    const ana = await user('Ana Viewer-Test');
    await expect(updateIncident(db(), viewer, incident.id, { incidentManagerId: ana })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const err = await updateIncident(db(), responder, incident.id, { commsLeadId: 'nosuchuser00' }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.fields).toEqual({ comms_lead_id: 'There is no user nosuchuser00' });
    expect(await updatesOf(incident.id)).toHaveLength(1);
  });
});

describe('resolving with a recap (phase 7)', () => {
  it('stores the recap and posts it as an internal note; only the all-clear is public', async () => {
    const { incident } = await createIncident(db(), comms, incidentInput());
    const mark = await lastOutboxId();
    const recap = 'Impact: checkout failed for some customers.\nDuration: 42 minutes.\nSupport cases: 3.';
    const { incident: after, update } = await resolveIncident(db(), comms, incident.id, {
      body: 'This incident has been resolved. Checkout works again.',
      notify: true,
      recap,
    });
    expect(after).toMatchObject({ status: 'resolved', recap });
    expect(update).toMatchObject({ audience: 'public', status: 'resolved', notify: true });
    const all = await updatesOf(incident.id);
    expect(all.map((u) => [u.audience, u.status, u.notify])).toEqual([
      ['public', 'investigating', false],
      ['public', 'resolved', true],
      ['internal', 'resolved', false],
    ]);
    expect(all[2].body).toBe(recap);
    // Only the all-clear goes out.
    expect(await publishedSince(mark)).toEqual([update.id]);
    const seen = await loadIncident(db(), incident.id, 'public');
    expect(seen!.updates.map((u) => u.status)).toEqual(['resolved', 'investigating']);
    expect(JSON.stringify(seen)).not.toContain('Support cases: 3');
    const [entry] = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityId, incident.id), eq(auditLog.action, 'incident.recap')));
    expect(entry.detail).toEqual({ before: { recap: null }, after: { recap } });
  });

  it('an internal incident closes with the recap itself', async () => {
    const { incident } = await createIncident(db(), responder, incidentInput({ visibility: 'internal' }));
    const { incident: after, update } = await resolveIncident(db(), responder, incident.id, {
      recap: 'Impact: none for customers.',
    });
    expect(after.recap).toBe('Impact: none for customers.');
    expect(update).toMatchObject({ audience: 'internal', status: 'resolved', body: 'Impact: none for customers.' });
    expect(await updatesOf(incident.id)).toHaveLength(2);
  });

  it('refuses an over-long recap with a field message', async () => {
    const { incident } = await createIncident(db(), comms, incidentInput());
    const err = await resolveIncident(db(), comms, incident.id, { recap: 'x'.repeat(20_001) }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.fields.recap).toMatch(/under 20000/);
  });
});

describe('post-mortems (phase 7)', () => {
  it('saves a draft (internal), then publishes it as a public postmortem update', async () => {
    const { incident } = await createIncident(db(), comms, incidentInput());
    await expect(savePostmortem(db(), responder, incident.id, { body: '# Early' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    const { incident: resolved } = await resolveIncident(db(), comms, incident.id, { notify: false });
    const resolvedAt = resolved.resolvedAt!;

    const draft = await savePostmortem(db(), responder, incident.id, { body: '# What happened\n\nA bad deploy.' });
    expect(draft.postmortem).toBe('# What happened\n\nA bad deploy.');
    expect(draft.postmortemPublishedAt).toBeNull();
    expect(await updatesOf(incident.id)).toHaveLength(2);

    // A responder cannot publish it.
    await expect(publishPostmortem(db(), responder, incident.id, {})).rejects.toBeInstanceOf(ForbiddenError);

    const mark = await lastOutboxId();
    const { incident: after, update } = await publishPostmortem(db(), comms, incident.id, {});
    expect(update).toMatchObject({
      status: 'postmortem',
      audience: 'public',
      notify: false,
      body: '# What happened\n\nA bad deploy.',
    });
    expect(after.status).toBe('postmortem');
    expect(after.postmortemPublishedAt).toBeInstanceOf(Date);
    expect(after.resolvedAt!.getTime()).toBe(resolvedAt.getTime());
    expect(await publishedSince(mark)).toEqual([update.id]);
    const [entry] = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityId, incident.id), eq(auditLog.action, 'incident.postmortem.publish')));
    expect(entry.detail).toMatchObject({ updateId: update.id, notify: false });

    // Publishing a revised text, with an email this time.
    const again = await publishPostmortem(db(), comms, incident.id, { body: '# Revised', notify: true });
    expect(again.update).toMatchObject({ status: 'postmortem', body: '# Revised', notify: true });
    expect(again.incident.postmortem).toBe('# Revised');
  });

  it('refuses an empty post-mortem, an internal incident, and a responder emailing', async () => {
    const { incident } = await createIncident(db(), comms, incidentInput());
    await resolveIncident(db(), comms, incident.id, { notify: false });
    const err = await publishPostmortem(db(), comms, incident.id, {}).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.fields).toEqual({ body: 'Write the post-mortem' });

    const { incident: internal } = await createIncident(db(), responder, incidentInput({ visibility: 'internal' }));
    await resolveIncident(db(), responder, internal.id, {});
    await savePostmortem(db(), responder, internal.id, { body: 'Internal only' });
    await expect(publishPostmortem(db(), admin, internal.id, {})).rejects.toBeInstanceOf(ConflictError);
    await expect(savePostmortem(db(), viewer, internal.id, { body: 'x' })).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('severity definitions (phase 3)', () => {
  it('fills examples and responses from the defaults, saves edited ones, validates them', async () => {
    const defaults = severityDefinitionsOf(await getSettings(db()));
    expect(defaults[1].response).toBe('Page the on-call responders now, any hour; all hands until mitigated.');
    expect(defaults[3].response).toBe('Handle during business hours; no page.');
    expect(defaults[1].examples.length).toBeGreaterThan(0);

    // A row stored before examples and responses existed.
    const old = severityDefinitionsOf({
      severityDefinitions: {
        1: { label: 'P1', description: 'All down' },
        2: { label: 'P2', description: 'Bad' },
        3: { label: 'P3', description: 'Meh' },
      },
    });
    expect(old[1]).toEqual({
      label: 'P1',
      description: 'All down',
      examples: defaults[1].examples,
      response: defaults[1].response,
    });

    const definitions = defaultSeverityDefinitions();
    definitions[2] = { label: 'P2', description: 'Major', examples: ['EU region down', ''], response: 'Page now.' };
    const saved = await updateSettings(db(), admin, { severityDefinitions: definitions });
    expect(saved.severityDefinitions![2]).toEqual({
      label: 'P2',
      description: 'Major',
      examples: ['EU region down'],
      response: 'Page now.',
    });
    expect(severityDefinitionsOf(saved)[2].response).toBe('Page now.');

    const bad = defaultSeverityDefinitions();
    bad[1] = { ...bad[1], response: '  ', examples: Array.from({ length: 11 }, (_, i) => `e${i}`) };
    bad[3] = { ...bad[3], examples: ['x'.repeat(201)] };
    const err = await updateSettings(db(), admin, { severityDefinitions: bad }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.fields).toMatchObject({
      'severity_definitions.1.response': expect.stringContaining('Say what response is expected'),
      'severity_definitions.1.examples': 'Give at most 10 examples',
      'severity_definitions.3.examples.0': 'Keep each example under 200 characters',
    });
    await expect(updateSettings(db(), comms, { severityDefinitions: definitions })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });
});
