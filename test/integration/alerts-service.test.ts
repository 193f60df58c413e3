import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertMappings,
  auditLog,
  components,
  incidentAlerts,
  incidentComponents,
  incidents,
  incidentUpdates,
} from '../../src/db/schema/index.ts';
import type { ComponentStatus } from '../../src/domain/enums.ts';
import {
  ALERT_SEVERITY,
  alertKeyOf,
  labelsFingerprint,
  receiveAlerts,
  type AlertSource,
} from '../../src/server/alerts/service.ts';
import { createComponent } from '../../src/server/components/service.ts';
import { createAlertMapping, deleteAlertMapping, listAlertMappings } from '../../src/server/alerts/mappings.ts';
import { NotFoundError, ValidationError } from '../../src/server/errors.ts';
import { ForbiddenError } from '../../src/server/auth/permissions.ts';
import { resolveIncident } from '../../src/server/incidents/service.ts';
import { loadStatusPage } from '../../src/server/status-page/queries.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { admin, responder, system, viewer } from '../helpers/principals.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/alerts');
const fixture = (name: string): any => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'));
const now = new Date('2026-03-01T12:00:00Z');

let t: TestDatabase;
const db = () => t.handle.db;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

async function component(name: string) {
  return createComponent(db(), system, { name, status: 'operational' });
}
async function map(labelName: string, labelValue: string, componentId: string, status: ComponentStatus) {
  await db().insert(alertMappings).values({ labelName, labelValue, componentId, status });
}
async function state(incidentId: string) {
  const [incident] = await db().select().from(incidents).where(eq(incidents.id, incidentId));
  const updates = await db()
    .select()
    .from(incidentUpdates)
    .where(eq(incidentUpdates.incidentId, incidentId))
    .orderBy(incidentUpdates.createdAt);
  const alerts = await db()
    .select()
    .from(incidentAlerts)
    .where(eq(incidentAlerts.incidentId, incidentId))
    .orderBy(incidentAlerts.fingerprint);
  const linked = await db().select().from(incidentComponents).where(eq(incidentComponents.incidentId, incidentId));
  return { incident, updates, alerts, linked: linked.map((l) => l.componentId).sort() };
}
async function statusOf(id: string) {
  const [row] = await db().select().from(components).where(eq(components.id, id));
  return row.status;
}
async function incidentCount() {
  return (await db().select({ id: incidents.id }).from(incidents)).length;
}

type Expected = {
  source: AlertSource;
  /** Mappings to set up: label → status on a fresh component. */
  mappings: [string, string, ComponentStatus][];
  created: boolean;
  name?: string;
  fingerprints?: string[];
};

const EXPECTED: Record<string, Expected> = {
  'alertmanager-v4-famedly-sample-v4-payload.json': {
    source: 'alertmanager',
    mappings: [['instance', 'https://server.example.org', 'major_outage']],
    created: true,
    name: 'ProbeFailure',
    fingerprints: ['1a30ba71cca2921f'],
  },
  'alertmanager-v4-prometheus-msteams-prom_post_request.json': {
    source: 'alertmanager',
    mappings: [['job', 'docker_nodes', 'degraded_performance']],
    created: true,
    name: 'high_memory_load',
  },
  'alertmanager-v4-resolved-k8s-pythonwebhook-testcurl7.json': {
    source: 'alertmanager',
    mappings: [['deployment', 'eric-log-transformer', 'partial_outage']],
    created: false,
  },
  'grafana-9-resolved-zulip-fixture.json': {
    source: 'grafana',
    mappings: [['test', 'true', 'partial_outage']],
    created: false,
  },
  'grafana-webhook-docs-example.json': {
    source: 'grafana',
    mappings: [
      ['zone', 'us-1', 'partial_outage'],
      ['team', 'blue', 'degraded_performance'],
    ],
    created: true,
    name: 'High memory usage, High CPU usage',
    fingerprints: ['bc97ff14869b13e3', 'c6eadffa33fcdf37'],
  },
};

