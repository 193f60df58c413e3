import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentUpdates } from '../../src/db/schema/index.ts';
import { queryV2Payload } from '../../src/server/statuspage/payload.ts';
import { V2_ENDPOINTS, type V2Endpoint } from '../../src/server/statuspage/serialize.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { INTERNAL_MARKER, seedScenario } from '../helpers/scenario.ts';

const SITE = 'https://status.example.com';
const now = new Date();
let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
let payloads: Map<V2Endpoint, string>;
let internalUpdateIds: string[];

type Json = Record<string, unknown>;
const payload = <T = Json>(endpoint: V2Endpoint) => JSON.parse(payloads.get(endpoint)!) as T;

beforeAll(async () => {
  t = await createTestDatabase();
  s = await seedScenario(t.handle.db, now);
  payloads = new Map();
  for (const endpoint of V2_ENDPOINTS) {
    payloads.set(endpoint, JSON.stringify(await queryV2Payload(t.handle.db, SITE, endpoint, now)));
  }
  const internal = await t.handle.db
    .select({ id: incidentUpdates.id })
    .from(incidentUpdates)
    .where(eq(incidentUpdates.audience, 'internal'));
  internalUpdateIds = internal.map((u) => u.id);
});
afterAll(() => t?.drop());

describe('v2 payloads from a real database', () => {
  it('never contain anything internal', () => {
    expect(internalUpdateIds.length).toBeGreaterThan(0);
    const hidden = [
      INTERNAL_MARKER,
      s.components.secretComponent.id,
      s.components.hiddenChild.id,
      s.groups.secretGroup.id,
      s.incidents.internal.id,
      ...internalUpdateIds,
    ];
    for (const [endpoint, json] of payloads) {
      for (const secret of hidden) expect(json, `${endpoint} leaks ${secret}`).not.toContain(secret);
    }
  });

  it('shows the active incident with its public updates only', () => {
    const { incidents } = payload<{ incidents: Json[] }>('incidents/unresolved');
    const active = incidents.find((i) => i.id === s.incidents.active.id)!;
    const updates = active.incident_updates as Json[];
    expect(updates.map((u) => u.status)).toEqual(['identified', 'investigating']);
    expect(updates[1].affected_components).toEqual([
      { code: s.components.rest.id, name: 'REST API', old_status: 'operational', new_status: 'partial_outage' },
    ]);
    expect((active.components as Json[]).map((c) => c.id).sort()).toEqual(
      [s.components.rest.id, s.components.webhooks.id].sort(),
    );
    expect(active).toMatchObject({ impact: 'major', shortlink: `${SITE}/incidents/${s.incidents.active.id}` });
  });

  it('lists groups with their public children, and no child of an internal group', () => {
    const { components } = payload<{ components: Json[] }>('components');
    const api = components.find((c) => c.id === s.groups.api.id)!;
    expect(api).toMatchObject({ group: true, status: 'partial_outage' });
    expect(api.components).toEqual([s.components.rest.id, s.components.webhooks.id]);
    const rest = components.find((c) => c.id === s.components.rest.id)!;
    expect(rest).toMatchObject({ group: false, group_id: s.groups.api.id });
    expect(components.map((c) => c.id)).not.toContain(s.components.hiddenChild.id);
    expect(payload<{ components: Json[] }>('summary').components).toEqual(components);
  });

  it('keeps only investigating, identified and monitoring incidents in unresolved.json', () => {
    const { incidents } = payload<{ incidents: Json[] }>('incidents/unresolved');
    expect(incidents.length).toBeGreaterThan(0);
    for (const i of incidents) expect(['investigating', 'identified', 'monitoring']).toContain(i.status);
    const all = payload<{ incidents: Json[] }>('incidents').incidents;
    expect(all.map((i) => i.id)).toEqual([s.incidents.active.id, s.incidents.resolved.id]);
  });

  it('has the maintenance in upcoming, scheduled-maintenances and the summary, not in active', () => {
    const id = s.incidents.maintenance.id;
    const ids = (endpoint: V2Endpoint) =>
      payload<{ scheduled_maintenances: Json[] }>(endpoint).scheduled_maintenances.map((m) => m.id);
    expect(ids('scheduled-maintenances/upcoming')).toEqual([id]);
    expect(ids('scheduled-maintenances')).toEqual([id]);
    expect(ids('summary')).toEqual([id]);
    expect(ids('scheduled-maintenances/active')).toEqual([]);
    const [m] = payload<{ scheduled_maintenances: Json[] }>('scheduled-maintenances/upcoming').scheduled_maintenances;
    expect(m).toMatchObject({
      status: 'scheduled',
      impact: 'maintenance',
      scheduled_for: s.incidents.maintenance.scheduledFor!.toISOString(),
      scheduled_until: s.incidents.maintenance.scheduledUntil!.toISOString(),
    });
  });

  it('reports a degraded overall status while the incident is open', () => {
    const { status, page } = payload<{ status: { indicator: string }; page: Json }>('status');
    expect(['minor', 'major', 'critical']).toContain(status.indicator);
    expect(page).toMatchObject({ url: SITE, time_zone: expect.any(String), id: expect.any(String) });
  });
});
