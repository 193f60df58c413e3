import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLog,
  components,
  incidents,
  incidentUpdateComponents,
  incidentUpdates,
  outbox,
  templates,
  users,
} from '../../src/db/schema/index.ts';
import { ForbiddenError } from '../../src/server/auth/permissions.ts';
import { createComponent } from '../../src/server/components/service.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../src/server/errors.ts';
import {
  createIncident,
  postUpdate,
  resolveIncident,
  updateIncident,
  type CreateIncidentInput,
} from '../../src/server/incidents/service.ts';
import { newId } from '../../src/server/ids.ts';
import { DEFAULT_TEMPLATE_IDS } from '../../src/server/templates/defaults.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { admin, as, comms, responder, system, viewer } from '../helpers/principals.ts';

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

async function component(name = `C ${newId()}`) {
  return createComponent(db(), system, { name });
}

const internalIncident = (extra: Partial<CreateIncidentInput> = {}): CreateIncidentInput => ({
  name: 'Queue backlog',
  status: 'investigating',
  severity: 3,
  visibility: 'internal',
  body: 'Looking at it',
  ...extra,
});

const publicIncident = (extra: Partial<CreateIncidentInput> = {}): CreateIncidentInput =>
  internalIncident({ name: 'API errors', visibility: 'public', body: 'We are investigating', ...extra });

async function outboxSince(id: number) {
  return (await db().select().from(outbox).orderBy(outbox.id)).filter((o) => o.id > id);
}

async function lastOutboxId(): Promise<number> {
  const rows = await db().select({ id: outbox.id }).from(outbox);
  return Math.max(0, ...rows.map((r) => r.id));
}

