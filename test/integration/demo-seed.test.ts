import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/server/demo/seed.ts';
import { loadStatusPage } from '../../src/server/status-page/queries.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let t: TestDatabase;
const now = new Date();
beforeAll(async () => {
  t = await createTestDatabase();
  await seedDemo(t.handle.db, now);
});
afterAll(() => t.drop());

describe('demo seed', () => {
  it('loads a realistic page: 4 groups, 12 components, some internal', async () => {
    const all = await loadStatusPage(t.handle.db, { audience: 'internal', now });
    const pub = await loadStatusPage(t.handle.db, { audience: 'public', now });
    expect(all.groups).toHaveLength(4);
    expect(all.components).toHaveLength(12);
    expect(pub.components.length).toBeLessThan(12);
    expect(pub.settings.pageName).toBe('Acme Cloud');
  });

  it('has one active Sev 2 with three updates, one internal', async () => {
    const all = await loadStatusPage(t.handle.db, { audience: 'internal', now });
    const active = all.unresolvedIncidents.filter((i) => i.visibility === 'public');
    expect(active).toHaveLength(1);
    expect(active[0].severity).toBe(2);
    expect(active[0].updates).toHaveLength(3);
    expect(active[0].updates.filter((u) => u.audience === 'internal')).toHaveLength(1);
    const pub = await loadStatusPage(t.handle.db, { audience: 'public', now });
    expect(pub.unresolvedIncidents[0].updates).toHaveLength(2);
  });

  it('has a resolved Sev 1 from last week and an upcoming maintenance', async () => {
    const pub = await loadStatusPage(t.handle.db, { audience: 'public', now, history: { days: 90 } });
    const sev1 = pub.recentIncidents.find((i) => i.severity === 1)!;
    expect(sev1.status).toBe('resolved');
    const age = now.getTime() - sev1.startedAt.getTime();
    expect(age).toBeGreaterThan(5 * 86_400_000);
    expect(age).toBeLessThan(8 * 86_400_000);
    expect(pub.upcomingMaintenances).toHaveLength(1);
    // 90 days of history with a few outages.
    const outages = pub.history!.filter((e) => e.status !== 'operational');
    expect(outages.length).toBeGreaterThanOrEqual(5);
  });

  it('refuses to seed a database that has content', async () => {
    await expect(seedDemo(t.handle.db)).rejects.toThrow(/empty/);
  });
});
