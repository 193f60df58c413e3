/**
 * The benchmarks' realistic content (issue 6): 10 groups of 5 components, 500 past incidents
 * over two years (three updates and a resolution each) and 5 active incidents with 5 updates
 * each. Shared by bench/http.ts and bench/lighthouse.ts so both measure the same page.
 */
import type { Db } from '../src/db/client.ts';
import type { Actor } from '../src/server/audit/service.ts';
import { createComponent, createGroup } from '../src/server/components/service.ts';
import { createIncident, postUpdate, resolveIncident } from '../src/server/incidents/service.ts';

const actor: Actor = { type: 'system', name: 'bench' };

/** Loads the content into a migrated, empty database; returns the active incidents' ids. */
export async function seedBenchContent(db: Db): Promise<{ activeIncidentIds: string[] }> {
  const now = Date.now();
  const componentIds: string[] = [];
  for (let g = 0; g < 10; g++) {
    const group = await createGroup(db, actor, { name: `Region ${g + 1}`, position: g });
    for (let c = 0; c < 5; c++) {
      const component = await createComponent(db, actor, {
        name: `Service ${g + 1}.${c + 1}`,
        description: 'A service customers use every day.',
        groupId: group.id,
        position: c,
        createdAt: new Date(now - 400 * 86_400_000),
      });
      componentIds.push(component.id);
    }
  }
  const text = (i: number) =>
    `We are looking into **elevated error rates** on the service (update ${i}). Customers may see slow pages or failed requests. Next update in 30 minutes.`;
  // 500 past incidents over two years, each with three updates and a resolution.
  for (let i = 0; i < 500; i++) {
    const start = now - (i + 1) * 1.4 * 86_400_000;
    const component = componentIds[i % componentIds.length];
    const { incident } = await createIncident(db, actor, {
      name: `Past incident ${i + 1}`,
      status: 'investigating',
      severity: ((i % 3) + 1) as 1 | 2 | 3,
      body: text(0),
      components: { [component]: 'partial_outage' },
      notify: false,
      startedAt: new Date(start),
    });
    for (const [k, status] of (['identified', 'monitoring'] as const).entries()) {
      await postUpdate(db, actor, incident.id, {
        status,
        body: text(k + 1),
        notify: false,
        at: new Date(start + (k + 1) * 1_800_000),
      });
    }
    await resolveIncident(db, actor, incident.id, {
      body: 'This incident is resolved.',
      notify: false,
      at: new Date(start + 3 * 1_800_000),
    });
  }
  const activeIncidentIds: string[] = [];
  for (let i = 0; i < 5; i++) {
    const start = now - (5 - i) * 3_600_000;
    const { incident } = await createIncident(db, actor, {
      name: `Active incident ${i + 1}`,
      status: 'investigating',
      severity: ((i % 3) + 1) as 1 | 2 | 3,
      body: text(0),
      components: { [componentIds[i * 7]]: 'major_outage' },
      notify: false,
      startedAt: new Date(start),
    });
    activeIncidentIds.push(incident.id);
    for (let k = 1; k < 5; k++) {
      await postUpdate(db, actor, incident.id, {
        status: 'identified',
        body: text(k),
        notify: false,
        at: new Date(start + k * 600_000),
      });
    }
  }
  return { activeIncidentIds };
}