describe('who may do what', () => {
  it('a viewer cannot open an incident; a responder opens internal ones only; comms opens public ones', async () => {
    await expect(createIncident(db(), viewer, internalIncident())).rejects.toBeInstanceOf(ForbiddenError);
    const { incident } = await createIncident(db(), responder, internalIncident());
    expect(incident.visibility).toBe('internal');
    await expect(createIncident(db(), responder, publicIncident())).rejects.toThrow(/incident:publish/);
    // The default visibility is public, so a responder must say internal.
    const { visibility: _, ...noVisibility } = internalIncident();
    await expect(createIncident(db(), responder, noVisibility)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await createIncident(db(), comms, publicIncident())).incident.visibility).toBe('public');
    expect((await createIncident(db(), admin, publicIncident())).incident.visibility).toBe('public');
  });

  it('a responder cannot publish a public update, nor change what customers see of a public incident', async () => {
    const { incident } = await createIncident(db(), comms, publicIncident());
    await expect(
      postUpdate(db(), responder, incident.id, { status: 'identified', body: 'Found it', audience: 'public' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    // No audience on a public incident means public: refused, never silently internal.
    await expect(postUpdate(db(), responder, incident.id, { status: 'investigating', body: 'x' })).rejects.toThrow(
      /incident:publish/,
    );
    // An internal note keeping the status is fine…
    const note = await postUpdate(db(), responder, incident.id, {
      status: 'investigating',
      body: 'Internal note',
      audience: 'internal',
    });
    expect(note.audience).toBe('internal');
    // …but moving the status of a public incident is visible to customers.
    await expect(
      postUpdate(db(), responder, incident.id, { status: 'identified', body: 'x', audience: 'internal' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(resolveIncident(db(), responder, incident.id, { body: 'Done' })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(updateIncident(db(), responder, incident.id, { name: 'Renamed' })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(updateIncident(db(), responder, incident.id, { severity: 1 })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updateIncident(db(), responder, incident.id, { visibility: 'internal' })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    // The process fields are the responders' own.
    const row = await updateIncident(db(), responder, incident.id, {
      ticketUrl: 'https://tickets.example.com/INC-1',
      impactCustomer: 'Checkout fails for 10% of customers',
      supportCases: 4,
    });
    expect(row).toMatchObject({ ticketUrl: 'https://tickets.example.com/INC-1', supportCases: 4 });
    expect((await postUpdate(db(), comms, incident.id, { status: 'identified', body: 'Found it' })).audience).toBe(
      'public',
    );
  });

  it('a viewer cannot post any update; a responder resolves an internal incident', async () => {
    const { incident } = await createIncident(db(), responder, internalIncident());
    await expect(
      postUpdate(db(), viewer, incident.id, { status: 'identified', body: 'x', audience: 'internal' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const { incident: resolved } = await resolveIncident(db(), responder, incident.id, { body: 'Queue drained' });
    expect(resolved.status).toBe('resolved');
  });

  it('an internal incident takes internal updates only, and says so', async () => {
    const { incident } = await createIncident(db(), responder, internalIncident());
    const fields = await fieldsOf(
      postUpdate(db(), admin, incident.id, { status: 'identified', body: 'x', audience: 'public' }),
    );
    expect(fields.audience).toMatch(/internal, so it takes internal updates only/);
    expect(
      (await fieldsOf(createIncident(db(), admin, internalIncident({ audience: 'public' })))).audience,
    ).toBeDefined();
    // Without an audience, an update follows the incident: internal.
    expect((await postUpdate(db(), responder, incident.id, { status: 'identified', body: 'x' })).audience).toBe(
      'internal',
    );
  });

  it('emailing subscribers needs subscribers:notify, and only public updates are emailed', async () => {
    const { incident } = await createIncident(db(), responder, internalIncident());
    expect(
      await fieldsOf(
        postUpdate(db(), admin, incident.id, { status: 'identified', body: 'x', audience: 'internal', notify: true }),
      ),
    ).toEqual({ notify: 'Subscribers are only emailed about public updates' });
    const pub = await createIncident(db(), comms, publicIncident({ notify: false }));
    expect(pub.update.notify).toBe(false);
    const next = await postUpdate(db(), comms, pub.incident.id, { status: 'identified', body: 'x' });
    expect(next.notify).toBe(true);
  });

  it('comms cannot manage components; only system callers go without a role', async () => {
    await expect(createComponent(db(), comms, { name: 'X' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      createComponent(db(), { type: 'user', id: 'u', name: 'no role' }, { name: 'X' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('maintenance updates need maintenance:manage', async () => {
    const c = await component();
    const { incident } = await createIncident(db(), system, {
      kind: 'maintenance',
      name: 'Upgrade',
      status: 'scheduled',
      body: 'Soon',
      componentIds: [c.id],
    });
    await expect(
      postUpdate(db(), responder, incident.id, { status: 'in_progress', body: 'x', audience: 'internal' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect((await postUpdate(db(), comms, incident.id, { status: 'in_progress', body: 'Started' })).status).toBe(
      'in_progress',
    );
  });
});

describe('validation', () => {
  it('names every bad field with the API names', async () => {
    const fields = await fieldsOf(
      createIncident(db(), admin, {
        status: 'in_progress',
        visibility: 'public',
        chatUrl: 'javascript:alert(1)',
        supportCases: -1,
        impactStartedAt: 'yesterday',
      } as CreateIncidentInput),
    );
    expect(fields).toMatchObject({
      chat_url: 'Enter an http:// or https:// address',
      support_cases: 'Must be at least 0',
      impact_started_at: expect.stringContaining('ISO 8601'),
    });
    const business = await fieldsOf(createIncident(db(), admin, { status: 'in_progress', visibility: 'public' }));
    expect(business).toEqual({
      name: 'Give the incident a name',
      status: expect.stringContaining("An incident's status is one of"),
      body: 'Write the first update',
      severity: expect.stringContaining('Choose a severity'),
    });
  });

  it('names unknown components and users', async () => {
    const c = await component();
    const fields = await fieldsOf(
      createIncident(
        db(),
        admin,
        publicIncident({
          components: { [c.id]: 'major_outage', nosuch1: 'major_outage', nosuch2: 'partial_outage' },
          incidentManagerId: 'nosuchuser',
        }),
      ),
    );
    expect(fields).toEqual({
      components: 'No such components: nosuch1, nosuch2',
      incident_manager_id: 'There is no user nosuchuser',
    });
    expect(
      await fieldsOf(createIncident(db(), admin, publicIncident({ components: { [c.id]: 'melted' as never } }))),
    ).toEqual({ [`components.${c.id}`]: expect.stringContaining('major_outage') });
  });

  it('the status changes only with an update; an update takes its kind of status', async () => {
    const { incident } = await createIncident(db(), admin, publicIncident());
    expect(await fieldsOf(updateIncident(db(), admin, incident.id, { status: 'resolved' } as never))).toEqual({
      status: 'The status changes with an update: post one instead',
    });
    expect(await fieldsOf(postUpdate(db(), admin, incident.id, { status: 'completed', body: 'x' }))).toEqual({
      status: expect.stringContaining("An incident's status is one of"),
    });
    await expect(postUpdate(db(), admin, 'nosuchincident', { status: 'resolved', body: 'x' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('sets the incident roles to real users', async () => {
    const userId = newId();
    await db()
      .insert(users)
      .values({ id: userId, email: `${userId}@example.com`, role: 'responder', passwordHash: 'x' });
    const { incident } = await createIncident(db(), responder, internalIncident());
    const row = await updateIncident(db(), responder, incident.id, {
      incidentManagerId: userId,
      chatUrl: 'https://chat.example.com/inc',
    });
    expect(row.incidentManagerId).toBe(userId);
    // '' clears, as an emptied form field does.
    expect((await updateIncident(db(), responder, incident.id, { chatUrl: '' })).chatUrl).toBeNull();
    const [entry] = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityId, incident.id), eq(auditLog.action, 'incident.edit')))
      .orderBy(auditLog.id)
      .limit(1);
    expect(entry.detail).toEqual({
      before: { incidentManagerId: null, chatUrl: null },
      after: { incidentManagerId: userId, chatUrl: 'https://chat.example.com/inc' },
    });
  });
});

describe('transactions', () => {
  it('leave nothing behind when a write fails half-way', async () => {
    const c = await component();
    const counts = async () => ({
      incidents: (await db().select().from(incidents)).length,
      updates: (await db().select().from(incidentUpdates)).length,
      audit: (await db().select().from(auditLog)).length,
      outbox: (await db().select().from(outbox)).length,
    });
    const before = await counts();
    // The outbox row is the last write of createIncident: make it fail.
    await db().execute(
      sql.raw(`create function vigie_test_fail() returns trigger language plpgsql as $$
        begin raise exception 'outbox is down'; end $$`),
    );
    await db().execute(
      sql.raw('create trigger vigie_test_fail before insert on outbox for each row execute function vigie_test_fail()'),
    );
    try {
      await expect(
        createIncident(db(), comms, publicIncident({ components: { [c.id]: 'major_outage' } })),
      ).rejects.toThrow();
    } finally {
      await db().execute(sql.raw('drop trigger vigie_test_fail on outbox'));
      await db().execute(sql.raw('drop function vigie_test_fail()'));
    }
    expect(await counts()).toEqual(before);
    const [row] = await db().select().from(components).where(eq(components.id, c.id));
    expect(row.status).toBe('operational');
  });

  it('keep the incident status and the components in step with the latest update', async () => {
    const a = await component();
    const { incident } = await createIncident(
      db(),
      comms,
      publicIncident({ components: { [a.id]: 'partial_outage' } }),
    );
    await postUpdate(db(), comms, incident.id, {
      status: 'monitoring',
      body: 'Fix deployed',
      components: { [a.id]: 'degraded_performance' },
    });
    const [row] = await db().select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row.status).toBe('monitoring');
    expect(row.monitoringAt).not.toBeNull();
    const [comp] = await db().select().from(components).where(eq(components.id, a.id));
    expect(comp.status).toBe('degraded_performance');
  });
});

describe('resolving', () => {
  it('sets every affected component back to operational and records what changed', async () => {
    const [a, b] = [await component('Alpha'), await component('Beta')];
    const { incident } = await createIncident(
      db(),
      comms,
      publicIncident({ components: { [a.id]: 'partial_outage', [b.id]: 'major_outage' } }),
    );
    const { incident: done, update } = await resolveIncident(db(), comms, incident.id, { body: 'All good' });
    expect(done.status).toBe('resolved');
    expect(done.resolvedAt).not.toBeNull();
    for (const c of [a, b]) {
      const [row] = await db().select().from(components).where(eq(components.id, c.id));
      expect(row.status).toBe('operational');
    }
    const changes = await db()
      .select()
      .from(incidentUpdateComponents)
      .where(eq(incidentUpdateComponents.updateId, update.id));
    expect(changes.map((ch) => [ch.componentId, ch.oldStatus, ch.newStatus]).sort()).toEqual(
      [
        [a.id, 'partial_outage', 'operational'],
        [b.id, 'major_outage', 'operational'],
      ].sort(),
    );
    await expect(resolveIncident(db(), comms, incident.id, { body: 'Again' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('follows an explicit components map, and leaves components another open incident affects', async () => {
    const [a, b, shared] = [await component(), await component(), await component()];
    const other = await createIncident(db(), comms, publicIncident({ components: { [shared.id]: 'major_outage' } }));
    const { incident } = await createIncident(
      db(),
      comms,
      publicIncident({ components: { [a.id]: 'partial_outage', [b.id]: 'major_outage', [shared.id]: 'major_outage' } }),
    );
    await resolveIncident(db(), comms, incident.id, {
      body: 'Mostly fixed',
      components: { [a.id]: 'degraded_performance' },
    });
    const status = async (id: string) => (await db().select().from(components).where(eq(components.id, id)))[0].status;
    expect(await status(a.id)).toBe('degraded_performance');
    expect(await status(b.id)).toBe('operational');
    expect(await status(shared.id)).toBe('major_outage');
    await resolveIncident(db(), comms, other.incident.id, { body: 'Fixed too' });
    expect(await status(shared.id)).toBe('operational');
  });

  it('a resolved update posted through postUpdate restores components too (UI and API agree)', async () => {
    const a = await component();
    const { incident } = await createIncident(db(), comms, publicIncident({ components: { [a.id]: 'major_outage' } }));
    await postUpdate(db(), comms, incident.id, { status: 'resolved', body: 'Fixed' });
    const [row] = await db().select().from(components).where(eq(components.id, a.id));
    expect(row.status).toBe('operational');
  });

  it('without a body, writes the default resolved template for the audience', async () => {
    const a = await component('Search');
    const { incident } = await createIncident(db(), comms, publicIncident({ components: { [a.id]: 'major_outage' } }));
    const { update } = await resolveIncident(db(), comms, incident.id, {});
    expect(update.body).toBe(
      'The problems with Search have been resolved and everything is working normally again. We are sorry for the disruption.',
    );
    expect(update.templateId).toBe(DEFAULT_TEMPLATE_IDS.resolved.external);
  });
});

describe('idempotency', () => {
  it('a second postUpdate with the same key returns the first update and writes nothing', async () => {
    const { incident } = await createIncident(db(), comms, publicIncident());
    const input = { status: 'identified' as const, body: 'Found it', idempotencyKey: 'form-123' };
    const first = await postUpdate(db(), comms, incident.id, input);
    const queued = await lastOutboxId();
    const second = await postUpdate(db(), comms, incident.id, input);
    expect(second.id).toBe(first.id);
    const rows = await db().select().from(incidentUpdates).where(eq(incidentUpdates.incidentId, incident.id));
    expect(rows).toHaveLength(2);
    expect(await outboxSince(queued)).toEqual([]);
    // Concurrent double submits: one write, both get it.
    const [x, y] = await Promise.all([
      postUpdate(db(), comms, incident.id, { ...input, idempotencyKey: 'form-124' }),
      postUpdate(db(), comms, incident.id, { ...input, idempotencyKey: 'form-124' }),
    ]);
    expect(x.id).toBe(y.id);
    // Another caller's key is another key.
    const other = await postUpdate(db(), as('admin'), incident.id, input);
    expect(other.id).not.toBe(first.id);
    // The same key on another incident is a mistake worth saying.
    const { incident: second2 } = await createIncident(db(), comms, publicIncident());
    await expect(postUpdate(db(), comms, second2.id, input)).rejects.toBeInstanceOf(ConflictError);
  });

  it('createIncident with the same key returns the first incident', async () => {
    const first = await createIncident(db(), comms, publicIncident({ idempotencyKey: 'create-1' }));
    const second = await createIncident(db(), comms, publicIncident({ idempotencyKey: 'create-1' }));
    expect(second.incident.id).toBe(first.incident.id);
    expect(second.update.id).toBe(first.update.id);
    expect(await db().select().from(incidents).where(eq(incidents.id, first.incident.id))).toHaveLength(1);
  });

  it('a key older than 24 hours writes again', async () => {
    const { incident } = await createIncident(db(), comms, publicIncident());
    const input = { status: 'identified' as const, body: 'Old key', idempotencyKey: 'old-key' };
    const first = await postUpdate(db(), comms, incident.id, input);
    await db()
      .update(incidentUpdates)
      .set({ createdAt: new Date(Date.now() - 25 * 3_600_000) })
      .where(eq(incidentUpdates.id, first.id));
    const second = await postUpdate(db(), comms, incident.id, input);
    expect(second.id).not.toBe(first.id);
  });

  it('rejects a key over 100 characters', async () => {
    const { incident } = await createIncident(db(), comms, publicIncident());
    expect(
      await fieldsOf(
        postUpdate(db(), comms, incident.id, { status: 'identified', body: 'x', idempotencyKey: 'k'.repeat(101) }),
      ),
    ).toEqual({ idempotency_key: 'Keep it under 100 characters' });
  });
});

describe('outbox', () => {
  it('queues the fan-out of each public update, a snapshot rebuild and the webhook event, in the same transaction', async () => {
    const start = await lastOutboxId();
    const { incident, update } = await createIncident(db(), comms, publicIncident());
    expect((await outboxSince(start)).map((o) => [o.topic, o.payload])).toEqual([
      ['update.published', { updateId: update.id, notify: true }],
      ['snapshot.invalidate', {}],
      [
        'incident.event',
        { event: 'incident.created', incidentId: incident.id, updateId: update.id, at: expect.any(String) },
      ],
    ]);
  });

  it('an internal update on an internal incident queues only the webhook event; on a public one also the snapshot', async () => {
    const { incident } = await createIncident(db(), responder, internalIncident());
    let start = await lastOutboxId();
    const internalNote = await postUpdate(db(), responder, incident.id, { status: 'identified', body: 'x' });
    expect((await outboxSince(start)).map((o) => [o.topic, o.payload])).toEqual([
      [
        'incident.event',
        { event: 'incident.update_posted', incidentId: incident.id, updateId: internalNote.id, at: expect.any(String) },
      ],
    ]);

    const pub = await createIncident(db(), comms, publicIncident());
    start = await lastOutboxId();
    await postUpdate(db(), responder, pub.incident.id, { status: 'investigating', body: 'note', audience: 'internal' });
    expect((await outboxSince(start)).map((o) => o.topic)).toEqual(['snapshot.invalidate', 'incident.event']);
  });

  it('an internal incident moving a public component rebuilds the snapshot (component status is public)', async () => {
    const c = await component();
    const start = await lastOutboxId();
    await createIncident(db(), responder, internalIncident({ components: { [c.id]: 'partial_outage' } }));
    expect((await outboxSince(start)).map((o) => o.topic)).toEqual(['snapshot.invalidate', 'incident.event']);
  });

  it('a severity change and a resolution queue their webhook events', async () => {
    const { incident } = await createIncident(db(), comms, publicIncident());
    let start = await lastOutboxId();
    await updateIncident(db(), comms, incident.id, { severity: 1 });
    expect((await outboxSince(start)).filter((o) => o.topic === 'incident.event').map((o) => o.payload)).toEqual([
      {
        event: 'incident.severity_changed',
        incidentId: incident.id,
        previousSeverity: incident.severity,
        at: expect.any(String),
      },
    ]);
    start = await lastOutboxId();
    const { update } = await resolveIncident(db(), comms, incident.id, { body: 'Fixed.', notify: false });
    expect((await outboxSince(start)).filter((o) => o.topic === 'incident.event').map((o) => o.payload)).toEqual([
      { event: 'incident.resolved', incidentId: incident.id, updateId: update.id, at: expect.any(String) },
    ]);
  });
});

describe('templates', () => {
  it('a new incident can be written from a template, filled with its components and severity', async () => {
    const [a, b] = [await component('REST API'), await component('Webhooks')];
    const { incident, update } = await createIncident(db(), comms, {
      templateId: DEFAULT_TEMPLATE_IDS.investigating.external,
      severity: 2,
      visibility: 'public',
      components: { [a.id]: 'partial_outage', [b.id]: 'degraded_performance' },
    });
    expect(incident.name).toBe('Investigating issues with REST API and Webhooks');
    expect(incident.status).toBe('investigating');
    expect(update.body).toBe(
      'We are looking into problems with REST API and Webhooks and will post updates here soon.',
    );
    expect(update.templateId).toBe(DEFAULT_TEMPLATE_IDS.investigating.external);

    const internal = await createIncident(db(), responder, {
      templateId: DEFAULT_TEMPLATE_IDS.investigating.internal,
      severity: 1,
      visibility: 'internal',
      impactCustomer: 'no sign-ins',
      components: { [a.id]: 'major_outage' },
    });
    expect(internal.update.body).toBe(
      'We are investigating an incident affecting REST API: no sign-ins. We will post updates by email and on the status page shortly.',
    );
  });

  it('refuses a template that leaves placeholders unfilled, and one of the wrong kind', async () => {
    const id = newId();
    await db()
      .insert(templates)
      .values({ id, name: 'Needs a symptom', audience: 'external', title: 'T', body: 'We see {{symptom}}.' });
    expect(await fieldsOf(createIncident(db(), comms, publicIncident({ body: undefined, templateId: id })))).toEqual({
      body: expect.stringContaining('{{symptom}}'),
    });
    // A body given by the caller wins over the template's.
    expect(
      (await createIncident(db(), comms, publicIncident({ templateId: id, body: 'We see slowness.' }))).update.body,
    ).toBe('We see slowness.');
    expect(
      await fieldsOf(
        createIncident(db(), comms, publicIncident({ templateId: DEFAULT_TEMPLATE_IDS.maintenanceScheduled.external })),
      ),
    ).toEqual({ template_id: 'This template is for a maintenance; choose one for an incident' });
  });
});