describe('every fixture gives the documented result, twice', () => {
  it('has an expectation for each fixture', () => {
    expect(readdirSync(FIXTURES).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const payload = fixture(file);
      const mapped: [string, ComponentStatus][] = [];
      for (const [label, value, status] of expected.mappings) {
        const c = await component(`${file} ${label}`);
        await map(label, value, c.id, status);
        mapped.push([c.id, status]);
      }
      const before = await incidentCount();
      const first = await receiveAlerts(db(), responder, expected.source, payload, now);
      expect(first.created).toBe(expected.created);

      if (!expected.created) {
        // Resolved alerts with no open draft: nothing to record, nothing opened.
        expect(first).toEqual({ incidentId: null, created: false, alerts: 0 });
        expect(await incidentCount()).toBe(before);
        for (const [id] of mapped) expect(await statusOf(id)).toBe('operational');
        expect(await receiveAlerts(db(), responder, expected.source, payload, now)).toEqual(first);
        expect(await incidentCount()).toBe(before);
        return;
      }

      expect(first.alerts).toBe(payload.alerts.length);
      const s = await state(first.incidentId!);
      expect(s.incident).toMatchObject({
        name: expected.name,
        status: 'investigating',
        visibility: 'internal',
        severity: ALERT_SEVERITY,
        source: expected.source,
        alertKey: alertKeyOf(expected.source, payload.groupKey),
      });
      expect(s.updates).toHaveLength(1);
      expect(s.updates[0]).toMatchObject({ audience: 'internal', notify: false, status: 'investigating' });
      for (const a of payload.alerts) expect(s.updates[0].body).toContain(a.labels.alertname);
      const fingerprints =
        expected.fingerprints ??
        payload.alerts.map((a: { labels: Record<string, string> }) => labelsFingerprint(a.labels));
      expect(s.alerts.map((a) => a.fingerprint)).toEqual([...fingerprints].sort());
      expect(s.alerts.every((a) => a.status === 'firing' && a.source === expected.source)).toBe(true);
      expect(s.linked).toEqual(mapped.map(([id]) => id).sort());
      for (const [id, status] of mapped) expect(await statusOf(id)).toBe(status);

      // The same delivery again: same answer, nothing written.
      const again = await receiveAlerts(db(), responder, expected.source, payload, new Date(now.getTime() + 60_000));
      expect(again).toEqual({ ...first, created: false });
      const s2 = await state(first.incidentId!);
      expect(s2.updates).toHaveLength(1);
      expect(s2.alerts).toEqual(s.alerts);
      expect(await incidentCount()).toBe(before + 1);

      // Internal: customers never see the draft.
      const pub = await loadStatusPage(db(), { audience: 'public', now });
      expect(pub.recentIncidents.some((i) => i.id === first.incidentId)).toBe(false);
      expect(pub.unresolvedIncidents.some((i) => i.id === first.incidentId)).toBe(false);
      const internal = await loadStatusPage(db(), { audience: 'internal', now });
      expect(internal.unresolvedIncidents.some((i) => i.id === first.incidentId)).toBe(true);
    });
  }
});

/** A small Alertmanager v4 payload. */
function am(
  groupKey: string,
  alerts: { name: string; status: 'firing' | 'resolved'; labels?: Record<string, string> }[],
) {
  return {
    version: '4',
    groupKey,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'vigie',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    alerts: alerts.map((a) => ({
      status: a.status,
      labels: { alertname: a.name, ...a.labels },
      annotations: { summary: `${a.name} summary` },
      startsAt: '2026-03-01T11:00:00Z',
      endsAt: a.status === 'resolved' ? '2026-03-01T11:30:00Z' : '0001-01-01T00:00:00Z',
      fingerprint: `fp-${a.name}`,
    })),
  };
}

