import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComponent } from '../../src/server/components/service.ts';
import { createIncident, postUpdate } from '../../src/server/incidents/service.ts';
import { loadFeedEntries, loadIncident, loadStatusPage } from '../../src/server/status-page/queries.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { INTERNAL_MARKER, seedScenario } from '../helpers/scenario.ts';

const actor = { type: 'system' as const, name: 'test' };
let queries = 0;
let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
const now = new Date();

beforeAll(async () => {
  t = await createTestDatabase({ logger: { logQuery: () => void queries++ } });
  s = await seedScenario(t.handle.db, now);
});
afterAll(() => t.drop());

async function countQueries<T>(fn: () => Promise<T>): Promise<number> {
  const before = queries;
  await fn();
  return queries - before;
}

describe('loadStatusPage', () => {
  it('runs a constant number of queries, whatever the number of components and incidents', async () => {
    const db = t.handle.db;
    const load = () => loadStatusPage(db, { audience: 'public', now, history: { days: 90 } });
    await load(); // settles the settings row
    const small = await countQueries(load);

    for (let i = 0; i < 15; i++) {
      const c = await createComponent(db, actor, { name: `Extra ${i}`, groupId: s.groups.api.id, position: 10 + i });
      const { incident } = await createIncident(db, actor, {
        name: `Extra incident ${i}`,
        status: 'investigating',
        severity: 3,
        body: 'Looking into it',
        components: { [c.id]: 'partial_outage' },
      });
      await postUpdate(db, actor, incident.id, {
        status: 'monitoring',
        body: 'Fix deployed',
        components: { [c.id]: 'operational' },
      });
    }
    const big = await countQueries(load);
    const data = await load();

    expect(data.components.length).toBeGreaterThanOrEqual(19);
    expect(data.unresolvedIncidents.length).toBeGreaterThanOrEqual(16);
    expect(big).toBe(small);
    expect(small).toBeLessThanOrEqual(10);
  });

  it('never returns internal components, groups, incidents or updates to the public audience', async () => {
    const data = await loadStatusPage(t.handle.db, { audience: 'public', now, history: { days: 90 } });
    expect(JSON.stringify(data)).not.toContain(INTERNAL_MARKER);
    const ids = data.components.map((c) => c.id);
    expect(ids).not.toContain(s.components.secretComponent.id);
    expect(ids).not.toContain(s.components.hiddenChild.id);
    expect(data.groups.map((g) => g.id)).not.toContain(s.groups.secretGroup.id);
    expect(data.unresolvedIncidents.map((i) => i.id)).not.toContain(s.incidents.internal.id);
    expect(data.history!.map((e) => e.componentId)).not.toContain(s.components.secretComponent.id);
  });

  it('shows everything to the internal audience', async () => {
    const data = await loadStatusPage(t.handle.db, { audience: 'internal', now });
    expect(data.components.map((c) => c.id)).toContain(s.components.secretComponent.id);
    expect(data.unresolvedIncidents.map((i) => i.id)).toContain(s.incidents.internal.id);
    const active = data.unresolvedIncidents.find((i) => i.id === s.incidents.active.id)!;
    expect(active.updates.map((u) => u.audience)).toContain('internal');
  });

  it('sorts maintenances into upcoming and active by their window', async () => {
    const data = await loadStatusPage(t.handle.db, { audience: 'public', now });
    expect(data.upcomingMaintenances.map((m) => m.id)).toContain(s.incidents.maintenance.id);
    expect(data.activeMaintenances).toHaveLength(0);
    const later = new Date(s.incidents.maintenance.scheduledFor!.getTime() + 60_000);
    const during = await loadStatusPage(t.handle.db, { audience: 'public', now: later });
    expect(during.activeMaintenances.map((m) => m.id)).toContain(s.incidents.maintenance.id);
    expect(during.upcomingMaintenances.map((m) => m.id)).not.toContain(s.incidents.maintenance.id);
  });

  it('computes group status as the worst of its visible components', async () => {
    const data = await loadStatusPage(t.handle.db, { audience: 'public', now });
    const api = data.groups.find((g) => g.id === s.groups.api.id)!;
    expect(api.status).toBe('partial_outage');
  });
});

describe('loadIncident', () => {
  it('returns the public timeline newest first, without internal updates or components', async () => {
    const incident = (await loadIncident(t.handle.db, s.incidents.active.id, 'public'))!;
    expect(incident.updates.map((u) => u.status)).toEqual(['identified', 'investigating']);
    expect(incident.updates.every((u) => u.audience === 'public')).toBe(true);
    expect(incident.components.map((c) => c.name).sort()).toEqual(['REST API', 'Webhooks']);
    expect(incident.updates[1].affected).toEqual([
      { componentId: s.components.rest.id, name: 'REST API', oldStatus: 'operational', newStatus: 'partial_outage' },
    ]);
    expect(JSON.stringify(incident)).not.toContain(INTERNAL_MARKER);
  });

  it('hides internal incidents from the public and unknown ids from everyone', async () => {
    expect(await loadIncident(t.handle.db, s.incidents.internal.id, 'public')).toBeNull();
    expect(await loadIncident(t.handle.db, s.incidents.internal.id, 'internal')).not.toBeNull();
    expect(await loadIncident(t.handle.db, 'doesnotexist', 'internal')).toBeNull();
  });
});

describe('loadFeedEntries', () => {
  it('lists public updates only, newest first', async () => {
    const entries = await loadFeedEntries(t.handle.db, { audience: 'public', limit: 100 });
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.update.audience === 'public')).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(INTERNAL_MARKER);
    const times = entries.map((e) => e.update.displayAt.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });
});