describe('an alert group over time', () => {
  it('adds firing alerts, records resolved ones, says when all are resolved, and never resolves by itself', async () => {
    const web = await component('Web (lifecycle)');
    const db1 = await component('DB (lifecycle)');
    await map('svc', 'web-lc', web.id, 'partial_outage');
    await map('svc', 'db-lc', db1.id, 'major_outage');
    const key = '{}:{alertname="lifecycle"}';

    const opened = await receiveAlerts(
      db(),
      responder,
      'alertmanager',
      am(key, [{ name: 'A', status: 'firing', labels: { svc: 'web-lc' } }]),
      now,
    );
    expect(opened.created).toBe(true);
    const id = opened.incidentId!;
    expect(await statusOf(web.id)).toBe('partial_outage');
    expect(await statusOf(db1.id)).toBe('operational');

    // A second alert of the group starts firing: one internal update, its component mapped.
    const both = am(key, [
      { name: 'A', status: 'firing', labels: { svc: 'web-lc' } },
      { name: 'B', status: 'firing', labels: { svc: 'db-lc' } },
    ]);
    expect(await receiveAlerts(db(), admin, 'alertmanager', both, now)).toEqual({
      incidentId: id,
      created: false,
      alerts: 2,
    });
    let s = await state(id);
    expect(s.updates).toHaveLength(2);
    expect(s.updates[1]).toMatchObject({ audience: 'internal', status: 'investigating' });
    expect(s.updates[1].body).toContain('`B`');
    expect(s.updates[1].body).not.toContain('`A`');
    expect(await statusOf(db1.id)).toBe('major_outage');
    await receiveAlerts(db(), responder, 'alertmanager', both, now);
    expect((await state(id)).updates).toHaveLength(2);

    // A resolves: recorded, one update, the incident stays open.
    const oneResolved = am(key, [
      { name: 'A', status: 'resolved', labels: { svc: 'web-lc' } },
      { name: 'B', status: 'firing', labels: { svc: 'db-lc' } },
    ]);
    await receiveAlerts(db(), responder, 'alertmanager', oneResolved, now);
    await receiveAlerts(db(), responder, 'alertmanager', oneResolved, now);
    s = await state(id);
    expect(s.updates).toHaveLength(3);
    expect(s.updates[2].body).toMatch(/1 alert resolved/);
    expect(s.updates[2].body).not.toMatch(/Every alert/);
    expect(s.alerts.map((a) => [a.fingerprint, a.status])).toEqual([
      ['fp-A', 'resolved'],
      ['fp-B', 'firing'],
    ]);
    expect(s.alerts[0].endsAt?.toISOString()).toBe('2026-03-01T11:30:00.000Z');

    // B resolves too: the update says all are resolved; nothing is resolved or published.
    const allResolved = am(key, [{ name: 'B', status: 'resolved', labels: { svc: 'db-lc' } }]);
    expect((await receiveAlerts(db(), responder, 'alertmanager', allResolved, now)).created).toBe(false);
    await receiveAlerts(db(), responder, 'alertmanager', allResolved, now);
    s = await state(id);
    expect(s.updates).toHaveLength(4);
    expect(s.updates[3].body).toMatch(/Every alert on this incident is now resolved/);
    expect(s.updates.every((u) => u.audience === 'internal')).toBe(true);
    expect(s.incident).toMatchObject({ status: 'investigating', visibility: 'internal', resolvedAt: null });
    expect(await statusOf(db1.id)).toBe('major_outage');

    // A person resolves it; the group firing again opens a new draft.
    await resolveIncident(db(), responder, id, { body: 'Fixed' });
    const refire = await receiveAlerts(
      db(),
      responder,
      'alertmanager',
      am(key, [{ name: 'A', status: 'firing' }]),
      now,
    );
    expect(refire.created).toBe(true);
    expect(refire.incidentId).not.toBe(id);
    const [old] = await db().select().from(incidents).where(eq(incidents.id, id));
    expect(old.alertKey).toBe(`${alertKeyOf('alertmanager', key)}@${id}`);
    expect((await state(id)).updates).toHaveLength(5);
  });

  it('reads the older Alertmanager shape: an end in the past means resolved', async () => {
    const payload = fixture('alertmanager-v4-prometheus-msteams-prom_post_request.json');
    payload.groupKey = 'older-shape';
    const opened = await receiveAlerts(db(), responder, 'alertmanager', payload, now);
    expect(opened.created).toBe(true);
    payload.alerts[0].endsAt = '2026-03-01T11:59:00Z';
    await receiveAlerts(db(), responder, 'alertmanager', payload, now);
    const s = await state(opened.incidentId!);
    expect(s.alerts).toHaveLength(1);
    expect(s.alerts[0]).toMatchObject({ status: 'resolved', fingerprint: labelsFingerprint(payload.alerts[0].labels) });
    expect(s.updates.at(-1)!.body).toMatch(/Every alert on this incident is now resolved/);
  });

  it('reads legacy Grafana alerting: alerting opens, ok resolves', async () => {
    const legacy = {
      ruleId: 42,
      ruleName: 'Legacy disk full',
      ruleUrl: 'https://grafana.example.com/d/abc',
      state: 'alerting',
      title: '[Alerting] Legacy disk full',
      message: 'Disk is full',
      evalMatches: [{ metric: 'disk', value: 99, tags: null }],
      tags: { host: 'db-1' },
    };
    const opened = await receiveAlerts(db(), responder, 'grafana', legacy, now);
    expect(opened).toMatchObject({ created: true, alerts: 1 });
    expect(await receiveAlerts(db(), responder, 'grafana', legacy, now)).toEqual({ ...opened, created: false });
    await receiveAlerts(db(), responder, 'grafana', { ...legacy, state: 'ok' }, now);
    const s = await state(opened.incidentId!);
    expect(s.incident.name).toBe('Legacy disk full');
    expect(s.alerts).toHaveLength(1);
    expect(s.alerts[0]).toMatchObject({ status: 'resolved', labels: { alertname: 'Legacy disk full', host: 'db-1' } });
    expect(s.updates).toHaveLength(2);
  });
});

describe('refusals', () => {
  const bad: [string, unknown][] = [
    ['not an object', 'firing'],
    ['a list', [{ labels: {} }]],
    ['no alerts', { version: '4', groupKey: 'x', status: 'firing' }],
    ['alerts not a list', { groupKey: 'x', alerts: 'firing' }],
    ['no alerts in the list', { groupKey: 'x', alerts: [] }],
    ['labels not text', { groupKey: 'x', alerts: [{ status: 'firing', labels: { n: 1 } }] }],
    ['an unknown status', { groupKey: 'x', alerts: [{ status: 'burning', labels: { alertname: 'x' } }] }],
    ['a bad time', { groupKey: 'x', alerts: [{ status: 'firing', labels: { a: 'b' }, startsAt: 'yesterday' }] }],
    ['a groupKey not text', { groupKey: 7, alerts: [{ status: 'firing', labels: { a: 'b' } }] }],
  ];
  for (const [label, payload] of bad) {
    it(`422 for ${label}, and nothing written`, async () => {
      const before = await incidentCount();
      for (const source of ['alertmanager', 'grafana'] as const) {
        const err = await receiveAlerts(db(), responder, source, payload, now).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).status).toBe(422);
        expect((err as ValidationError).message.length).toBeGreaterThan(10);
      }
      expect(await incidentCount()).toBe(before);
    });
  }

  it('422 for a legacy Grafana payload with an unknown state', async () => {
    const err = await receiveAlerts(db(), responder, 'grafana', { ruleId: 1, state: 'sleeping' }, now).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fields).toHaveProperty('state');
  });

  it('names the bad field as the tool sent it', async () => {
    const err = (await receiveAlerts(
      db(),
      responder,
      'alertmanager',
      { groupKey: 'x', alerts: [{ status: 'firing', labels: { a: 'b' }, endsAt: 'soon' }] },
      now,
    ).catch((e) => e)) as ValidationError;
    expect(err.fields).toEqual({ 'alerts.0.endsAt': 'Must be an RFC 3339 time' });
  });

  it('403 for a viewer, before reading the payload', async () => {
    const payload = fixture('alertmanager-v4-famedly-sample-v4-payload.json');
    await expect(receiveAlerts(db(), viewer, 'alertmanager', payload, now)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(receiveAlerts(db(), viewer, 'alertmanager', 'junk', now)).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('alert mappings', () => {
  it('lists, adds and deletes mappings, admins only, with audit entries', async () => {
    const c = await component('Mapped (admin)');
    await expect(listAlertMappings(db(), viewer)).resolves.toBeInstanceOf(Array);
    await expect(
      createAlertMapping(db(), responder, { labelName: 'service', labelValue: 'api', componentId: c.id }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const row = await createAlertMapping(db(), admin, {
      labelName: ' service ',
      labelValue: 'api',
      componentId: c.id,
      status: 'partial_outage',
    });
    expect(row).toMatchObject({ labelName: 'service', labelValue: 'api', componentId: c.id, status: 'partial_outage' });
    const listed = (await listAlertMappings(db(), viewer)).find((m) => m.id === row.id);
    expect(listed).toMatchObject({ componentName: 'Mapped (admin)', status: 'partial_outage' });

    const dup = await createAlertMapping(db(), admin, {
      labelName: 'service',
      labelValue: 'api',
      componentId: c.id,
    }).catch((e) => e);
    expect(dup).toBeInstanceOf(ValidationError);
    expect((dup as ValidationError).fields).toHaveProperty('label_value');
    const unknown = await createAlertMapping(db(), admin, {
      labelName: 'service',
      labelValue: 'api',
      componentId: 'nosuchcomponent',
    }).catch((e) => e);
    expect((unknown as ValidationError).fields).toHaveProperty('component_id');
    const blank = await createAlertMapping(db(), admin, { labelName: '', labelValue: 'x', componentId: c.id }).catch(
      (e) => e,
    );
    expect((blank as ValidationError).fields).toHaveProperty('label_name');

    await expect(deleteAlertMapping(db(), responder, row.id)).rejects.toBeInstanceOf(ForbiddenError);
    await deleteAlertMapping(db(), admin, row.id);
    await expect(deleteAlertMapping(db(), admin, row.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteAlertMapping(db(), admin, Number.NaN)).rejects.toBeInstanceOf(NotFoundError);
    expect((await listAlertMappings(db(), viewer)).some((m) => m.id === row.id)).toBe(false);

    const audit = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityType, 'alert_mapping'), eq(auditLog.entityId, String(row.id))));
    expect(audit.map((a) => a.action).sort()).toEqual(['alert_mapping.create', 'alert_mapping.delete']);
  });
});
